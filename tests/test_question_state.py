"""State a user can trust, and projector mode as a presentation (AppTest)."""

from __future__ import annotations

from content.questions import load_bank
from tests.apptest_helpers import clear_caches, errors, open_page, plotly_data, show_page
from ui import routes
from ui.controls import preset_help

BANK = load_bank()
QUESTION = BANK.questions[0]
MAIN = QUESTION.main_control


def _other_value(control):
    """A value of the control that is not its default."""
    values = control.grid() if control.kind == "log" else (control.min, control.max)
    return next(v for v in values if v != control.default)


def _reveal(at, question):
    at.radio(key=f"{question.id}:prediction").set_value(question.correct_choice).run()
    at.button(key=f"{question.id}:reveal").click().run()


def test_leaving_and_coming_back_keeps_sliders_prediction_and_answer_together():
    clear_caches()
    at = open_page(QUESTION.id)
    moved = _other_value(MAIN)
    widget = at.select_slider if MAIN.kind == "log" else at.slider
    widget(key=f"{QUESTION.id}:{MAIN.key}").set_value(moved).run()
    _reveal(at, QUESTION)
    at.switch_page(routes.HOME_FILE).run()
    assert "Predicted right" in " ".join(c.value for c in at.caption)
    at.query_params.clear()  # a page link drops the query
    show_page(at, QUESTION.id)
    at.run()
    assert errors(at) == []
    assert widget(key=f"{QUESTION.id}:{MAIN.key}").value == moved
    assert at.radio(key=f"{QUESTION.id}:prediction").value == QUESTION.correct_choice
    assert "Best supported answer" in " ".join(m.value for m in at.markdown)


def test_reset_restores_every_default_and_hides_the_answer():
    at = open_page(QUESTION.id)
    widget = at.select_slider if MAIN.kind == "log" else at.slider
    widget(key=f"{QUESTION.id}:{MAIN.key}").set_value(_other_value(MAIN)).run()
    _reveal(at, QUESTION)
    at.button(key=f"{QUESTION.id}:reset").click().run()
    assert errors(at) == []
    for control in QUESTION.controls:
        assert at.session_state[f"{QUESTION.id}:{control.key}"] == control.default, control.key
    assert at.radio(key=f"{QUESTION.id}:prediction").value is None
    assert "Best supported answer" not in " ".join(m.value for m in at.markdown)


def test_the_prediction_is_locked_once_the_answer_is_revealed():
    at = open_page(QUESTION.id)
    _reveal(at, QUESTION)
    radio = at.radio(key=f"{QUESTION.id}:prediction")
    assert radio.disabled
    wrong = next(i for i in range(len(QUESTION.choices)) if i != QUESTION.correct_choice)
    at.session_state[f"{QUESTION.id}:prediction"] = wrong  # a forged change after the reveal
    at.run()
    assert at.radio(key=f"{QUESTION.id}:prediction").value == QUESTION.correct_choice


def test_every_preset_says_what_it_leaves():
    for question in BANK.questions:
        for preset in question.presets:
            text = preset_help(question, preset)
            for control in question.controls:
                if control.key not in preset.values:
                    assert control.label in text, (question.id, preset.name, control.key)


def test_projector_mode_steps_through_three_stages():
    at = open_page(QUESTION.id, {"projector": "1"})
    assert errors(at) == []
    assert at.radio(key=f"{QUESTION.id}:prediction") and not plotly_data(at)  # stage 1: the question
    at.button(key=f"{QUESTION.id}:stage-next").click().run()
    assert plotly_data(at) and at.query_params["stage"] in ("2", ["2"])  # stage 2: the experiment
    assert not [b for b in at.button if b.key == f"{QUESTION.id}:reveal"]
    at.button(key=f"{QUESTION.id}:stage-next").click().run()
    assert errors(at) == [] and not plotly_data(at)  # stage 3: the answer
    at.button(key=f"{QUESTION.id}:reveal").click().run()
    assert any("Verdict" in e.value for e in (*at.success, *at.info, *at.warning))
    at.button(key=f"{QUESTION.id}:stage-back").click().run()
    assert plotly_data(at)


def test_a_link_names_the_stage_and_a_bad_stage_warns():
    at = open_page(QUESTION.id, {"projector": "1", "stage": "2"})
    assert errors(at) == [] and plotly_data(at)
    bad = open_page(QUESTION.id, {"projector": "1", "stage": "9"})
    assert errors(bad) == [] and any("'Stage' (stage)" in w.value for w in bad.warning)


def test_stage_three_shows_the_evidence_of_the_sliders_last_drawn():
    at = open_page(QUESTION.id, {"projector": "1", "stage": "2"})
    widget = at.select_slider if MAIN.kind == "log" else at.slider
    widget(key=f"{QUESTION.id}:{MAIN.key}").set_value(_other_value(MAIN)).run()
    at.button(key=f"{QUESTION.id}:stage-next").click().run()
    at.button(key=f"{QUESTION.id}:reveal").click().run()
    assert errors(at) == []
    at.button(key=f"{QUESTION.id}:stage-back").click().run()
    assert widget(key=f"{QUESTION.id}:{MAIN.key}").value == _other_value(MAIN)
