"""The real app under AppTest: every page runs, sliders rerun, answers reveal."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from content.questions import load_bank
from scenarios import rmsprop_first_step as engine
from tests.apptest_helpers import (
    QUESTION_IDS,
    charts,
    clear_caches,
    errors,
    open_page,
    plotly_data,
    switch_everything_on,
)
from tests.bank_defaults import default_params, question_for
from ui import routes

Q2 = question_for("rmsprop_first_step").id


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield


def test_home_page_lists_every_question_without_tensorflow():
    at = open_page()
    assert errors(at) == []
    assert at.title[0].value == "Optimizer Explorer"
    links = [element.proto.label for element in at.get("page_link")]
    bank = load_bank()
    assert links == [f"Question {q.number}: {q.title}" for q in bank.questions]


@pytest.mark.parametrize("question_id", list(QUESTION_IDS))
def test_every_question_page_runs_and_reveals(question_id):
    at = open_page(question_id)
    assert errors(at) == []
    assert at.title[0].value.startswith("Question")
    assert plotly_data(at), "the experiment draws at least one chart"
    at.toggle(key=f"{question_id}:hint").set_value(True).run()
    assert at.info, "the hint is shown"
    at.radio(key=f"{question_id}:prediction").set_value(0).run()
    at.button(key=f"{question_id}:reveal").click().run()
    assert errors(at) == []
    text = " ".join(m.value for m in at.markdown)
    assert "Best supported answer" in text
    verdicts = [e.value for e in (*at.success, *at.info, *at.warning) if "Verdict" in e.value]
    assert len(verdicts) == 1


def test_q2_seed_changes_printed_loss_to_the_engines_value():
    at = open_page(Q2)
    metric = next(m for m in at.metric if m.label == "Printed loss")
    assert float(metric.value) == engine.run(default_params("rmsprop_first_step")).printed_loss
    before = plotly_data(at)
    at.slider(key=f"{Q2}:seed").set_value(1234).run()
    metric = next(m for m in at.metric if m.label == "Printed loss")
    expected = engine.run(default_params("rmsprop_first_step", seed=1234)).printed_loss
    assert float(metric.value) == expected
    assert plotly_data(at) != before
    assert at.query_params["seed"] in ("1234", ["1234"])


def test_q2_slider_labels():
    at = open_page(Q2)
    assert {s.label for s in at.slider} == {"Seed", "Steps"}
    assert [s.label for s in at.select_slider] == ["Learning rate"]


def test_progress_shows_on_home_page():
    at = open_page(Q2)
    correct = question_for("rmsprop_first_step").correct_choice
    at.radio(key=f"{Q2}:prediction").set_value(correct).run()
    at.button(key=f"{Q2}:reveal").click().run()
    at.switch_page(routes.HOME_FILE).run()
    captions = " ".join(c.value for c in at.caption)
    assert "Predicted right" in captions


@pytest.mark.parametrize("question_id", list(QUESTION_IDS))
def test_link_round_trip_reopens_the_same_configuration(question_id):
    """Click a preset, take the URL it leaves, open it fresh: same widgets, same charts."""
    from ui.url_state import format_value

    question = load_bank().by_id(question_id)
    preset = question.presets[-1]
    at = open_page(question_id)
    at.button(key=f"{question_id}:preset:{preset.name}").click().run()
    assert errors(at) == []
    link = {key: (value if isinstance(value, str) else value[0]) for key, value in at.query_params.items()}
    for key, value in preset.values.items():
        control = question.control(key)
        if value != control.default:
            assert link[key] == format_value(control, value)
    clear_caches()
    reopened = open_page(question_id, link)
    assert errors(reopened) == [] and [w.value for w in reopened.warning] == []
    for control in question.controls:
        key = f"{question_id}:{control.key}"
        assert reopened.session_state[key] == at.session_state[key], control.key
    assert plotly_data(reopened) == plotly_data(at)


def test_keras_state_survives_script_runs():
    """Streamlit would call keras.backend.clear_session() after every run (ui/keras_between_runs.py)."""
    at = open_page(Q2)
    from keras.src.backend.common import global_state

    before = global_state.GLOBAL_STATE_TRACKER
    at.slider(key=f"{Q2}:seed").set_value(7).run()
    assert errors(at) == []
    assert global_state.GLOBAL_STATE_TRACKER is before


@pytest.mark.parametrize("projector", [False, True])
@pytest.mark.parametrize("question_id", list(QUESTION_IDS))
def test_every_chart_is_a_valid_plotly_figure(question_id, projector):
    """The app skips plotly's validation on every slider move (charts.figure); here it runs.

    Every toggle is switched on first, so the charts drawn on request are checked too; and
    in projector mode, whose charts add wrapped titles and category ticks.
    """
    # In projector mode the charts are the experiment's stage (2).
    at = switch_everything_on(open_page(question_id, {"projector": "1", "stage": "2"} if projector else None))
    assert errors(at) == []
    specs = plotly_data(at)
    assert specs
    for spec in specs:
        go.Figure(json.loads(spec))  # raises ValueError on an unknown or invalid property


@pytest.mark.parametrize("projector", [False, True])
def test_charts_sit_side_by_side_except_on_a_projector(projector):
    at = switch_everything_on(
        open_page(question_for("momentum_valley").id, {"projector": "1", "stage": "2"} if projector else None)
    )
    assert errors(at) == []
    # Side by side: a chart in one of two equal columns (weight 0.5).
    halves = [column for column in at.columns if abs(column.proto.weight - 0.5) < 1e-6]
    in_pairs = sum(len(charts(column)) for column in halves)
    assert in_pairs == (0 if projector else 4)


def test_q3_names_only_the_tuned_runs_that_stopped():
    """One stopped run makes pandas hold the column as floats: the others are NaN, not "step nan"."""
    import pandas as pd

    from ui.experiments.sparse_gradients import stopped_runs

    rows = pd.DataFrame([{"label": "SGD", "first_nonfinite_step": None},
                         {"label": "Adam", "first_nonfinite_step": 12}]).to_dict("records")
    assert stopped_runs(rows) == [("Adam", 12)]
    none_stopped = pd.DataFrame([{"label": "SGD", "first_nonfinite_step": None}]).to_dict("records")
    assert stopped_runs(none_stopped) == []
