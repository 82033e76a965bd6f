"""Sliders and selectors drawn from a question's control specs.

Where a slider's value goes: the URL (`?lr=0.1`) is validated by
`ui.url_state`, seeds the widget once per page visit, the widget's value
is clamped again on the server, written back to the URL so the address
bar is always a link to what is on screen, and returned as
`{param: value}` for the page's experiment.

Streamlit forgets a widget's value when a run does not draw it (another
page, another projector stage). The values are therefore also kept per
question (`_kept:<id>`), so sliders, prediction and revealed state come
back together when a user returns; "Reset this question" clears them all.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from content.questions import Control, Preset, Question
from ui import layout, routes, url_state

_VISIT_KEY = "_page_visit"


def start_page_visit(page_path: str) -> None:
    """Called by app.py each run: a new page visit lets the URL set the controls."""
    if routes.current_page_id() != page_path:
        if routes.current_page_id() is not None:
            layout.forget_projector_warning()
        routes.remember_current_page(page_path)
        st.session_state.pop(_VISIT_KEY, None)


def widget_key(question: Question, control: Control) -> str:
    return f"{question.id}:{control.key}"


def _warnings_key(question: Question) -> str:
    return f"_url_warnings:{question.id}"


def _query() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def _kept(question: Question) -> dict[str, Any]:
    """`{control key: value}` last drawn on this question, kept across pages and stages."""
    return st.session_state.setdefault(f"_kept:{question.id}", {})


def _apply_url_on_entry(question: Question) -> None:
    """On the first run of a page visit, let the link set the controls.

    A link that names any control is a whole configuration (a control it
    leaves out is at its default); a bare address brings back the values
    this session last had on the question.
    """
    if st.session_state.get(_VISIT_KEY) == question.id:
        return
    st.session_state[_VISIT_KEY] = question.id
    reading = url_state.read_url(question.controls, _query())
    if any(control.key in _query() for control in question.controls):
        _kept(question).clear()
    for control in question.controls:
        key = widget_key(question, control)
        if control.key in reading.values:
            st.session_state[key] = reading.values[control.key]
        elif key not in st.session_state and control.key in _kept(question):
            st.session_state[key] = _kept(question)[control.key]
    st.session_state[_warnings_key(question)] = reading.warnings


def _apply_preset(question: Question, preset: Preset) -> None:
    for key, value in preset.values.items():
        st.session_state[widget_key(question, question.control(key))] = value


def preset_help(question: Question, preset: Preset) -> str:
    """The preset's description, and which controls it leaves as they are."""
    left = [c.label for c in question.controls if c.key not in preset.values]
    if not left:
        return preset.description
    return f"{preset.description} Leaves {', '.join(left)} as {'it is' if len(left) == 1 else 'they are'}."


def reset_to_defaults(question: Question) -> None:
    """Every control back to its default (a button's callback: runs before the widgets)."""
    _kept(question).clear()
    for control in question.controls:
        st.session_state[widget_key(question, control)] = control.default
    st.session_state.pop(_warnings_key(question), None)


def current_values(question: Question) -> dict[str, Any]:
    """`{engine param: value}` as last drawn, for a run that does not draw the sliders."""
    kept = _kept(question)
    return {c.param: kept.get(c.key, c.default) for c in question.controls}


def _draw(question: Question, control: Control) -> Any:
    key = widget_key(question, control)
    # Not drawn in the last run (another projector stage): bring the value back.
    if key not in st.session_state and control.key in _kept(question):
        st.session_state[key] = _kept(question)[control.key]
    # Pass the default only when session state has no value yet; passing
    # both makes Streamlit warn.
    default = {} if key in st.session_state else {"value": control.default}
    common = dict(label=control.label, key=key, help=control.help or None)
    if control.kind == "log":
        grid = control.grid()
        if key in st.session_state and st.session_state[key] not in grid:
            st.session_state[key] = control.default
        return st.select_slider(options=grid, format_func=lambda v: f"{v:g}", **default, **common)
    if control.kind == "choice":
        index = {} if key in st.session_state else {"index": control.options.index(control.default)}
        return st.radio(options=control.options, horizontal=True, **index, **common)
    if control.kind == "toggle":
        return st.toggle(**default, **common)
    return st.slider(min_value=control.min, max_value=control.max, step=control.step,
                     **default, **common)


def _on_its_notch(control: Control, value: Any) -> Any:
    """A float slider's value on the notch it is within rounding of.

    The browser moves a slider by adding its step, so a few presses from 0.99 give
    0.9299999999999999: the same notch, which must be the same configuration as
    the notch's own value (the page's cache, `ui.prefetch`, recorded results).
    """
    if control.kind != "float" or not isinstance(value, float) or not math.isfinite(value):
        return value
    notch = control.notches()[control.notch_index(value)]
    return notch if abs(notch - value) <= 1e-9 * control.step else value


def _sync_url(question: Question, values: dict[str, Any]) -> None:
    """Make the address bar a link to exactly this configuration."""
    wanted = {
        control.key: url_state.format_value(control, values[control.key])
        for control in question.controls
        if values[control.key] != control.default
    }
    for key in url_state.APP_URL_KEYS:
        if key in st.query_params:
            wanted[key] = st.query_params[key]
    if _query() != {k: [v] for k, v in wanted.items()}:
        st.query_params.from_dict(wanted)


def draw_presets(question: Question) -> None:
    """The link's warnings and the preset buttons: what a slider move leaves as it is.

    Drawn outside the page's fragment where the layout allows (a preset's click
    reruns the whole page, a slider move only the fragment): every element a slider
    move reruns is sent and redrawn again, ~1.5-2 ms each (q4: 7 elements).
    """
    _apply_url_on_entry(question)
    # One container, whether or not it holds warnings: what follows keeps its
    # place on the page, so the charts below are not redrawn from scratch.
    with st.container():
        for warning in st.session_state.get(_warnings_key(question), ()):
            st.warning(warning, icon=":material/warning:")

    # One wrapping row, not a grid of columns: every element a slider move reruns costs the browser
    # ~1.5-2 ms to redraw (a probe: 36 metrics in rows of columns added ~100 ms to a one-chart page),
    # and q4's 5 presets took 2 blocks and 8 columns besides their buttons.
    if question.presets:
        with st.container(horizontal=True, gap="small"):
            for preset in question.presets:
                st.button(
                    preset.name, help=preset_help(question, preset), on_click=_apply_preset,
                    args=(question, preset), key=f"{question.id}:preset:{preset.name}",
                )


def draw_controls(question: Question, *, columns: int = 2, presets: bool = True) -> dict[str, Any]:
    """Draw the presets (unless drawn already: `draw_presets`) and controls; return `{engine param: safe value}`."""
    if presets:
        draw_presets(question)
    else:
        _apply_url_on_entry(question)
    values: dict[str, Any] = {}
    grid = st.columns(columns)
    for i, control in enumerate(question.controls):
        with grid[i % columns]:
            raw = _draw(question, control)
            value, warning = url_state.clamp(control, _on_its_notch(control, raw))
            if warning:
                st.warning(warning, icon=":material/warning:")
        values[control.key] = value
    _kept(question).update(values)
    _sync_url(question, values)
    return {control.param: values[control.key] for control in question.controls}
