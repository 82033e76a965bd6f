"""Projector mode as a presentation: one stage per screen.

1. the question, its code and the choices;
2. the experiment: sliders and presets beside the main chart;
3. the answer: verdict, its caveat, the explanation.

The presenter steps through them with on-screen buttons or the keys a
clicker sends (PageDown / PageUp; arrow keys stay with a focused slider).
A link may name the stage (`?stage=2`); a bad value warns like every other.
"""

from __future__ import annotations

import streamlit as st

from content.questions import Question
from ui import url_state

QUESTION, EXPERIMENT, ANSWER = 1, 2, 3
NAMES = {QUESTION: "Question", EXPERIMENT: "Experiment", ANSWER: "Answer"}


def _key(question: Question) -> str:
    return f"_stage:{question.id}"


def current(question: Question) -> int:
    """This question's stage: from the link on the first visit, then from the buttons."""
    key = _key(question)
    if key not in st.session_state:
        stage, warning = url_state.read_stage(st.query_params.get_all(url_state.STAGE_KEY))
        st.session_state[key] = stage
        if warning:
            st.session_state[f"{key}:warning"] = warning
    return st.session_state[key]


def _go(question: Question, stage: int) -> None:
    st.session_state[_key(question)] = stage
    st.session_state.pop(f"{_key(question)}:warning", None)


def reset(question: Question) -> None:
    _go(question, QUESTION)


def stage_bar(question: Question) -> int:
    """Back / 'Stage k of 3' / Next, with clicker keys; returns the stage to draw."""
    stage = current(question)
    back, where, forward = st.columns([3, 4, 3], vertical_alignment="center")
    back.button(f"← {NAMES[stage - 1]}" if stage > QUESTION else "←", key=f"{question.id}:stage-back",
                on_click=_go, args=(question, stage - 1), disabled=stage == QUESTION,
                shortcut="PageUp", use_container_width=True, help="Previous stage (PageUp)")
    where.markdown(f"**{stage} / {len(NAMES)}: {NAMES[stage]}**", text_alignment="center")
    forward.button(f"{NAMES[stage + 1]} →" if stage < ANSWER else "→", key=f"{question.id}:stage-next",
                   on_click=_go, args=(question, stage + 1), disabled=stage == ANSWER,
                   shortcut="PageDown", use_container_width=True, help="Next stage (PageDown)")
    if warning := st.session_state.get(f"{_key(question)}:warning"):
        st.warning(warning, icon=":material/warning:")
    # The address bar names the stage, so a link opens this very screen.
    if stage == QUESTION:
        st.query_params.pop(url_state.STAGE_KEY, None)
    else:
        st.query_params[url_state.STAGE_KEY] = str(stage)
    return stage
