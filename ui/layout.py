"""Page-wide presentation: normal or projector mode, and chart output.

Projector mode (`?projector=1` or the sidebar toggle) means large type,
thick lines, high contrast and a wide layout, for the back of a classroom.
"""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import streamlit as st

from charts import ChartStyle
from ui import chart_in_place, url_state

PROJECTOR_KEY = url_state.PROJECTOR_KEY

# Shipped with the app: a ":material/...:" icon made the browser fetch a font from
# fonts.gstatic.com, which a classroom without internet cannot reach. Inline, not a file
# path: Streamlit serves a file from /media/, and the browser fetched it again at every
# rerun (every slider move: one more request for the server to answer). Read once per
# process here, not in app.py, which runs again at every full rerun.
PAGE_ICON = "data:image/png;base64," + base64.b64encode(
    (Path(__file__).resolve().parent.parent / "assets" / "icon.png").read_bytes()).decode("ascii")
# A bad `?projector=` value: shown on the page it was opened on.
_PROJECTOR_WARNING_KEY = "_projector_warning"

# Large type, but one stage must fit a 1024×768 screen: headings and
# metric values are sized so that the sliders and the main chart share it.
_PROJECTOR_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 22px; }
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem; padding-bottom: 1rem; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stWidgetLabel"] p, .stRadio label p, .stButton button p { font-size: 1.1rem !important; }
h1 { font-size: 1.7rem !important; padding-top: 0 !important; }
h2 { font-size: 1.35rem !important; }
h3 { font-size: 1.2rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p { font-size: 1.9rem !important; }
[data-testid="stMetricLabel"] * { white-space: normal !important; overflow: visible !important; }
[data-testid="stAppViewContainer"] { color: #000000; background: #ffffff; }
code { font-size: 1.0rem !important; }
.chart-in-place-caption { font-size: 1.0rem; opacity: 0.8; }
/* Two preset buttons a row beside the chart: with the default padding "momentum" broke mid-word. */
.stButton button { padding-left: 0.35rem !important; padding-right: 0.35rem !important; }
</style>
"""


def is_projector() -> bool:
    return bool(st.session_state.get(PROJECTOR_KEY, False))


def init_projector_from_url() -> None:
    """Read `?projector=1` once per session (the toggle owns it after that)."""
    if PROJECTOR_KEY not in st.session_state:
        on, warning = url_state.read_projector(st.query_params.get_all(PROJECTOR_KEY))
        st.session_state[PROJECTOR_KEY] = on
        if warning:
            st.session_state[_PROJECTOR_WARNING_KEY] = warning


def show_projector_warning() -> None:
    """The warning for a bad `?projector=` value, until the visitor moves to another page."""
    if warning := st.session_state.get(_PROJECTOR_WARNING_KEY):
        st.warning(warning, icon=":material/warning:")


def forget_projector_warning() -> None:
    st.session_state.pop(_PROJECTOR_WARNING_KEY, None)


def sync_projector_to_url() -> None:
    if is_projector():
        st.query_params[PROJECTOR_KEY] = "1"
    elif PROJECTOR_KEY in st.query_params:
        del st.query_params[PROJECTOR_KEY]


# Every mode: a focus ring a keyboard user can see, and button labels that
# wrap instead of ending in "…".
_PAGE_CSS = """
<style>
:focus-visible, [role="slider"]:focus { outline: 3px solid #0072B2 !important; outline-offset: 2px; }
.stButton button p, [data-testid="stPageLink"] p { white-space: normal !important; overflow-wrap: break-word; }
[data-testid="stCode"] pre, [data-testid="stCode"] code { white-space: pre-wrap !important; }
/* A chart's text description (ui/chart_in_place.js), set as st.caption is. */
.chart-in-place-figure { margin: 0; }
.chart-in-place-caption { font-size: 0.875rem; line-height: 1.5; opacity: 0.6; margin-top: 0.25rem; }
</style>
"""


def apply_page_style() -> None:
    st.html(_PAGE_CSS + (_PROJECTOR_CSS if is_projector() else ""))


def expected_outcome(text: str) -> None:
    """A run's notable outcome (it diverged, went NaN, stalled): a result to read, not an app error."""
    st.info(text, icon=":material/science:")


def on_request(label: str, *, key: str) -> bool:
    """A switch, off by default, for a chart drawn only when the student asks for it.

    The browser redraws every chart of the experiment at each slider move: a
    page with five charts took 3.6x as long as a one-chart app to settle after
    a key press (benchmarks/browser_latency.py). Each page shows its main chart;
    the others are a switch away, and stay on once switched on.
    """
    return st.toggle(label, key=key)


def more_from_the_experiment(what: str, *, key: str) -> bool:
    """One switch, under the main chart, for the rest of a long experiment: its other sections.

    Everything an experiment draws is sent again and redrawn by the browser at every
    slider move. Measured on q3 (one probe, 20 key presses on its main slider, the
    floor app at ~190 ms): ~480 ms a press with every section drawn, ~290 ms with the
    table and the three later sections behind this switch.
    """
    return on_request(f"Show the rest of this experiment: {what}", key=key)


def chart_style() -> ChartStyle:
    return ChartStyle.projector() if is_projector() else ChartStyle()


def chart_columns() -> tuple:
    """Two charts side by side; one above the other on a projector.

    At projector type sizes a half-width chart clips its own title and
    squeezes its axes: there each chart gets the full width.
    """
    if is_projector():
        return st.container(), st.container()
    left, right = st.columns(2)
    return left, right


def metric_columns(count: int) -> list:
    """Where each of `count` metrics goes: one wrapping row, or two a row on a projector.

    One row container, not a column per metric: a slider move reruns every element, and a
    column is one more for the browser to redraw (5 metrics: 6 elements instead of 11).

    At projector type sizes a quarter-width column (~190 px) cut a metric's
    label to a dozen characters ("Steps to conver…"), and a 77-px value such
    as "8.48e+04" is ~300 px wide.
    """
    if not is_projector():
        return [st.container(horizontal=True, gap="medium")] * count
    columns: list = []
    while len(columns) < count:
        columns += st.columns(2)
    return columns[:count]


CODE_AND_DATA_LABEL = "Show code and data: reproduce this chart in plain TensorFlow, download its curves"


def show_code_and_download(code: Callable[[], str], curves, *, file_name: str, key: str) -> None:
    """'Show code' (reproduces the chart; `code` makes it, only when shown) and the plotted curves as CSV.

    Both behind one switch, not an expander: an expander's content is in the page even
    when folded, and the browser redrew the highlighted code (~500 DOM nodes; its
    parameter block changes with the sliders) at every move (q1, one probe of 20 key
    presses: ~365 -> ~290 ms a press). The download button beside the switch was one
    element more for every slider move to send and redraw.
    """
    if not on_request(CODE_AND_DATA_LABEL, key=f"{key}:show-code"):
        return
    st.caption("Self-contained: paste it into a Python file or notebook. It runs the same "
               "optimizer eagerly; the app runs it in an XLA-compiled loop, so the last "
               "digits can differ by float32 rounding.")
    st.code(code(), language="python")  # ~3 ms to fill in (q3, py-spy): not at every slider move
    st.download_button(
        # Made on click, not on every slider move (pandas' to_csv: ~3% of the server's time).
        "Download the plotted curves (CSV)", data=lambda: curves.to_csv(index=False).encode(),
        file_name=file_name, mime="text/csv", key=key, icon=":material/download:",
    )


def share_link() -> None:
    """The address of exactly this configuration, with a copy button, behind a switch.

    A switch, not an expander, for the reason `show_code_and_download` gives: a folded
    expander is three elements (its block, the caption, the code) that every slider move
    sends and redraws; a switch that is off is one.
    """
    base = st.context.url
    if not base:
        return
    if not st.toggle("Share this configuration: show its link", key="share-link"):
        return
    query = "&".join(f"{key}={quote(value)}" for key, value in st.query_params.items())
    st.caption("Opening this link shows the same sliders and the same numbers. "
               "Use the copy button at the right of the box.")
    st.code(f"{base}?{query}" if query else base, language=None)


# The script run's place for its main chart (projector stage 2); one per thread,
# as Streamlit runs each session's script on a thread of its own.
_main_chart = threading.local()


@contextlib.contextmanager
def main_chart_first(slot) -> Iterator[None]:
    """Inside this block, the first chart drawn goes into `slot`, wherever it is drawn.

    The experiments draw text and metrics before their main chart; on a
    projector the main chart must stand beside the sliders, above the rest.
    """
    _main_chart.slot = slot
    try:
        yield
    finally:
        _main_chart.slot = None


def show_chart(figure, *, alt_text: str, key: str) -> None:
    """A plotly chart with its text description for screen readers."""
    slot, _main_chart.slot = getattr(_main_chart, "slot", None), None
    with slot if slot is not None else contextlib.nullcontext():
        # No toolbar: its eight buttons were eight tab stops per chart (45 Tab
        # presses to reach the second chart); the curves download as CSV below.
        chart_in_place.draw(figure, caption=alt_text, key=key, config={"displayModeBar": False})
