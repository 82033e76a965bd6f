"""The home page: what the app is, and every question of the bank with progress."""

from __future__ import annotations

import streamlit as st

from ui import routes
from ui.classroom import start_class_button
from ui.quiz import progress, question_bank


def _status(question_id: str, correct: int) -> str:
    state = progress().get(question_id)
    if not state or (state["prediction"] is None and not state["revealed"]):
        return "Not started"
    if not state["revealed"]:
        return "Predicted, answer not revealed"
    if state["prediction"] is None:
        return "Answer revealed (no prediction)"
    return "Predicted right" if state["prediction"] == correct else "Predicted wrong"


def home_page() -> None:
    bank = question_bank()
    st.title("Optimizer Explorer")
    st.markdown(
        "Quiz questions about neural-network optimizers, each turned into a live "
        "TensorFlow experiment. Read the question, commit to a prediction, move the "
        "sliders to rerun real `tf.keras` optimizers, then reveal the answer — and see "
        "whether the quiz's original answer survives the experiment."
    )
    start_class_button()
    done = 0
    for question in bank.questions:
        status = _status(question.id, question.correct_choice)
        done += status.startswith(("Predicted right", "Predicted wrong", "Answer"))
        with st.container(border=True):
            st.page_link(routes.question_page(question),
                         label=f"Question {question.number}: {question.title}", icon=":material/quiz:")
            st.caption(f"{status} · {question.question}")
    st.progress(done / max(len(bank.questions), 1),
                text=f"{done} of {len(bank.questions)} answers revealed")
    for error in bank.errors:
        st.error(f"Question file {error.path.name} could not be loaded — field "
                 f"{error.field}: {error.problem}")
