"""Hostile links, forged widget values, concurrent sessions and bounded memory."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from content.questions import load_bank
from scenarios import rmsprop_first_step as q2
from scenarios.rmsprop_first_step import engine as q2_engine
from tests.apptest_helpers import QUESTION_IDS, clear_caches, errors, open_page
from tests.bank_defaults import default_params, question_for

BANK = load_bank()
Q2 = question_for("rmsprop_first_step").id
HOSTILE_VALUES = ["", "abc", "nan", "-inf", "inf", "-1", "1e308", "99999999", "1" * 10_000,
                  "<script>alert(1)</script>", "[x](javascript:alert(1))"]


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield


def _warnings(at) -> list[str]:
    return [w.value for w in at.warning]


@pytest.mark.parametrize("question_id", list(QUESTION_IDS))
def test_every_hostile_value_of_every_url_key_warns_and_falls_back(question_id):
    """Each hostile value is put in every key of the page's link at once."""
    question = BANK.by_id(question_id)
    for raw in HOSTILE_VALUES:
        at = open_page(question_id, {control.key: raw for control in question.controls})
        assert errors(at) == [], raw[:20]
        shown = " ".join(_warnings(at))
        for control in question.controls:
            assert f"'{control.label}' ({control.key})" in shown, (control.key, raw[:20])
            assert at.session_state[f"{question_id}:{control.key}"] == control.default
        assert "<script>" not in shown and "](javascript" not in shown
        assert len(shown) < 300 * len(question.controls), "a 10 kB value is shortened"


def test_repeated_unknown_and_many_bad_keys_at_once():
    at = open_page(Q2,
                   {"seed": ["5", "6"], "lr": "NaN", "steps": "-3", "evil": "1", "x" * 200: "y"})
    assert errors(at) == []
    shown = " ".join(_warnings(at))
    assert "appears 2 times" in shown
    assert "Unknown link parameter" in shown
    assert "Learning rate" in shown and "Steps" in shown
    metric = next(m for m in at.metric if m.label == "Printed loss")
    assert float(metric.value) == q2.run(default_params("rmsprop_first_step", seed=5)).printed_loss


def test_good_link_reopens_the_same_configuration():
    at = open_page(Q2, {"seed": "77", "lr": "0.1", "steps": "250"})
    assert _warnings(at) == []
    assert at.slider(key=f"{Q2}:seed").value == 77
    assert at.select_slider(key=f"{Q2}:lr").value == 0.1
    metric = next(m for m in at.metric if m.label == "Printed loss")
    assert float(metric.value) == q2.run(q2.RMSpropFirstStepParams(seed=77, learning_rate=0.1, steps=250)).printed_loss


def test_forged_out_of_range_widget_values_are_clamped_on_the_server():
    at = open_page(Q2)
    at.slider(key=f"{Q2}:steps").set_value(10**9).run()
    assert errors(at) == []
    steps = BANK.by_id(Q2).control("steps")
    value = at.slider(key=f"{Q2}:steps").value
    assert steps.min <= value <= steps.max
    at.select_slider(key=f"{Q2}:lr").set_value(123.0).run()
    assert errors(at) == []


def test_concurrent_sessions_each_get_their_own_numbers():
    """Threads running different configurations on the shared compiled loop."""
    configs = [q2.RMSpropFirstStepParams(seed=s, learning_rate=lr, steps=300)
               for s, lr in ((1, 0.01), (2, 0.2), (3, 0.001), (4, 0.05))]
    expected = {p: q2.run(p).curve["loss"].to_numpy() for p in configs}
    failures: list[str] = []

    def student(params):
        for _ in range(25):
            got = q2.run(params).curve["loss"].to_numpy()
            if not np.array_equal(got, expected[params]):
                failures.append(f"{params} got another session's numbers")

    threads = [threading.Thread(target=student, args=(p,)) for p in configs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def test_200_distinct_reruns_keep_memory_and_traces_bounded():
    at = open_page(Q2)
    for seed in range(20):  # warm-up: caches and allocator reach steady state
        at.slider(key=f"{Q2}:seed").set_value(seed).run()
    traces = q2_engine._trainer().trace_count()
    before = _rss_mb()
    for seed in range(1000, 1200):
        at.slider(key=f"{Q2}:seed").set_value(seed).run()
    assert errors(at) == []
    growth = _rss_mb() - before
    assert q2_engine._trainer().trace_count() == traces, "a slider value retraced the loop"
    assert growth < 60, f"RSS grew {growth:.0f} MB over 200 distinct reruns"
