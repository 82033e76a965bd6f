"""The question bank: every question loads, and broken files are named."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pytest

from content.questions import QUESTIONS_DIR, QuestionFileError, load_bank, load_question
from tests.bank_defaults import question_for

SEED_FILE = Path(__file__).resolve().parents[2] / "shared" / "seed-questions.txt"


def test_every_question_file_loads():
    bank = load_bank()
    assert bank.errors == ()
    assert len(bank.questions) == len(list(QUESTIONS_DIR.glob("*.toml")))
    assert [q.number for q in bank.questions] == sorted({q.number for q in bank.questions})
    for question in bank.questions:
        assert sum(c.correct for c in question.choices) == 1
        assert 3 <= len(question.choices) <= 4
        assert question.presets


def test_seed_text_is_kept_verbatim():
    """The seed's hint (quoted, labelled, beside what the runs show) and answer survive into the bank."""
    if not SEED_FILE.exists():
        pytest.skip("shared/seed-questions.txt is not beside this checkout")
    seed = SEED_FILE.read_text(encoding="utf-8")
    for question in load_bank().questions:
        quoted = re.search(r"The original quiz's hint: “(.+?)”", question.hint)
        assert quoted and quoted.group(1) in seed, question.id
        assert question.seed_answer in seed


def test_question_code_is_formatted_python():
    """The seed squashed the snippet onto one line; the bank has real code."""
    question = question_for("rmsprop_first_step")
    compile(question.code, question.id, "exec")
    assert question.code.count("\n") > 10


def test_log_grid_contains_round_numbers():
    lr = question_for("adam_high_learning_rate").control("lr")
    grid = lr.grid()
    assert grid[0] == pytest.approx(1e-4) and grid[-1] == pytest.approx(10.0)
    assert 0.001 in grid and 1.0 in grid
    ratios = [b / a for a, b in zip(grid, grid[1:], strict=False)]
    assert all(1.9 < r < 2.6 for r in ratios), ratios
    assert all(math.log10(v) <= 1 for v in grid)


GOOD = question_for("rmsprop_first_step").path


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = GOOD.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        (f'id = "{GOOD.stem}"\n', "", "id", "is missing"),
        ("number = 2", 'number = "two"', "number", "must be an integer"),
        ("number = 2", "number = true", "number", "boolean"),
        ('title = "RMSprop\'s first printed loss"', 'title = "   "', "title", "must not be empty"),
        ("correct = true", "correct = false", "choices", "exactly one"),
        ("max = 9999", "max = -1", "controls[0].max", "greater than min"),
        ("default = 42", "default = 100000", "controls[0].default", "outside"),
        ('kind = "log"', 'kind = "logarithmic"', "controls[1].kind", "not one of"),
        ("default = 0.01", "default = 0.03", "controls[1].default", "log grid"),
        ('key = "seed"', 'key = "projector"', "controls[0].key", "URL key"),
        ("values = { seed = 42, lr = 0.01, steps = 100 }", "values = { seed = 42, learning = 1 }",
         "presets[0].values.learning", "names no control"),
        ("values = { seed = 12,", "values = { seed = -5,", "presets[1].values.seed", "not a valid value"),
        ('hint = "', 'hnt = "', "hnt", "not a known field"),
        ("[[choices]]", "[[choices", "(file)", "not valid TOML"),
        ("min = 0.0001", "min = nan", "controls[1].min", "finite"),
    ],
)
def test_malformed_file_names_file_and_field(tmp_path, old, new, field, problem):
    path = _broken(tmp_path, old, new)
    with pytest.raises(QuestionFileError) as error:
        load_question(path)
    assert error.value.path == path
    assert error.value.field == field
    assert str(error.value).startswith(f"broken.toml: {field}:")
    if problem:
        assert problem in error.value.problem


def test_missing_and_undecodable_files(tmp_path):
    with pytest.raises(QuestionFileError, match="does not exist"):
        load_question(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe title")
    with pytest.raises(QuestionFileError, match="cannot be read"):
        load_question(bad)


def test_one_broken_file_leaves_the_others_loading(tmp_path):
    for path in QUESTIONS_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    good = load_bank().questions
    broken = good[len(good) // 2]
    (tmp_path / broken.path.name).write_text('id = "x"\n', encoding="utf-8")
    bank = load_bank(tmp_path)
    assert [q.number for q in bank.questions] == [q.number for q in good if q is not broken]
    assert bank.error_for(broken.path.name).field == "number"


def test_unknown_scenario_and_main_control_are_named(tmp_path):
    for old, new, field in (('scenario = "rmsprop_first_step"', 'scenario = "no_such_scenario"', "scenario"),
                            ('main_control = "seed"', 'main_control = "nope"', "main_control")):
        with pytest.raises(QuestionFileError) as error:
            load_question(_broken(tmp_path, old, new))
        assert error.value.field == field


def test_duplicate_ids_are_rejected(tmp_path):
    shutil.copy(GOOD, tmp_path / "a.toml")
    shutil.copy(GOOD, tmp_path / "b.toml")
    bank = load_bank(tmp_path)
    assert len(bank.questions) == 1
    assert "clashes with a.toml" in str(bank.errors[0])
