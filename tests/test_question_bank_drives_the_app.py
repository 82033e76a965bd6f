"""The question bank is the app's only registry: a file added is a page, a file broken is named.

Each test copies the real bank into a temporary folder
(OPTIMIZER_EXPLORER_QUESTIONS_DIR) and changes only that copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from content.questions import QUESTIONS_DIR, QUESTIONS_DIR_VARIABLE, QuestionBank, load_bank
from tests.apptest_helpers import clear_caches, errors, open_page, plotly_data
from ui import experiments, warmup
from ui.quiz import question_bank

NEW_ID = "q99_same_experiment_other_presets"


@pytest.fixture
def bank_copy(tmp_path, monkeypatch) -> Iterator[Path]:
    for path in QUESTIONS_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setenv(QUESTIONS_DIR_VARIABLE, str(tmp_path))
    question_bank.clear()
    clear_caches()
    yield tmp_path
    question_bank.clear()


def _copy_with_new_id(bank_dir: Path) -> Path:
    """An existing question under a new id and number, same scenario, one preset of its own."""
    original = load_bank().questions[0]
    text = original.path.read_text(encoding="utf-8")
    text = text.replace(f'id = "{original.id}"', f'id = "{NEW_ID}"', 1)
    text = text.replace(f"number = {original.number}\n", "number = 99\n", 1)
    main = original.main_control
    text += (f'\n[[presets]]\nname = "Smallest {main.label.lower()}"\n'
             f'description = "The {main.label.lower()} slider at its minimum."\n'
             f"values = {{ {main.key} = {main.grid()[0] if main.kind == 'log' else main.min!r} }}\n")
    path = bank_dir / f"{NEW_ID}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_new_toml_file_is_a_page_that_warms_runs_and_reveals(bank_copy):
    _copy_with_new_id(bank_copy)
    bank = load_bank()
    assert bank.errors == () and bank.questions[-1].id == NEW_ID
    new = bank.questions[-1]

    home = open_page()
    labels = [element.proto.label for element in home.get("page_link")]
    assert labels[-1] == f"Question 99: {new.title}"

    assert warmup.warm_all(QuestionBank((new,), ())) == [NEW_ID]
    experiments.load(new)  # checked against the engine like every question

    at = open_page(NEW_ID)
    assert errors(at) == [] and at.title[0].value == f"Question 99: {new.title}"
    assert plotly_data(at)
    preset = new.presets[-1]
    at.button(key=f"{NEW_ID}:preset:{preset.name}").click().run()
    at.radio(key=f"{NEW_ID}:prediction").set_value(0).run()
    at.button(key=f"{NEW_ID}:reveal").click().run()
    assert errors(at) == []
    assert "Best supported answer" in " ".join(m.value for m in at.markdown)


def test_a_broken_file_gets_a_named_error_page_and_the_others_still_work(bank_copy):
    questions = load_bank().questions
    broken, removed, working = questions[0], questions[1], questions[-1]
    path = bank_copy / broken.path.name
    path.write_text(path.read_text().replace(f'label = "{broken.controls[0].label}"', "label = 7", 1),
                    encoding="utf-8")
    (bank_copy / removed.path.name).unlink()

    at = open_page(broken.id)
    assert errors(at) == []
    message = " ".join(e.value for e in at.error)
    assert broken.path.name in message and "controls[0].label" in message
    home = open_page()
    assert broken.path.name in " ".join(e.value for e in home.error)
    assert not any(removed.title in element.proto.label for element in home.get("page_link"))
    assert errors(open_page(working.id)) == []


def test_an_unknown_scenario_is_named_on_its_page(bank_copy):
    question = load_bank().questions[0]
    path = bank_copy / question.path.name
    path.write_text(path.read_text().replace(f'scenario = "{question.scenario}"', 'scenario = "no_such_one"', 1),
                    encoding="utf-8")
    at = open_page(question.id)
    assert errors(at) == []
    message = " ".join(e.value for e in at.error)
    assert question.path.name in message and "scenario" in message and "no_such_one" in message


def test_a_control_the_engine_refuses_is_named(bank_copy):
    """The TOML holds the range; the engine's hard caps are checked against it once."""
    question = next(q for q in load_bank().questions if any(c.key == "steps" for c in q.controls))
    index = next(i for i, c in enumerate(question.controls) if c.key == "steps")
    path = bank_copy / question.path.name
    steps = question.control("steps")
    path.write_text(path.read_text().replace(f"max = {steps.max}\n", "max = 100000000\n", 1), encoding="utf-8")
    at = open_page(question.id)
    assert errors(at) == []
    message = " ".join(e.value for e in at.error)
    assert f"controls[{index}].max" in message and "refused by the engine" in message
