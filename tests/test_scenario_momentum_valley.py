"""Engine tests for question 4 (SGD momentum): valley, momentum comparison, bumpy landscape."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from scenarios import momentum_valley as mv
from scenarios import show_code
from scenarios._tf import tensorflow
from scenarios.evidence import sentence_count
from scenarios.momentum_valley.engine import _landscape_trainer, _valley_trainer
from scenarios.momentum_valley.evidence import valley_name
from scenarios.training import CompiledTrainer
from tests.bank_defaults import default_params, question_for

DEFAULT = default_params("momentum_valley")


def _eager_keras_sgd(momentum: float, learning_rate: float, condition_number: float, steps: int):
    """A student's plain eager loop with a fresh tf.keras.optimizers.SGD(momentum=m)."""
    tf = tensorflow()
    w = tf.Variable(np.array(mv.VALLEY_START, np.float32))
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=float(momentum))
    curvatures = tf.constant(mv.valley_curvatures(condition_number).astype(np.float32))
    losses, weights = [], []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = 0.5 * tf.reduce_sum(curvatures * tf.square(w))
        losses.append(float(loss))
        weights.append(w.numpy().copy())
        optimizer.apply_gradients(zip(tape.gradient(loss, [w]), [w], strict=True))
    losses.append(float(0.5 * tf.reduce_sum(curvatures * tf.square(w))))
    weights.append(w.numpy().copy())
    return np.array(losses), np.array(weights)


def _first_series(result: mv.MomentumValleyResult) -> pd.DataFrame:
    first = result.curve["series"].iloc[0]
    return result.curve[result.curve["series"] == first]


def test_params_are_validated():
    for bad in ({"momentum": -0.1}, {"momentum": 0.995}, {"learning_rate": float("nan")},
                {"learning_rate": 2.0}, {"condition_number": 0.5}, {"condition_number": 101},
                {"steps": mv.MAX_STEPS + 1}, {"steps": -1}):
        with pytest.raises(ValueError):
            default_params("momentum_valley", **bad)


def test_same_params_repeat_bit_for_bit():
    first = mv.run(DEFAULT)
    mv.run(dataclasses.replace(DEFAULT, momentum=0.3, condition_number=7))  # in between
    again = mv.run(DEFAULT)
    pd.testing.assert_frame_equal(first.curve, again.curve, check_exact=True)
    pd.testing.assert_frame_equal(first.landscape, again.landscape, check_exact=True)
    assert first == dataclasses.replace(again, curve=first.curve, landscape=first.landscape)


def test_no_retrace_for_new_slider_values():
    mv.run(DEFAULT)
    mv.momentum_sweep(DEFAULT.learning_rate, DEFAULT.condition_number)
    for momentum, learning_rate, condition_number, steps in (
        (0.0, 0.01, 50, 200), (0.5, 0.002, 1, 10), (0.99, 0.05, 100, 500), (0.37, 1.0, 13, 37),
    ):
        mv.run(mv.MomentumValleyParams(momentum, learning_rate, condition_number, steps))
        mv.momentum_sweep(learning_rate, condition_number)
    assert _valley_trainer("run").trace_count() == 1
    assert _valley_trainer("sweep").trace_count() == 1
    assert _landscape_trainer("run").trace_count() == 1


def test_variable_momentum_is_bit_identical_to_a_fresh_keras_sgd_op_for_op():
    """The adapter itself: same graph ops (no XLA), same numbers as SGD(momentum=m)."""
    tf = tensorflow()
    w = tf.Variable(np.zeros(2, np.float32))
    optimizer, momentum = mv.sgd_with_variable_momentum(0.01)
    trainer = CompiledTrainer(
        variables=[w], optimizer=optimizer, max_steps=120, hyperparameters=[momentum],
        loss_fn=lambda x, y, sample_weight: 0.5 * tf.reduce_sum(x * tf.square(w)),
        trace_fn=lambda x, y: w.value(), jit_compile=False,
    )
    for m in (0.0, 0.5, 0.9, 0.99):
        batch = trainer.run([np.array([mv.VALLEY_START], np.float32)], np.array([[0.01, m]]), 120,
                            mv.valley_curvatures(50), np.zeros(1))
        losses, weights = _eager_keras_sgd(m, 0.01, 50, 120)
        np.testing.assert_array_equal(batch.traces[0].astype(np.float32), weights)
        np.testing.assert_allclose(batch.losses[0], losses, rtol=1e-6)
    assert trainer.trace_count() == 1


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9, 0.99])
def test_compiled_run_matches_a_fresh_keras_sgd(momentum):
    """The page's XLA loop against an eager SGD(momentum=m), to 1e-6 of the trajectory's scale.

    XLA fuses m·momentum − g·learning_rate into a fused multiply-add, so where
    the multiplication by momentum rounds (0.9, 0.99) single weights near zero
    differ in the last bits; relative to the path's size the difference stays
    below 1e-6. With momentum 0 and 0.5 (exact products) the weights are identical.
    """
    params = mv.MomentumValleyParams(momentum=momentum, learning_rate=0.01, condition_number=50, steps=150)
    series = _first_series(mv.run(params))
    losses, weights = _eager_keras_sgd(momentum, 0.01, 50, 150)
    ours = series[["w1", "w2"]].to_numpy()
    assert np.max(np.abs(ours - weights)) <= 1e-6 * np.max(np.abs(weights))
    assert np.max(np.abs(series["loss"].to_numpy() - losses)) <= 1e-6 * losses[0]
    if momentum in (0.0, 0.5):
        np.testing.assert_array_equal(ours.astype(np.float32), weights)


def test_learning_rate_zero_is_flat():
    for momentum in (0.0, 0.9):
        result = mv.run(dataclasses.replace(DEFAULT, momentum=momentum, learning_rate=0.0, steps=50))
        losses = result.curve["loss"].to_numpy()
        assert np.all(losses == losses[0])
        assert np.all(result.curve[["w1", "w2"]].to_numpy() == np.array(mv.VALLEY_START))
        assert result.overshoot == 0.0


def test_momentum_zero_shows_one_series():
    result = mv.run(dataclasses.replace(DEFAULT, momentum=0.0))
    assert not result.has_baseline
    assert result.curve["series"].nunique() == 1
    assert result.steps_to_converge == result.baseline_steps_to_converge


def test_moderate_momentum_beats_none_and_too_much_on_the_default_valley():
    sweep = mv.momentum_sweep(DEFAULT.learning_rate, DEFAULT.condition_number)
    plain, moderate, too_much = (sweep.for_momentum(m) for m in (0.0, 0.9, 0.99))
    assert None not in (plain, moderate, too_much)
    assert moderate < plain and moderate < too_much
    assert too_much > plain  # 0.99 is even slower than no momentum here
    best_momentum, best_steps = sweep.fastest()
    assert 0.0 < best_momentum < 0.99
    # Overshoot grows with momentum: plain SGD never passes the minimum.
    assert sweep.overshoot[0] == 0.0
    assert sweep.overshoot[-1] > sweep.overshoot[sweep.momenta.index(0.9)] > 0


def test_the_question_text_quotes_the_runs():
    """The TOML's explanation quotes these numbers; keep them true (±2 steps / ±0.01)."""
    sweep = mv.momentum_sweep(0.01, 50)
    assert sweep.fastest()[0] == 0.8 and abs(sweep.fastest()[1] - 37) <= 2
    assert abs(sweep.for_momentum(0.0) - 228) <= 2
    assert abs(sweep.for_momentum(0.99) - 690) <= 2
    round_bowl = mv.momentum_sweep(0.01, 1)
    assert round_bowl.fastest()[0] == 0.0
    bands = mv.basin_map().bands()
    assert [b[0] for b in bands] == ["shallow", "deep", "plateau"]
    assert abs(bands[1][1] - 0.76) <= 0.011 and abs(bands[1][2] - 0.92) <= 0.011
    explanation = question_for("momentum_valley").explanation
    for quoted in ("37 steps", "228", "690", "0.76 to 0.92"):
        assert quoted in explanation


def test_landscape_basins():
    geometry = mv.landscape_geometry()
    assert geometry.shallow_minimum < geometry.bump < geometry.deep_minimum < geometry.plateau_from
    assert geometry.deep_loss < geometry.shallow_loss < geometry.bump_loss < 0
    basins = mv.basin_map()
    # No momentum stops in the first (shallow) minimum; moderate momentum gets over
    # the bump into the deep one; too much carries the weight past it onto the plateau.
    assert basins.basin_of(0.0) == "shallow" and basins.basin_of(0.5) == "shallow"
    assert basins.basin_of(0.8) == "deep" and basins.basin_of(0.9) == "deep"
    assert basins.basin_of(0.95) == "plateau" and basins.basin_of(0.99) == "plateau"
    frame = basins.frame()
    deep = frame[frame["basin"] == "deep"]
    assert np.allclose(deep["final_w"], geometry.deep_minimum, atol=0.01)
    assert frame.loc[frame["basin"] == "plateau", "final_loss"].max() > geometry.shallow_loss
    # The page's two runs agree with the batched map.
    for momentum in (0.0, 0.9, 0.99):
        result = mv.run(dataclasses.replace(DEFAULT, momentum=momentum))
        assert result.landscape_basin == basins.basin_of(momentum)
        assert result.landscape_final == pytest.approx(
            basins.final_positions[basins.momenta.index(momentum)], rel=1e-6)


def test_divergence_is_reported_not_raised():
    result = mv.run(mv.MomentumValleyParams(momentum=0.9, learning_rate=1.0, condition_number=100, steps=100))
    assert result.first_nonfinite_step is not None and result.baseline_first_nonfinite_step is not None
    assert result.steps_to_converge is None
    sweep = mv.momentum_sweep(1.0, 100)
    assert all(s is not None for s in sweep.first_nonfinite_step)
    assert sweep.fastest() is None
    evidence = mv.evidence(result)
    assert evidence.verdict == "holds with a caveat"  # only the landscape supports the claim
    assert any("No momentum" in f for f in evidence.findings)
    assert sentence_count(evidence.caveat) == 1
    assert evidence.caveat.endswith(f"but in the valley no momentum compared converged within {sweep.horizon} steps.")


def test_evidence_on_the_default_page():
    result = mv.run(DEFAULT)
    evidence = mv.evidence(result)
    assert evidence.verdict == "holds with a caveat"
    text = " ".join(evidence.findings)
    assert "momentum 0.8 (37 steps)" in text and "momentum 0.99 — 690 steps" in text
    assert "the deep minimum" in text and "the plateau past the deep minimum" in text
    assert evidence.findings[0].startswith("Narrow valley (condition number 50,")
    # The caveat, in one sentence: too much momentum is slower and rolls past the deep minimum.
    assert evidence.caveat == (
        "Only a moderate momentum helps: momentum 0.99 needed 690 steps in the valley against 37 for "
        "momentum 0.8, and from momentum 0.93 up the bumpy landscape's weight rolls past the deep minimum "
        "onto the plateau."
    )
    assert sentence_count(evidence.caveat) == 1


def test_the_round_bowl_is_not_called_narrow_and_the_comparison_owns_its_grid():
    """Condition number 1 is a round bowl; on it at learning rate 0.01 plain SGD is the fastest of
    the momenta compared (4 steps), but momentum 0.07-0.16, not compared, takes 3: the finding
    says only what the comparison tried."""
    round_bowl = mv.evidence(mv.run(dataclasses.replace(DEFAULT, condition_number=1)))
    text = " ".join(round_bowl.findings)
    assert round_bowl.findings[0].startswith("Round bowl (condition number 1,")
    assert "Narrow valley" not in text and "Valley (" not in text
    compared = ", ".join(f"{m:g}" for m in mv.SWEEP_MOMENTA)
    assert f"Of the momenta compared ({compared}), plain SGD (momentum 0) was the fastest (4 steps)" in text
    assert f"a momentum between 0 and {mv.SWEEP_MOMENTA[1]:g}, not tried here, may still be faster" in text
    assert "on this valley momentum did not speed convergence up" not in text
    assert mv.run(dataclasses.replace(DEFAULT, momentum=0.1, condition_number=1)).steps_to_converge == 3
    assert round_bowl.verdict == "holds with a caveat" and sentence_count(round_bowl.caveat) == 1
    assert round_bowl.caveat == (
        "Momentum carried the bumpy landscape's weight past the shallow minimum, but in the valley it did "
        "not speed convergence up: of the momenta compared, plain SGD was the fastest (4 steps)."
    )
    assert [valley_name(k) for k in (1, 2, 9.5, 10, 100)] == [
        "Round bowl", "Valley", "Valley", "Narrow valley", "Narrow valley"]


@pytest.mark.parametrize("learning_rate", [0.001, 0.01, 0.05, 1.0])
def test_every_caveat_verdict_names_its_caveat_in_one_sentence(learning_rate):
    for condition_number in (1, 10, 100):
        params = dataclasses.replace(DEFAULT, learning_rate=learning_rate, condition_number=condition_number)
        evidence = mv.evidence(mv.run(params))
        if evidence.verdict == "holds with a caveat":
            assert sentence_count(evidence.caveat) == 1, params
        else:
            assert evidence.caveat == "", params


def test_steps_to_converge_needs_the_loss_to_stay_low():
    assert mv.steps_to_converge(np.array([1.0, 1e-4, 0.5, 1e-4, 1e-5])) == 3
    assert mv.steps_to_converge(np.array([1.0, 1e-4, 0.5])) is None
    assert mv.steps_to_converge(np.array([1.0, np.nan])) is None
    assert mv.steps_to_converge(np.array([0.0, 0.0])) is None  # nothing to reduce


def test_the_question_controls_are_the_params_fields():
    """Every field is a slider: the TOML gives each its default, none is written in the engine."""
    question = question_for("momentum_valley")
    fields = [field.name for field in dataclasses.fields(mv.Params)]
    assert sorted(control.param for control in question.controls) == sorted(fields)
    assert all(field.default is dataclasses.MISSING for field in dataclasses.fields(mv.Params))
    assert dataclasses.asdict(DEFAULT) == question.default_values()


# The default page; plain SGD alone (one series); the worst finite case measured (0.99
# still swinging after 500 steps, next to a plain SGD that overflows at step 60); both
# runs overflowing at step 11. One fresh process each (TF's import dominates: ~4 s).
CODE_CONFIGS = (
    DEFAULT,
    mv.MomentumValleyParams(momentum=0.0, learning_rate=0.01, condition_number=50, steps=300),
    mv.MomentumValleyParams(momentum=0.99, learning_rate=0.05, condition_number=1, steps=500),
    mv.MomentumValleyParams(momentum=0.9, learning_rate=1.0, condition_number=100, steps=100),
)
# Momenta whose product with the velocity is exact in float32 (0, 0.5): see below.
EXACT_MOMENTUM_SERIES = ("momentum 0 (plain SGD)", "momentum 0.5")
SCALE_RTOL = 5e-6


def test_show_code_reproduces_the_curves_in_a_fresh_process():
    """The 'Show code' text, run as it is, prints the loss chart's curves.

    Every series of `result.curve` (the chosen momentum and plain SGD; the
    landscape has its own charts and is not part of the code), same names,
    same lengths, the same steps non-finite (so the same first overflow), and
    the same initial loss bit for bit. Not bit for bit after that, measured on
    312 series (momentum 0/0.3/0.5/0.8/0.9/0.95/0.99 × learning rate
    0.001/0.01/0.02/0.05/0.1/1 × condition number 1/10/50/100, 500 steps):

    * Momentum 0 and 0.5 (momentum·velocity is exact): the weights are bit
      identical, but XLA evaluates the loss' two-term sum as one fused
      multiply-add, 0.5·fma(H·w2², …, floor·w1²), so a few losses differ by
      one float32 ulp (measured: never more than 1 ulp). Asserted: ≤ 1 ulp.
    * Other momenta: XLA also fuses momentum·velocity − learning_rate·g into
      an FMA, so the weights drift apart in the last bits and the drift
      accumulates. Relative to each loss it is meaningless where the loss
      passes near zero (an oscillating run crossing the minimum: up to
      2.3e-3 measured, on a loss 1e-24 of its start); relative to the largest
      loss so far (the curve's scale at that step) it stayed ≤ 1.32e-6 for
      finite runs (0.99 / 0.05 / 1, below) and ≤ 2.3e-6 for diverging runs
      before their overflow (0.3 / 0.05 / 1, step 100). Asserted: ≤ 5e-6 of
      the running maximum, and rtol 1e-6 per loss over the first 5 steps
      (the earliest per-loss deviation above 1e-6 was at step 5).
    """
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    processes = [
        subprocess.Popen([sys.executable, "-c", mv.reproduction_code(p)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, env=env)
        for p in CODE_CONFIGS
    ]
    kinds = set()  # (exact momentum?, stopped on a non-finite loss?) seen
    for params, process in zip(CODE_CONFIGS, processes, strict=True):
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0, params
        printed = json.loads(out.strip().splitlines()[-1])
        curve = mv.run(params).curve
        assert list(printed) == list(curve["series"].unique())
        for name, losses in printed.items():
            expected = curve.loc[curve["series"] == name, "loss"].to_numpy()
            reproduced = np.array(losses, float)
            assert len(reproduced) == len(expected) == params.steps + 1
            finite = np.isfinite(expected)
            kinds.add((name in EXACT_MOMENTUM_SERIES, not finite.all()))
            np.testing.assert_array_equal(np.isfinite(reproduced), finite)
            np.testing.assert_array_equal(reproduced[~finite], expected[~finite])  # inf/NaN alike
            assert reproduced[0] == expected[0]
            gap = np.abs(reproduced[finite] - expected[finite])
            if name in EXACT_MOMENTUM_SERIES:
                assert np.all(gap <= np.spacing(np.abs(expected[finite]).astype(np.float32))), (params, name)
            else:
                scale = np.maximum.accumulate(np.abs(expected[finite]))
                assert np.all(gap <= SCALE_RTOL * scale), (params, name, np.max(gap / scale))
                np.testing.assert_allclose(reproduced[:5], expected[:5], rtol=1e-6)
    assert kinds == {(True, False), (True, True), (False, False), (False, True)}


def test_show_code_file_on_disk_is_the_defaults_code():
    """reproduce.py runs as it is: its parameter block is what the defaults generate."""
    assert mv.reproduction_code(DEFAULT) == mv.REPRODUCE_FILE.read_text()
    assert show_code.BLOCK_START in mv.REPRODUCE_FILE.read_text()
