"""The slider's next notch is computed in the background (`ui.prefetch`), and only that."""

from __future__ import annotations

import pytest

import scenarios.sparse_gradients as q3_engine
from content.questions import load_bank
from tests.apptest_helpers import clear_caches, errors, open_page
from ui import prefetch
from ui.experiments import sparse_gradients as q3_page

BANK = load_bank()
Q3 = BANK.by_id("q3_sparse_gradients")
Q4 = BANK.by_id("q4_sgd_momentum")
SPARSITY = "q3_sparse_gradients:sparsity"


def test_one_slider_moved_prefetches_its_next_notch_the_same_way():
    start = Q4.default_values()
    up = {**start, "momentum": 0.91}
    assert prefetch.next_configurations(Q4, start, up) == [{**up, "momentum": 0.92}]
    down = {**start, "momentum": 0.89}
    assert prefetch.next_configurations(Q4, start, down) == [{**down, "momentum": 0.88}]
    steps_up = {**start, "steps": start["steps"] + Q4.control("steps").step}
    assert prefetch.next_configurations(Q4, start, steps_up) == [
        {**steps_up, "steps": start["steps"] + 2 * Q4.control("steps").step}]


def test_at_a_slider_end_there_is_no_next_notch():
    start = {**Q4.default_values(), "momentum": 0.98}
    assert prefetch.next_configurations(Q4, start, {**start, "momentum": 0.99}) == []


def test_first_run_or_a_preset_prefetches_both_neighbours_of_the_main_slider():
    start = Q4.default_values()
    both = [{**start, "momentum": 0.91}, {**start, "momentum": 0.89}]
    assert prefetch.next_configurations(Q4, None, start) == both
    rates = Q4.control("lr").notches()
    preset = {**start, "momentum": 0.5, "learning_rate": rates[rates.index(start["learning_rate"]) + 1]}
    assert prefetch.next_configurations(Q4, start, preset) == [
        {**preset, "momentum": 0.51}, {**preset, "momentum": 0.49}]
    # q3 opens with its main slider at its max: one neighbour.
    assert prefetch.next_configurations(Q3, None, Q3.default_values()) == [
        {**Q3.default_values(), "sparsity": 0.98}]


@pytest.fixture
def engine_runs(monkeypatch) -> list[q3_engine.Params]:
    """Prefetch on (tests/conftest.py keeps it off); the q3 engine's runs from here on (the real engine runs;
    the list only records them)."""
    monkeypatch.setenv("OPTIMIZER_EXPLORER_PREFETCH", "1")
    assert prefetch.wait_until_idle(120), "an earlier test's prefetch is still running"
    calls: list[q3_engine.Params] = []
    real = q3_engine.run

    def recorded(params: q3_engine.Params) -> q3_engine.SparseGradientsResult:
        calls.append(params)
        return real(params)

    monkeypatch.setattr(q3_engine, "run", recorded)
    return calls


def test_a_slider_move_leaves_the_next_notch_computed(engine_runs):
    clear_caches()
    at = open_page(Q3.id)
    at.slider(key=SPARSITY).set_value(0.98).run()
    assert not errors(at)
    assert prefetch.wait_until_idle(120), "the prefetch did not finish"
    assert [p.sparsity for p in engine_runs] == [0.99, 0.98, 0.97], \
        "first run 0.99 and its neighbour 0.98 ahead; the move to 0.98 is a cache hit; then 0.97"
    # The page's next move is served from the cache; a jump elsewhere still runs the engine.
    q3_page.run(0.97, 100, 0)
    assert len(engine_runs) == 3
    q3_page.run(0.90, 100, 0)
    assert len(engine_runs) == 4


def test_float_noise_from_the_browser_is_the_same_notch(engine_runs):
    """The browser adds the step at each key press: six presses down from 0.99 give 0.9299999999999999."""
    clear_caches()
    at = open_page(Q3.id, {"sparsity": "0.93"})
    assert prefetch.wait_until_idle(120)
    runs = len(engine_runs)
    noisy = 0.99
    for _ in range(6):
        noisy -= 0.01
    assert noisy != 0.93
    at.slider(key=SPARSITY).set_value(noisy).run()
    assert not errors(at)
    assert at.query_params["sparsity"] == "0.93"
    assert prefetch.wait_until_idle(120)
    assert [p.sparsity for p in engine_runs[runs:]] == [], "0.9299999999999999 ran as a new configuration"


def test_a_prefetch_waits_until_the_run_that_asked_has_ended():
    """While the asking run still runs (and sends its messages), its next notch is not computed."""
    import threading

    run_ends = threading.Event()
    asking_run = threading.Thread(target=run_ends.wait, name="a script run")
    asking_run.start()
    computed: list[dict] = []
    worker = prefetch._Worker()
    worker.submit(computed.append, [{"lr": 0.1}], after=asking_run)
    try:
        assert not worker.wait_until_idle(timeout=0.3) and computed == []
    finally:
        run_ends.set()
        asking_run.join()
    assert worker.wait_until_idle(timeout=5) and computed == [{"lr": 0.1}]
