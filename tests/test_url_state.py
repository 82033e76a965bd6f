"""URL values are parsed and validated without Streamlit: every bad kind gets a warning."""

from __future__ import annotations

import re

import pytest

from tests.bank_defaults import question_for
from ui import url_state

Q1 = question_for("adam_high_learning_rate")
Q5 = question_for("nan_loss")


def read(question, **query):
    return url_state.read_url(question.controls, {k: v if isinstance(v, list) else [v] for k, v in query.items()})


def test_good_values_are_read():
    reading = read(Q1, lr="0.01", steps="200", batch="mini-batch", seed="7")
    assert reading.values == {"lr": 0.01, "steps": 200, "batch": "Mini-batch", "seed": 7}
    assert reading.warnings == ()


def test_log_values_snap_to_the_grid():
    assert read(Q1, lr="0.0009").values["lr"] == 0.001
    assert read(Q1, lr="3e-1").values["lr"] == 0.2  # nearer than 0.5 in log space


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "nan", "NaN", "inf", "-inf", "-1", "1e308", "11", "0", "0x10", "1,5", "<script>alert(1)</script>",
     "x" * 10_000],
)
def test_bad_learning_rates_fall_back_to_the_default_with_a_warning(raw):
    reading = read(Q1, lr=raw)
    assert reading.values["lr"] == Q1.control("lr").default
    assert len(reading.warnings) == 1
    warning = reading.warnings[0]
    assert "Learning rate" in warning and "default" in warning
    assert len(warning) < 300  # a 10 kB value is shortened


@pytest.mark.parametrize("raw", ["2.5", "-3", "1e9", "nan", "ten"])
def test_bad_integers(raw):
    reading = read(Q1, steps=raw)
    assert reading.values["steps"] == Q1.control("steps").default
    assert reading.warnings


def test_bad_choice_and_toggle():
    reading = read(Q5, optimizer="Adamax", clip="maybe")
    assert reading.values == {"optimizer": "Adam", "clip": False}
    assert len(reading.warnings) == 2


def test_repeated_and_unknown_keys_warn():
    reading = read(Q1, lr=["0.1", "5"], evil="1", projector="1")
    assert reading.values == {"lr": 0.1}
    assert any("appears 2 times" in w for w in reading.warnings)
    assert any("Unknown link parameter \\'evil\\'" in w for w in reading.warnings)
    assert len(reading.warnings) == 2  # projector is the app's own key


def test_clamp_brings_forged_widget_values_into_range():
    steps = Q1.control("steps")
    assert url_state.clamp(steps, 10**9) == (1000, url_state.clamp(steps, 10**9)[1])
    assert url_state.clamp(steps, 10**9)[1]
    assert url_state.clamp(steps, 300) == (300, None)
    value, warning = url_state.clamp(steps, float("nan"))
    assert value == steps.default and warning
    value, warning = url_state.clamp(Q1.control("lr"), 1e9)
    assert value == Q1.control("lr").default and warning


def test_user_text_is_inert_in_markdown():
    """Every character Markdown or HTML could act on is backslash-escaped."""
    warning = read(Q1, lr="<img src=x onerror=alert(1)>[link](javascript:alert(1))").warnings[0]
    value = warning[warning.index("(lr): ") + 6 : warning.index(" is not a number")]
    assert re.search(r"(?<!\\)[<>\[\]()=:]", value) is None, value
    assert "\\<img" in value and "\\[link" in value


def test_format_round_trips():
    for question in (Q1, Q5):
        for control in question.controls:
            text = url_state.format_value(control, control.default)
            assert url_state.parse_control_value(control, text) == (control.default, None)
