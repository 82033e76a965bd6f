"""The quiz flow every question page shares.

question -> "Show hint" -> a prediction -> the live experiment ->
"Reveal answer": right or wrong, the seed answer, the verdict the page's
own runs give on it, and the explanation.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping

import streamlit as st

import scenarios
from content.questions import Question, QuestionBank, QuestionFileError, load_bank
from scenarios.evidence import Evidence
from ui import experiments, layout, prefetch, routes, stages, url_state
from ui.controls import current_values, draw_controls, draw_presets, reset_to_defaults

# Verdicts are results, not failures of the app: no red error boxes.
VERDICT_STYLE = {
    "holds": ("success", ":material/check_circle:", "The experiment agrees with it."),
    "holds with a caveat": ("info", ":material/rule:", "The experiment agrees only in part."),
    "contradicted": ("warning", ":material/cancel:", "The experiment contradicts it."),
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
    _restore_question_state(question)

    st.title(f"Question {question.number}: {question.title}")
    if layout.is_projector():
        # One stage per screen: the question, the experiment, the answer.
        stage = stages.stage_bar(question)
        if stage == stages.QUESTION:
            _question_and_prediction(question)
        elif stage == stages.EXPERIMENT:
            _experiment_and_answer(question, experiment, with_answer=False)
        else:
            _answer_stage(question)
    else:
        _question_and_prediction(question)
        # Outside the fragment: a slider move does not send them again.
        st.header("Experiment")
        draw_presets(question)
        _experiment_and_answer(question, experiment, with_answer=True)
        if not _state(question)["revealed"]:
            _answer(question, evidence=None)  # its heading and button, outside the fragment too
    _reset_and_neighbours(question, bank)


def _state(question: Question) -> dict[str, object]:
    return progress().setdefault(question.id, {"prediction": None, "revealed": False, "hint": False})


def _restore_question_state(question: Question) -> None:
    """Widgets a run did not draw lose their value: bring back the prediction and the hint."""
    state = _state(question)
    for key, kept in ((f"{question.id}:prediction", state["prediction"]), (f"{question.id}:hint", state["hint"])):
        if key not in st.session_state and kept is not None:
            st.session_state[key] = kept


def _question_and_prediction(question: Question) -> None:
    # One container: the hint's box appearing inside it moves nothing below it.
    with st.container():
        st.markdown(question.question)
        if question.code:
            st.code(question.code, language="python", wrap_lines=True)
        _hint(question)
        _prediction(question)


# Fragments: the hint and the prediction rerun on their own, never the charts.
@st.fragment
def _hint(question: Question) -> None:
    shown = st.toggle("Show hint", key=f"{question.id}:hint")
    _state(question)["hint"] = shown
    if shown:
        st.info(question.hint, icon=":material/lightbulb:")


@st.fragment
def _prediction(question: Question) -> None:
    state = _state(question)
    seed, seed_warning = quiz_seed()
    if seed_warning:
        st.warning(seed_warning, icon=":material/warning:")
    key = f"{question.id}:prediction"
    if state["revealed"] and st.session_state.get(key) != state["prediction"]:
        st.session_state[key] = state["prediction"]  # a click after the reveal changes nothing
    labels = [choice.text for choice in question.choices]
    # Options are the bank's indices, so the prediction means the same choice in any order.
    state["prediction"] = st.radio(
        "Your prediction", choice_order(question, seed), format_func=lambda i: labels[i],
        index=None, key=key,
        # Committed once the answer is out: a prediction made after seeing it is no prediction.
        disabled=bool(state["revealed"]),
    )


# A fragment: a slider move reruns only the experiment and the answer
# below it (whose numbers come from the experiment), not the question.
@st.fragment
def _experiment_and_answer(question: Question, experiment: experiments.Experiment, *, with_answer: bool) -> None:
    if layout.is_projector():
        # The sliders beside the main chart: both on one screen.
        controls_column, chart_column = st.columns([2, 3])
        with controls_column:
            values = draw_controls(question, columns=1)
        with chart_column:
            main_chart = st.container()
            # The rest of the experiment folds away: one stage, one screen.
            experiments.show_source(question, values)
            with st.expander("More from this experiment: numbers, other charts, code"), \
                    layout.main_chart_first(main_chart):
                evidence = experiment.show(question, values)
    else:
        values = draw_controls(question, presets=False)  # drawn above the fragment
        experiments.show_source(question, values)
        evidence = experiment.show(question, values)
    prefetch.after_run(question, experiment, values)
    layout.share_link()
    # Once revealed, the answer follows the sliders, so it is drawn in the fragment. Before that
    # the page draws only its heading and button, below the fragment: two elements fewer to
    # send and redraw at every slider move.
    if with_answer and _state(question)["revealed"]:
        _answer(question, evidence)


def _answer_stage(question: Question) -> None:
    """The answer on its own screen: the evidence of the run the sliders last showed."""
    _answer(question, lambda: evidence_at(question, current_values(question)))


def evidence_at(question: Question, values: Mapping[str, object]) -> Evidence:
    """The verdict and findings of the question's experiment at `{engine param: value}`, without drawing it."""
    return _evidence(question.scenario, tuple(sorted(values.items())))


@st.cache_data(max_entries=64, show_spinner="Running the experiment…")
def _evidence(scenario: str, values: tuple[tuple[str, object], ...]) -> Evidence:
    engine = scenarios.load(scenario)
    return engine.evidence(engine.run(engine.Params(**dict(values))))


def _answer(question: Question, evidence: experiments.EvidenceOnRequest | None) -> None:
    """The answer's heading and button, and once revealed the answer (`evidence` is read only then)."""
    state = _state(question)
    st.header("Answer")
    # A callback: the click's own run, a whole-page one, already shows the prediction locked.
    st.button("Reveal answer", key=f"{question.id}:reveal", type="primary", disabled=bool(state["revealed"]),
              on_click=_mark_revealed, args=(question,))
    if state["revealed"] and evidence is not None:
        _reveal(question, state["prediction"], evidence())


def _mark_revealed(question: Question) -> None:
    _state(question)["revealed"] = True


def _reset_and_neighbours(question: Question, bank: QuestionBank) -> None:
    st.button("Reset this question", key=f"{question.id}:reset", icon=":material/restart_alt:",
              on_click=_reset, args=(question,),
              help="Every slider back to its default; prediction, hint and answer hidden again.")
    _previous_next(question, bank)


def _reset(question: Question) -> None:
    reset_to_defaults(question)
    progress()[question.id] = {"prediction": None, "revealed": False, "hint": False}
    st.session_state[f"{question.id}:prediction"] = None
    st.session_state[f"{question.id}:hint"] = False
    stages.reset(question)


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


def _reveal(question: Question, picked: object, evidence: Evidence) -> None:
    correct = question.correct_choice
    if picked is None:
        st.info("You revealed the answer without a prediction.")
    elif picked == correct:
        st.success(f"Your prediction is right. {question.choices[picked].feedback}")
    else:
        # A wrong prediction is a result, not a failure of the app: no red box.
        st.warning(f"Your prediction is not what the runs support. {question.choices[picked].feedback}",
                   icon=":material/psychology_alt:")
    show_answer(question, evidence)


def show_answer(question: Question, evidence: Evidence, *, choice_prefix: str = "") -> None:
    """The best-supported answer, the verdict on the quiz's original answer (its caveat first), the evidence,
    the explanation."""
    st.markdown(f"**Best supported answer:** {choice_prefix}{question.choices[question.correct_choice].text}")
    st.subheader("The quiz's original answer")
    st.markdown(f"> {question.seed_answer}")
    kind, icon, headline = VERDICT_STYLE[evidence.verdict]
    getattr(st, kind)(f"**Verdict: {evidence.verdict}.** {evidence.caveat or headline}", icon=icon)

    st.subheader("What the experiment shows")
    st.markdown("\n".join(f"- {finding}" for finding in evidence.findings))
    st.subheader("Explanation")
    st.markdown(question.explanation)
