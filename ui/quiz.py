"""The quiz flow every question page shares.

question -> "Show hint" -> a prediction -> the live experiment ->
"Reveal answer": right or wrong, the seed answer, the verdict the page's
own runs give on it, and the explanation.
"""

from __future__ import annotations

import random
import secrets

import streamlit as st

from content.questions import Question, QuestionBank, QuestionFileError, load_bank
from scenarios.evidence import Evidence
from ui import experiments, layout, routes, url_state
from ui.controls import draw_controls

VERDICT_STYLE = {
    "holds": ("success", ":material/check_circle:", "The experiment agrees with it."),
    "holds with a caveat": ("warning", ":material/warning:", "The experiment agrees only in part."),
    "contradicted": ("error", ":material/cancel:", "The experiment contradicts it."),
}


@st.cache_resource(show_spinner=False)
def question_bank() -> QuestionBank:
    """Loaded once per server process; a broken file is listed, not fatal."""
    return load_bank()


_QUIZ_SEED_KEY = "_quiz_seed"


def quiz_seed() -> tuple[int, str | None]:
    """The seed of the choices' order, and a warning for a bad `?quiz_seed=`.

    A good `?quiz_seed=N` in the link wins (a projector and a class that
    open the same link agree); otherwise each browser session draws its
    own once, so the order is stable while the session lasts.
    """
    from_url, warning = url_state.read_quiz_seed(st.query_params.get_all(url_state.QUIZ_SEED_KEY))
    if from_url is not None:
        st.session_state[_QUIZ_SEED_KEY] = from_url
    seed = st.session_state.setdefault(_QUIZ_SEED_KEY, secrets.randbelow(url_state.MAX_QUIZ_SEED + 1))
    return seed, warning


def choice_order(question: Question, seed: int) -> list[int]:
    """The choices' indices in the order shown: shuffled, the same for the same seed and question.

    The bank lists the best-supported choice anywhere; without a shuffle its
    place would give it away.
    """
    order = list(range(len(question.choices)))
    random.Random(f"{seed}:{question.id}").shuffle(order)
    return order


def progress() -> dict[str, dict[str, object]]:
    """Per-question progress of this browser session."""
    return st.session_state.setdefault("progress", {})


def _show_broken_question(question_id: str | None, error: QuestionFileError | None) -> None:
    st.title("This question could not be loaded")
    if error is None:
        st.error(f"There is no question file named {question_id}.toml.")
    else:
        st.error(f"File {error.path.name}, field {error.field}: {error.problem}")
    st.info("The other questions still work: pick one in the menu.")


def question_page(question_id: str | None) -> None:
    bank = question_bank()
    question = bank.by_id(question_id)
    if question is None:
        _show_broken_question(question_id, bank.error_for(f"{question_id}.toml"))
        return
    try:
        experiment = experiments.load(question)
    except QuestionFileError as error:
        _show_broken_question(question_id, error)
        return
    state = progress().setdefault(question.id, {"prediction": None, "revealed": False})

    st.title(f"Question {question.number}: {question.title}")
    st.markdown(question.question)
    if question.code:
        st.code(question.code, language="python")

    if st.toggle("Show hint", key=f"{question.id}:hint"):
        st.info(question.hint, icon=":material/lightbulb:")

    seed, seed_warning = quiz_seed()
    if seed_warning:
        st.warning(seed_warning, icon=":material/warning:")
    labels = [choice.text for choice in question.choices]
    # Options are the bank's indices, so the prediction means the same choice in any order.
    picked = st.radio(
        "Your prediction", choice_order(question, seed), format_func=lambda i: labels[i],
        index=None, key=f"{question.id}:prediction",
    )
    state["prediction"] = picked

    _experiment_and_answer(question, experiment, picked)
    _previous_next(question, bank)


# A fragment: a slider move reruns only the experiment and the answer
# below it (whose numbers come from the experiment), not the question.
@st.fragment
def _experiment_and_answer(question: Question, experiment: experiments.Experiment, picked: int | None) -> None:
    state = progress()[question.id]
    st.header("Experiment")
    values = draw_controls(question)
    evidence: Evidence = experiment.show(question, values)
    layout.share_link()

    st.header("Answer")
    if st.button("Reveal answer", key=f"{question.id}:reveal", type="primary"):
        state["revealed"] = True
    if state["revealed"]:
        _reveal(question, picked, evidence)


def _previous_next(question: Question, bank: QuestionBank) -> None:
    """One question per screen: previous / next, for a projector or a keyboard."""
    numbers = [q.number for q in bank.questions]
    index = numbers.index(question.number)
    left, right = st.columns(2)
    if index > 0:
        previous = bank.questions[index - 1]
        left.page_link(routes.question_page(previous), label=f"Previous: {previous.title}",
                       icon=":material/arrow_back:")
    if index + 1 < len(numbers):
        following = bank.questions[index + 1]
        right.page_link(routes.question_page(following), label=f"Next: {following.title}",
                        icon=":material/arrow_forward:")


def _reveal(question: Question, picked: int | None, evidence: Evidence) -> None:
    correct = question.correct_choice
    if picked is None:
        st.info("You revealed the answer without a prediction.")
    elif picked == correct:
        st.success(f"Your prediction is right. {question.choices[picked].feedback}")
    else:
        st.error(f"Your prediction is not what the runs support. {question.choices[picked].feedback}")
    st.markdown(f"**Best supported answer:** {question.choices[correct].text}")

    st.subheader("The quiz's original answer")
    st.markdown(f"> {question.seed_answer}")
    kind, icon, headline = VERDICT_STYLE[evidence.verdict]
    getattr(st, kind)(f"**Verdict: {evidence.verdict}.** {evidence.caveat or headline}", icon=icon)

    st.subheader("What the experiment shows")
    st.markdown("\n".join(f"- {finding}" for finding in evidence.findings))
    st.subheader("Explanation")
    st.markdown(question.explanation)
