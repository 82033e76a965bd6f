"""Question 3's engine: tuned optimizers on common and rare features.

The claims asserted here are the ones the page and the question file make,
at margins that held on every one of 30 seeds measured (see the report in
the commit), not just on the seeds tested.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from scenarios import show_code
from scenarios import sparse_gradients as engine
from scenarios.evidence import sentence_count
from scenarios.sparse_gradients import SparseGradientsParams
from scenarios.sparse_gradients.engine import _all_optimizers, _trainer
from tests.bank_defaults import default_params, question_for

SCENARIO = "sparse_gradients"
SEEDS = (0, 1, 2)


def _run(**overrides) -> engine.SparseGradientsResult:
    """A run at the question's defaults with `overrides` applied."""
    return engine.run(default_params(SCENARIO, **overrides))


def test_same_params_give_bit_identical_results():
    params = SparseGradientsParams(sparsity=0.97, steps=60, seed=11)
    first, second = engine.run(params), engine.run(params)
    for name in ("curves", "rare_error_curves", "summary", "sweep"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name), check_exact=True)
    scalars = ("initial_rare_error", "least_squares_rare_error", "rare_zero_gradient_share")
    assert [getattr(first, n) for n in scalars] == [getattr(second, n) for n in scalars]


def test_new_slider_values_do_not_retrace():
    _run()
    others = ((0.5, 50, 3, False), (0.93, 250, 77, True), (0.99, 1000, 9999, False))
    for sparsity, steps, seed, all_rare in others:
        _run(sparsity=sparsity, steps=steps, seed=seed, all_rare=all_rare)
    assert [_trainer(key).trace_count() for key in engine.OPTIMIZER_KEYS] == [1] * 5
    assert _all_optimizers().trace_count() == 1


def test_learning_rate_zero_leaves_loss_and_weights_flat():
    data = engine.dataset(4, 0.99)
    zero = np.zeros((len(engine.OPTIMIZERS), engine.CONFIGS_PER_CALL))
    for batch in engine.train_all(data, 30, seed=4, learning_rates=zero):
        assert np.all(batch.losses == batch.losses[:, :1])
        np.testing.assert_array_equal(batch.traces[0, -1], data.initial_kernel[:, 0].astype(np.float32))


def test_batches_reshuffle_every_epoch_deterministically():
    indices = engine.batch_indices(8)
    assert indices.shape == (engine.MAX_STEPS, engine.BATCH_SIZE)
    per_epoch = engine.N_EXAMPLES // engine.BATCH_SIZE
    for epoch in range(3):
        seen = indices[epoch * per_epoch:(epoch + 1) * per_epoch].ravel()
        assert sorted(seen) == list(range(engine.N_EXAMPLES))
    assert not np.array_equal(indices[:per_epoch], indices[per_epoch:2 * per_epoch])
    engine.batch_indices.cache_clear()
    np.testing.assert_array_equal(engine.batch_indices(8), indices)


def test_data_has_rare_gradients_only_when_very_sparse():
    very = _run(sparsity=0.99)
    assert (very.rare_nonzero_examples, very.common_nonzero_examples) == (10, 512)
    assert very.rare_zero_gradient_share > engine.SPARSE_GRADIENT_SHARE
    assert very.common_zero_gradient_share == 0.0
    # With batches of 32, a 5% feature is in most batches: not sparse gradients.
    assert _run(sparsity=0.95).rare_zero_gradient_share < 0.3


def test_tuned_rate_is_the_lowest_final_loss_of_its_grid():
    result = _run(seed=5)
    for key in engine.OPTIMIZER_KEYS:
        grid = result.sweep[result.sweep["optimizer"] == key]
        assert len(grid) == engine.GRID_SIZE
        best = grid.loc[grid["final_loss"].idxmin()]
        row = result.row(key)
        assert best["learning_rate"] == row["learning_rate"] and best["tuned"]
        assert np.isfinite(row["final_loss"]) and row["first_nonfinite_step"] is None
        assert not row["at_grid_edge"]


@pytest.mark.parametrize("seed", SEEDS)
def test_plain_sgd_lags_on_rare_weights_when_gradients_are_sparse(seed):
    result = _run(sparsity=0.99, steps=100, seed=seed)
    sgd = result.rare_error("sgd")
    # >= 1.34x on all 30 seeds measured, median ~4-5x.
    assert sgd > 1.25 * result.rare_error("adam")
    assert sgd > 1.25 * result.rare_error("adagrad")
    # The common weights are learnt by everyone: the gap is about the rare ones.
    assert result.row("sgd")["common_error"] < 0.25 * sgd


def test_seed_spread_supports_the_question_file():
    spread = engine.seed_spread()
    assert spread.seeds == engine.SPREAD_SEEDS
    medians = spread.median_errors()
    lowest = spread.lowest_counts()
    # "Adam and Adagrad ... closer on every seed we tried, typically about 4 times."
    assert spread.ratio_range("sgd", "adam")[0] > 1.0
    assert spread.ratio_range("sgd", "adagrad")[0] > 1.0
    assert np.median(spread.rare_errors("sgd") / spread.rare_errors("adam")) > 3.0
    # "Neither wins consistently; Adagrad has the lowest error more often than Adam."
    assert lowest["adagrad"] > lowest["adam"] > 0
    low, high = spread.ratio_range("adagrad", "adam")
    assert low < 1.0 < high
    assert medians["adagrad"] <= 1.25 * medians["adam"]
    # "RMSprop usually lags both; momentum helps SGD only partly."
    assert medians["rmsprop"] > max(medians["adam"], medians["adagrad"])
    assert medians["adam"] < medians["momentum"] < medians["sgd"]


def test_all_rare_control_gives_adaptivity_nothing_to_exploit():
    """SGD about as good as the best adaptive optimizer when all features are equally rare.

    Measured with Adagrad's accumulators starting at Keras' 0.1: median
    ratio 1.10 over seeds 0-19 (SGD ahead on 7), against a median of 4-6
    with mixed common and rare features (test above: > 3).
    """
    ratios = []
    for seed in SEEDS:
        control = _run(sparsity=0.99, seed=seed, all_rare=True)
        adaptive = min(control.rare_error("adam"), control.rare_error("adagrad"))
        ratios.append(control.rare_error("sgd") / adaptive)
    assert np.median(ratios) < 1.3


def test_mild_sparsity_closes_the_gap():
    for seed in SEEDS:
        result = _run(sparsity=0.95, seed=seed)
        floor = result.least_squares_rare_error
        errors = {key: result.rare_error(key) for key in engine.OPTIMIZER_KEYS}
        assert errors["sgd"] < 2.0 * min(errors["adam"], errors["adagrad"])
        assert all(errors[key] < 4 * floor for key in ("sgd", "momentum", "adagrad", "adam"))
        assert errors["rmsprop"] > max(errors[key] for key in ("sgd", "momentum", "adagrad", "adam"))


@pytest.mark.parametrize("seed", SEEDS)
def test_only_momentum_optimizers_move_weights_whose_gradient_is_zero(seed):
    """The question file: SGD, Adagrad and RMSprop leave a zero-gradient weight alone;
    Adam and SGD with momentum keep changing it (bit-exact comparison of the weights)."""
    result = _run(sparsity=0.99, seed=seed)
    moved = result.summary.set_index("optimizer")["moved_without_gradient"]
    assert moved[["sgd", "adagrad", "rmsprop"]].tolist() == [0.0, 0.0, 0.0]
    assert moved["adam"] > 0.9 and moved["momentum"] > 0.9
    grid = result.update_map
    assert len(grid) == len(engine.OPTIMIZERS) * engine.UPDATE_MAP_STEPS * engine.N_FEATURES
    sgd = grid[grid["optimizer"] == "sgd"]
    assert (sgd["moved"] == sgd["has_gradient"]).all()  # SGD changes exactly the weights with a gradient


def test_keras_default_rates_barely_move_rare_weights_in_100_steps():
    result = _run(sparsity=0.99, steps=100, seed=0)
    for key in ("adagrad", "rmsprop", "adam"):
        assert result.row(key)["default_rare_error"] > 0.9 * result.initial_rare_error


def test_evidence_and_question_file_agree():
    for seed in SEEDS:
        mixed = _run(seed=seed)
        evidence = engine.evidence(mixed)
        assert evidence.verdict == "holds with a caveat"
        assert any(f"Adam {mixed.row('adam')['learning_rate']:g} (final loss" in f for f in evidence.findings)
        # evidence() read the engine's cached control: the all-rare run of the same settings.
        control = engine.control_run(mixed.params)
        assert control.params == dataclasses.replace(mixed.params, all_rare=True)
        assert engine.control_run(mixed.params) is control
        assert f"(floor {control.least_squares_rare_error:.3f})" in " ".join(evidence.findings)
    question = question_for(SCENARIO)
    correct = question.choices[question.correct_choice].text
    assert "Adagrad" in correct and "Adam" in correct and "SGD lags" in correct
    assert any(f.startswith("Sparse updates:") for f in evidence.findings)
    defaults = {control.param: control.default for control in question.controls}
    assert (defaults["sparsity"], defaults["steps"]) == (engine.SPREAD_SPARSITY, engine.SPREAD_STEPS)


def _better_adaptive(errors: dict[str, float]) -> float:
    return min(errors["adam"], errors["adagrad"])


def _sgd_over_better_adaptive(errors: dict[str, float]) -> str:
    return f"{errors['sgd'] / _better_adaptive(errors):.2g}×"


def test_findings_compare_control_and_mixed_on_one_baseline():
    """Plain SGD against the better of Adam and Adagrad, in the control and the mixed run alike
    (Adam alone is a poor baseline in the control); measured medians over seeds 0-19: 1.1x, 7.4x."""
    for seed in SEEDS:
        mixed = _run(seed=seed)
        control = engine.control_run(mixed.params)
        errors = {key: mixed.rare_error(key) for key in engine.OPTIMIZER_KEYS}
        control_errors = {key: control.rare_error(key) for key in engine.OPTIMIZER_KEYS}
        finding = next(f for f in engine.evidence(mixed).findings if f.startswith("Control,"))
        assert finding.endswith(
            f"plain SGD's is {_sgd_over_better_adaptive(control_errors)} the better of Adam's and Adagrad's "
            f"(mixed features, same seed: {_sgd_over_better_adaptive(errors)}).")
        assert errors["sgd"] > 2 * _better_adaptive(errors)
        assert control_errors["sgd"] < 1.5 * _better_adaptive(control_errors)


def test_findings_say_when_adam_moves_a_zero_gradient_weight_and_its_median_error():
    evidence = engine.evidence(_run())
    text = " ".join(evidence.findings)
    assert "once it has had its first non-zero gradient (Keras's dense Adam;" in text
    assert "PyTorch's SparseAdam update only the rows present in the batch" in text
    assert "once it has had one gradient" not in text
    medians = engine.seed_spread().median_errors()
    assert f"Adam's median error was {medians['adam'] / medians['adagrad']:.3g}× Adagrad's" in text
    assert f"{medians['adam'] / medians['adagrad']:.3g}" == "1.45"  # the explanation's number


@pytest.mark.parametrize("sparsity", [0.5, 0.9, 0.99])
def test_every_caveat_verdict_names_its_caveat_in_one_sentence(sparsity):
    for seed in SEEDS:
        evidence = engine.evidence(_run(sparsity=sparsity, seed=seed))
        if evidence.verdict == "holds with a caveat":
            assert sentence_count(evidence.caveat) == 1, (sparsity, seed, evidence.caveat)
            assert evidence.caveat.startswith("Adam is not clearly the best here:")
        else:
            assert evidence.caveat == ""


def test_the_default_caveat_names_adagrad():
    mixed = _run()
    evidence = engine.evidence(mixed)
    spread = engine.seed_spread()
    wins, medians = spread.lowest_counts(), spread.median_errors()
    assert evidence.caveat == (
        f"Adam is not clearly the best here: Adagrad's rare-weight error was "
        f"{mixed.rare_error('adagrad') / mixed.rare_error('adam'):.2g}× Adam's in this run, and over seeds "
        f"0–{spread.seeds - 1} Adagrad had the lowest error on {wins['adagrad']} seeds against Adam's "
        f"{wins['adam']}, with Adam's median error {medians['adam'] / medians['adagrad']:.3g}× Adagrad's."
    )


def test_params_are_validated():
    for bad in (dict(sparsity=0.3), dict(sparsity=float("nan")), dict(sparsity=1.0), dict(steps=0),
                dict(steps=engine.MAX_STEPS + 1), dict(steps=100.5), dict(seed=-1), dict(seed="3"),
                dict(sparsity="0.9"), dict(all_rare="yes")):
        with pytest.raises(ValueError):
            default_params(SCENARIO, **bad)


def test_the_defaults_are_a_mixed_run():
    """The TOML sets the sliders; `all_rare` is no slider: the page's own run has mixed features."""
    assert default_params(SCENARIO).all_rare is False


def test_show_code_file_on_disk_is_the_defaults_code():
    """reproduce.py runs as it is: its parameter block is what the defaults generate (tuned rates included)."""
    assert engine.reproduction_code(default_params(SCENARIO)) == engine.REPRODUCE_FILE.read_text()
    assert show_code.BLOCK_START in engine.REPRODUCE_FILE.read_text()


# The page's default; dense features (sparsity 0.5) at the low end of the grids, 150 steps;
# the all-rare control. One fresh process each (TF's import dominates: ~4 s), in parallel.
CODE_CONFIGS = (
    default_params(SCENARIO),
    SparseGradientsParams(sparsity=0.5, steps=150, seed=2),
    SparseGradientsParams(sparsity=0.9, steps=100, seed=5, all_rare=True),
)
RTOL = 1e-6


def test_show_code_reproduces_the_tuned_curves_in_a_fresh_process():
    """The 'Show code' text, run as it is, prints the loss chart's five tuned curves.

    Same series names (so the same tuned learning rates, written in as literals),
    same lengths, every loss finite in both, and the printed rare-weight errors are
    the page's metrics to their 3 decimals.

    Not bit for bit, not even at step 0 (5-40% of the losses of a curve are
    identical): the engine evaluates the full-data loss, a mean of 1,024 squared
    residuals, in an XLA-compiled loop that sums in another order than eager TF.
    That alone moves a loss by up to 8.3e-7 relative (measured by evaluating the
    engine's own traced weights eagerly), most near the noise floor, where each
    residual y - x·w is a small difference of float32 numbers. The engine's
    mini-batch gradient (a masked sum over all 1,024 rows) also rounds differently
    from the code's 32-row slice, so the weights drift apart in the last bits.
    Measured on 130 series (26 settings: seeds 0-12 at the default, sparsity
    0.97/0.95/0.8/0.7/0.5, 60 to 1,000 steps, the all-rare control), the relative
    deviation per loss is at most 2.1e-7 at step 0, 1.2e-6 over the first 10
    steps, and over whole curves 7.4e-6 (SGD, momentum, Adagrad, Adam) and 6.4e-5
    (RMSprop, whose normalised step keeps jittering around the minimum and
    amplifies the last-bit differences), all at losses 1e-3 of the start. So
    rtol=1e-6 per loss only holds at step 0. Asserted: step 0 to rtol 1e-6, and
    every step to 1e-6 of the largest loss so far, the curve's scale (measured
    at most 2.7e-7 of it, 4 float32 ulps).
    """
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    processes = [
        subprocess.Popen([sys.executable, "-c", engine.reproduction_code(p)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, env=env)
        for p in CODE_CONFIGS
    ]
    for params, process in zip(CODE_CONFIGS, processes, strict=True):
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0, params
        lines = out.strip().splitlines()
        printed = json.loads(lines[-1])
        result = engine.run(params)
        curve = result.curve
        assert list(printed) == list(curve["series"].unique())
        for row, (name, losses), line in zip(result.summary.itertuples(), printed.items(), lines[:-1],
                                             strict=True):
            expected = curve.loc[curve["series"] == name, "loss"].to_numpy()
            reproduced = np.array(losses, float)
            assert len(reproduced) == len(expected) == params.steps + 1
            assert np.isfinite(expected).all() and np.isfinite(reproduced).all(), (params, name)
            np.testing.assert_allclose(reproduced[0], expected[0], rtol=RTOL, err_msg=f"{params} {name}")
            gap = np.abs(reproduced - expected) / np.maximum.accumulate(expected)
            assert gap.max() <= RTOL, (params, name, gap.max(), int(gap.argmax()))
            assert line.startswith(f"{name}: ")
            assert abs(float(line.rsplit(" ", 1)[1]) - row.rare_error) <= 5e-4 + 1e-6, (params, line)
