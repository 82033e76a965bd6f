"""Everything the app teaches is true: the engine's headline figures against an independent NumPy reference.

`tests/reference/` writes Keras 3's update rules, the losses and the small
models again in NumPy (float32 like the engine) and never imports TensorFlow.
Here each scenario's headline figures are reproduced from the same data and
initial weights (the engine's public data helpers) and compared with the
engine's `run(...)` and sweeps, as a *relative* deviation
|reference - engine| / |engine| against a stated tolerance.

Tolerances. Where a figure is well-conditioned the two implementations agree
to ~1e-5 (float32 rounding in a different order), so the tolerances are
1e-4 for curves and 1e-3 for end-of-run figures: tight enough that a changed
update rule shows (`test_the_comparison_can_fail`). Integer figures (steps,
epochs, dead units, tuned rates, win counts) must be equal, or within one
step where a float32 loss crossing a threshold decides the step.

Ill-conditioned figures. Some runs amplify float32 rounding: Adam at
learning rates 0.005-0.2 on question 1 ends in a noisy low-loss regime where
a 1e-7 difference grows to 100 % by step 300 (even the engine and an eager
Keras loop of the same optimizer differ there). No independent float32
implementation can reproduce those numbers, so a run that disagrees must
show that it is one of them: the reference run in float64 moves it by more
than the tolerance too. The run is then reported, not compared digit by
digit. (Question 2's curve is compared over the page's 100 steps: at
learning rate 0.01 RMSprop starts bouncing around the minimum after ~130
steps, where the same amplification sets in.)

`test_agreement_table` prints the largest relative deviation per scenario
(`pytest tests/test_reference.py -s`).

Engine names used (all public): q1 `AdamHighLearningRateParams`, `run`,
`dataset`, `initial_weights`, `sweep` (+ its documented layout: the seeds are
the initial weights' seeds, all on the data of `SWEEP_SEEDS[0]`),
`SWEEP_SEEDS`, `HIGH_LEARNING_RATE`; q2 `RMSpropFirstStepParams`, `run`,
`initial_weights`, `printed_loss_distribution`, `X`, `Y`, `SNIPPET_LEARNING_RATE`,
`CLAIM_BAND`;
q3 `seed_spread`, `dataset`, `batch_indices`, `OPTIMIZERS`, `OPTIMIZER_KEYS`, `MOMENTUM`,
`N_COMMON`, `GRID_SIZE`; q4 `MomentumValleyParams`, `run`, `momentum_sweep`,
`basin_map`, `valley_curvatures`, `VALLEY_START`, `CONVERGED_FRACTION`,
`REPORTED_MOMENTA`, `LANDSCAPE_*`, `MAX_STEPS`; q5 `NanLossParams`, `run`,
`dataset`, `seed_sweep`, `SWEEP_SEEDS`.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from scenarios import adam_high_learning_rate as q1
from scenarios import momentum_valley as q4
from scenarios import nan_loss as q5
from scenarios import rmsprop_first_step as q2
from scenarios import sparse_gradients as q3
from scenarios._tf import XLA_VARIABLE
from tests.reference import experiments as ex
from tests.reference import optimizers as opt

CURVE_RTOL = 1e-4  # a loss curve, step by step
FIGURE_RTOL = 1e-3  # an end-of-run figure (final loss, error, position)
F32 = np.float32


@dataclass(frozen=True)
class Agreement:
    """One compared figure: its largest relative deviation and the tolerance it is held to."""

    scenario: str
    figure: str
    deviation: float
    tolerance: float
    note: str = ""
    analytic: bool = False  # an approximate formula against the engine, not the reference


@dataclass
class Scenario:
    name: str
    rows: list[Agreement] = field(default_factory=list)
    data: SimpleNamespace = field(default_factory=SimpleNamespace)

    def add(self, figure: str, deviation: float, tolerance: float, note: str = "", analytic: bool = False
            ) -> Agreement:
        row = Agreement(self.name, figure, float(deviation), tolerance, note, analytic)
        self.rows.append(row)
        return row

    def row(self, figure: str) -> Agreement:
        return next(r for r in self.rows if r.figure == figure)


def relative_deviation(reference, engine) -> float:
    """max |reference - engine| / |engine| over the finite pairs; inf if the NaN/Inf pattern differs."""
    reference, engine = np.asarray(reference, float), np.asarray(engine, float)
    if reference.shape != engine.shape or not np.array_equal(np.isfinite(reference), np.isfinite(engine)):
        return math.inf
    both = np.isfinite(engine)
    if not both.any():
        return 0.0
    difference = np.abs(reference[both] - engine[both])
    scale = np.abs(engine[both])
    return float(np.max(np.where(difference == 0, 0.0, difference / np.maximum(scale, 1e-300))))


def within(row: Agreement) -> bool:
    return row.deviation <= row.tolerance


REFERENCE_SECONDS: dict[str, float] = {}


@contextlib.contextmanager
def timed(scenario: str):
    """Add the wall time of the reference's own work (not the engine's) to the table's total."""
    start = time.perf_counter()
    yield
    REFERENCE_SECONDS[scenario] = REFERENCE_SECONDS.get(scenario, 0.0) + time.perf_counter() - start


# ------------------------------------------------------------------------------------------ question 1

Q1_PARAMS = dict(learning_rate=1.0, steps=300, batching="Full batch", seed=0)


@pytest.fixture(scope="module")
def q1_comparison() -> Scenario:
    s = Scenario("Q1 Adam, high learning rate")
    params = q1.AdamHighLearningRateParams(**Q1_PARAMS)
    result = q1.run(params)
    x, y = q1.dataset(params.seed)
    init = q1.initial_weights(params.seed)
    rates = [params.learning_rate, 0.001]  # the run and Keras's default, as the page draws them
    with timed("Q1"):
        ref = ex.adam_mlp(x, y, [np.stack([w, w]) for w in init], rates, params.steps)
    engine_curves = np.stack([result.curve[result.curve["series"] == name]["loss"].to_numpy()
                              for name in result.curve["series"].unique()])
    s.add("loss curve, lr 1.0 (300 steps)", relative_deviation(ref.losses[0], engine_curves[0]), CURVE_RTOL)
    s.add("loss curve, lr 0.001", relative_deviation(ref.losses[1], engine_curves[1]), CURVE_RTOL)
    most_dead = np.nanmax(ref.dead[0].sum(axis=1))
    s.data.run = SimpleNamespace(
        result=result, ref=ref,
        dead=(tuple(int(d) for d in ref.final_dead[0]), tuple(result.run.dead_per_layer)),
        most_dead=((int(most_dead), int(np.nanargmax(ref.dead[0].sum(axis=1)))),
                   (result.most_dead, result.most_dead_step)))
    s.add("dead ReLUs at the end (lr 1.0)", relative_deviation(sum(ref.final_dead[0]), result.run.dead_units), 0.0)

    # The sweep: every learning rate x initial-weight seed, on the data of the first sweep seed.
    sweep = q1.sweep(params.steps, params.batching)
    runs = sweep.runs
    rates = runs["learning_rate"].to_numpy(float)
    seeds = runs["seed"].to_numpy(int)
    x, y = q1.dataset(q1.SWEEP_SEEDS[0])
    stacked = [np.stack([q1.initial_weights(int(seed))[k] for seed in seeds]) for k in range(len(init))]
    with timed("Q1"):
        ref = ex.adam_mlp(x, y, stacked, rates, params.steps, track_dead=False)
    finite = np.where(np.isfinite(ref.losses), ref.losses, -np.inf)
    reference = SimpleNamespace(
        final=np.array([row[np.isfinite(row)][-1] for row in ref.losses]),
        peak=finite.max(axis=1),
        dead=ref.final_dead.sum(axis=1),
        nonfinite=ex.first_nonfinite(ref.losses),
    )
    engine = SimpleNamespace(final=runs["final_loss"].to_numpy(float), peak=runs["peak_loss"].to_numpy(float),
                             dead=runs["dead_units"].to_numpy(int), nonfinite=runs["nonfinite_step"].to_numpy(int))
    per_run = np.array([max(relative_deviation(reference.final[b], engine.final[b]),
                            relative_deviation(reference.peak[b], engine.peak[b])) for b in range(len(runs))])
    agrees = ((per_run <= FIGURE_RTOL) & (reference.dead == engine.dead)
              & (reference.nonfinite == engine.nonfinite))
    # The runs that disagree: how far float32 rounding alone moves them (reference, float32 vs float64).
    suspects = np.flatnonzero(~agrees)
    sensitivity = np.zeros(len(runs))
    if suspects.size:
        with timed("Q1"):
            ref64 = ex.adam_mlp(x, y, [w[suspects] for w in stacked], rates[suspects], params.steps, track_dead=False,
                                dtype=np.float64)
        sensitivity[suspects] = [relative_deviation(ref.losses[b], r) for b, r in zip(suspects, ref64.losses,
                                                                                       strict=True)]
    s.data.sweep = SimpleNamespace(runs=runs, rates=rates, seeds=seeds, reference=reference, engine=engine,
                                   per_run=per_run, agrees=agrees, sensitivity=sensitivity)
    s.add(f"sweep final & peak loss, {int(agrees.sum())} well-conditioned runs of {len(runs)}",
          per_run[agrees].max(), FIGURE_RTOL)
    if suspects.size:
        worst = suspects[np.argmax(per_run[suspects])]
        counts = {float(rate): int(np.sum(rates[suspects] == rate)) for rate in np.unique(rates[suspects])}
        s.add(f"sweep final loss, {suspects.size} ill-conditioned runs", per_run[suspects].max(), math.inf,
              "lr (runs): " + ", ".join(f"{rate:g} ({n})" for rate, n in counts.items())
              + f"; worst lr {rates[worst]:g} seed {seeds[worst]}: reference {reference.final[worst]:.3g}, "
              f"engine {engine.final[worst]:.3g}; the float32 and float64 reference runs themselves differ "
              f"by {sensitivity[suspects].min():.1g} to {sensitivity[suspects].max():.2g}")

    # The page's aggregate figures: the high rates' median final loss, the best rate.
    high = rates >= q1.HIGH_LEARNING_RATE
    s.add("sweep: median final loss at lr >= 1",
          relative_deviation(np.median(reference.final[high]), np.median(engine.final[high])), FIGURE_RTOL)
    s.data.best = (_best_rate(rates, reference.final), _best_rate(rates, engine.final))
    return s


def _medians(rates: np.ndarray, finals: np.ndarray) -> dict[float, float]:
    """The median final loss over the seeds, per learning rate."""
    return {float(rate): float(np.median(finals[rates == rate])) for rate in np.unique(rates)}


def _best_rate(rates: np.ndarray, finals: np.ndarray) -> tuple[float, float]:
    """The learning rate with the lowest median final loss over the seeds, and that median."""
    medians = _medians(rates, finals)
    best = min(medians, key=medians.get)
    return best, medians[best]


def test_q1_default_run_curves_agree(q1_comparison):
    for figure in ("loss curve, lr 1.0 (300 steps)", "loss curve, lr 0.001"):
        assert within(q1_comparison.row(figure)), q1_comparison.row(figure)
    result, ref = q1_comparison.data.run.result, q1_comparison.data.run.ref
    assert result.run.first_nonfinite_step is None and np.isfinite(ref.losses).all(), "no NaN at lr 1.0"


def test_q1_dead_relus_agree(q1_comparison):
    reference, engine = q1_comparison.data.run.dead
    assert reference == engine
    assert sum(engine) == 34, "the figure the page quotes (34 of 64 ReLUs dead at the end)"
    reference, engine = q1_comparison.data.run.most_dead
    assert reference == engine


def test_q1_sweep_final_losses_agree_where_reproducible(q1_comparison):
    sweep = q1_comparison.data.sweep
    assert sweep.agrees.sum() >= len(sweep.agrees) // 2, "most of the sweep must be compared digit by digit"
    assert sweep.per_run[sweep.agrees].max() <= FIGURE_RTOL
    for b in np.flatnonzero(~sweep.agrees):
        assert sweep.reference.nonfinite[b] == sweep.engine.nonfinite[b]
        assert sweep.sensitivity[b] > FIGURE_RTOL, (
            f"lr {sweep.rates[b]:g} seed {sweep.seeds[b]}: engine {sweep.engine.final[b]:.6g}, reference "
            f"{sweep.reference.final[b]:.6g}, yet float32 rounding moves this run by only "
            f"{sweep.sensitivity[b]:.1e}: a real disagreement")


def test_q1_sweep_claims_agree(q1_comparison):
    """What the page draws from the sweep: the high rates end far above the best rate's loss."""
    assert within(q1_comparison.row("sweep: median final loss at lr >= 1"))
    (ref_rate, ref_best), (engine_rate, engine_best) = q1_comparison.data.best
    sweep = q1_comparison.data.sweep
    # The best rate's runs are ill-conditioned (see the module docstring): which rate wins moves with rounding
    # alone (the engine said 0.02 with XLA and 0.05 without, the reference 0.02, on one machine; on an AVX-512
    # one the engine 0.05, the reference 0.01). The page names the band of near-tied best rates (each within
    # BEST_BAND_FACTOR of the lowest median), not one rate: each side's best rate is in the other's band.
    ref_medians = _medians(sweep.rates, sweep.reference.final)
    engine_medians = _medians(sweep.rates, sweep.engine.final)
    band = importlib.import_module("scenarios.adam_high_learning_rate.evidence").BEST_BAND_FACTOR
    assert ref_medians[engine_rate] <= band * ref_best, (engine_rate, ref_medians)
    assert engine_medians[ref_rate] <= band * engine_best, (ref_rate, engine_medians)
    high = sweep.rates >= q1.HIGH_LEARNING_RATE
    for best, finals in ((ref_best, sweep.reference.final), (engine_best, sweep.engine.final)):
        assert np.median(finals[high]) >= 10 * best


# ------------------------------------------------------------------------------------------ question 2

Q2_PARAMS = dict(seed=42, learning_rate=0.01, steps=100)


def _q2_reference(seed: int, learning_rate: float, steps: int, **rmsprop_options) -> np.ndarray:
    kernel, bias = q2.initial_weights(seed)
    return ex.rmsprop_dense(q2.X, q2.Y, kernel[None], bias[None], learning_rate, steps, **rmsprop_options)[0]


def _printed(loss: float) -> float:
    """What the snippet prints: round(float(loss), 3) of the float32 loss."""
    return round(float(F32(loss)), 3)


@pytest.fixture(scope="module")
def q2_comparison() -> Scenario:
    s = Scenario("Q2 RMSprop first step")
    result = q2.run(q2.RMSpropFirstStepParams(**Q2_PARAMS))
    with timed("Q2"):
        ref = _q2_reference(**Q2_PARAMS)
    s.add("loss curve, seed 42, 100 steps", relative_deviation(ref, result.curve["loss"].to_numpy()), CURVE_RTOL)
    s.data.printed = (_printed(ref[0]), result.printed_loss)

    distribution = q2.printed_loss_distribution()
    seeds = [int(seed) for seed in distribution.seeds]
    kernels = np.stack([q2.initial_weights(seed)[0] for seed in seeds])
    biases = np.stack([q2.initial_weights(seed)[1] for seed in seeds])
    with timed("Q2"):
        losses = ex.rmsprop_dense(q2.X, q2.Y, kernels, biases, q2.SNIPPET_LEARNING_RATE, 0)[:, 0]
    printed = np.array([_printed(v) for v in losses])
    low, high = q2.CLAIM_BAND
    share = float(np.mean((printed >= low) & (printed <= high)))
    s.add(f"printed loss, {len(seeds)} seeds (to 3 decimals)",
          relative_deviation(printed, distribution.printed_losses), 1e-3,
          f"{int(np.sum(printed != distribution.printed_losses))} seeds differ in the last printed digit")
    s.add(f"share of seeds printing {low:g}-{high:g}", relative_deviation(share, distribution.share_between(low, high)),
          0.0, f"{share:.1%}")
    s.data.distribution = SimpleNamespace(engine=distribution, printed=printed, losses=losses, kernels=kernels,
                                          biases=biases)
    return s


def test_q2_curve_and_printed_value_agree(q2_comparison):
    assert within(q2_comparison.row("loss curve, seed 42, 100 steps"))
    reference, engine = q2_comparison.data.printed
    assert reference == engine


def test_q2_distribution_agrees(q2_comparison):
    d = q2_comparison.data.distribution
    # A float32 loss on the rounding boundary may print one unit apart in the last digit, never more.
    assert np.max(np.abs(d.printed - d.engine.printed_losses)) <= 0.001 + 1e-9
    assert np.mean(d.printed != d.engine.printed_losses) <= 0.01
    assert within(q2_comparison.row(f"share of seeds printing {q2.CLAIM_BAND[0]:g}-{q2.CLAIM_BAND[1]:g}"))
    # The module's own closed form: bias 0, loss = mean((2x - w x)^2) = 7.5 (2 - w)^2.
    assert np.all(d.biases == 0)
    np.testing.assert_allclose(d.losses, 7.5 * (2.0 - d.kernels[:, 0, 0].astype(float)) ** 2, rtol=1e-5)


# ------------------------------------------------------------------------------------------ question 3


def _q3_reference(seeds: range, sparsity: float, steps: int, **optimizer_options) -> dict[str, tuple]:
    """Per optimizer: (tuned learning rate per seed, rare-weight RMS error per seed), tuned like the engine:
    the grid's rate with the lowest final full-data loss (Keras's default rate is run but not a candidate)."""
    data = [q3.dataset(seed, sparsity) for seed in seeds]
    x, y = np.stack([d.x for d in data]), np.stack([d.y for d in data])
    initial = np.stack([d.initial_kernel for d in data])
    rows = np.stack([q3.batch_indices(seed)[:steps] for seed in seeds])
    true = np.stack([d.true_kernel for d in data])
    out = {}
    for spec in q3.OPTIMIZERS:
        rates = np.array([*spec.learning_rates, spec.keras_default_learning_rate])
        options = optimizer_options.get(spec.key, {})
        optimizer = ex.make_optimizer(spec.key, rates, momentum=q3.MOMENTUM, **options)
        runs = ex.linear_minibatch(optimizer, x, y, initial, rows, steps, len(rates))
        final = np.where(np.isfinite(runs.final_loss), runs.final_loss, np.inf)[: q3.GRID_SIZE]
        best = np.argmin(final, axis=0)
        kernels = runs.kernels[best, np.arange(len(data))]
        rare = np.sqrt(np.mean(np.square(kernels[:, q3.N_COMMON:] - true[:, q3.N_COMMON:]), axis=1))
        out[spec.key] = (rates[best], rare)
    return out


@pytest.fixture(scope="module")
def q3_comparison() -> Scenario:
    s = Scenario("Q3 sparse gradients")
    spread = q3.seed_spread()
    with timed("Q3"):
        ref = _q3_reference(range(spread.seeds), spread.sparsity, spread.steps)
    frame = spread.frame.sort_values(["optimizer", "seed"])
    tuned_rates, errors = {}, {}
    for key in q3.OPTIMIZER_KEYS:
        rows = frame[frame["optimizer"] == key]
        tuned_rates[key] = (ref[key][0], rows["learning_rate"].to_numpy(float))
        errors[key] = (ref[key][1], rows["rare_error"].to_numpy(float))
    s.add(f"tuned learning rates, {spread.seeds} seeds x 5 optimizers",
          max(relative_deviation(*tuned_rates[k]) for k in q3.OPTIMIZER_KEYS), 0.0)
    s.add("rare-weight error per seed and optimizer", max(relative_deviation(*errors[k]) for k in q3.OPTIMIZER_KEYS),
          FIGURE_RTOL)
    medians = {k: float(np.median(errors[k][0])) for k in q3.OPTIMIZER_KEYS}
    s.add("median rare-weight error per optimizer",
          max(relative_deviation(medians[k], spread.median_errors()[k]) for k in q3.OPTIMIZER_KEYS), FIGURE_RTOL)
    table = np.stack([errors[k][0] for k in q3.OPTIMIZER_KEYS])
    winners = np.argmin(table, axis=0)
    wins = {k: int(np.sum(winners == i)) for i, k in enumerate(q3.OPTIMIZER_KEYS)}
    engine_wins = spread.lowest_counts()
    s.add("lowest rare-weight error: wins per optimizer",
          relative_deviation([wins[k] for k in q3.OPTIMIZER_KEYS], [engine_wins[k] for k in q3.OPTIMIZER_KEYS]), 0.0,
          ", ".join(f"{k} {n}" for k, n in wins.items()))
    s.data.spread = spread
    return s


def test_q3_seed_spread_agrees(q3_comparison):
    for row in q3_comparison.rows:
        assert within(row), row


# ------------------------------------------------------------------------------------------ question 4

Q4_PARAMS = dict(momentum=0.9, learning_rate=0.01, condition_number=50.0, steps=200)


def _steps_deviation(reference: int | None, engine: int | None) -> float:
    if reference is None or engine is None:
        return 0.0 if reference == engine else math.inf
    return abs(reference - engine) / max(engine, 1)


@pytest.fixture(scope="module")
def q4_comparison() -> Scenario:
    s = Scenario("Q4 momentum valley")
    params = q4.MomentumValleyParams(**Q4_PARAMS)
    result = q4.run(params)
    curvatures = q4.valley_curvatures(params.condition_number)
    with timed("Q4"):
        ref = ex.valley(q4.VALLEY_START, curvatures, params.learning_rate, [params.momentum, 0.0], params.steps)
    engine_curves = [result.curve[result.curve["series"] == name]["loss"].to_numpy()
                     for name in result.curve["series"].unique()]
    s.add("valley loss curves, momentum 0.9 and 0", max(relative_deviation(r, e) for r, e in
                                                         zip(ref.losses, engine_curves, strict=True)), CURVE_RTOL)
    run_steps = [ex.steps_to_converge(row, q4.CONVERGED_FRACTION) for row in ref.losses]
    s.data.run_steps = (run_steps, [result.steps_to_converge, result.baseline_steps_to_converge])

    sweep = q4.momentum_sweep(params.learning_rate, params.condition_number)
    with timed("Q4"):
        runs = ex.valley(q4.VALLEY_START, curvatures, params.learning_rate, sweep.momenta, sweep.horizon)
    steps = [ex.steps_to_converge(row, q4.CONVERGED_FRACTION) for row in runs.losses]
    s.data.sweep = (sweep, steps)
    s.add(f"steps to converge, {len(sweep.momenta)} momenta",
          max(_steps_deviation(r, e) for r, e in zip(steps, sweep.steps_to_converge, strict=True)), 0.0,
          ", ".join(f"{m:g}: {sweep.for_momentum(m)}" for m in q4.REPORTED_MOMENTA))

    basins = q4.basin_map()
    with timed("Q4"):
        geometry = ex.landscape_geometry(q4.LANDSCAPE_WALL_AT, q4.LANDSCAPE_WELLS)
        paths = ex.landscape(q4.LANDSCAPE_START, q4.LANDSCAPE_WALL_AT, q4.LANDSCAPE_WELLS, q4.LANDSCAPE_LEARNING_RATE,
                             basins.momenta, q4.LANDSCAPE_STEPS)
    finals = paths.weights[:, -1, 0]
    s.data.basins = (basins, [geometry.basin(w) for w in finals])
    s.add(f"landscape final positions, {len(basins.momenta)} momenta",
          relative_deviation(finals, basins.final_positions), FIGURE_RTOL)
    ref_bands = _bands(basins.momenta, [geometry.basin(w) for w in finals])
    s.add("basin bands", 0.0 if ref_bands == basins.bands() else math.inf, 0.0,
          "; ".join(f"{b} {lo:.2f}-{hi:.2f}" for b, lo, hi in basins.bands()))
    return s


def _bands(momenta, basins) -> list[tuple[str, float, float]]:
    out: list[tuple[str, float, float]] = []
    for momentum, basin in zip(momenta, basins, strict=True):
        if out and out[-1][0] == basin:
            out[-1] = (basin, out[-1][1], momentum)
        else:
            out.append((basin, momentum, momentum))
    return out


def test_q4_run_agrees(q4_comparison):
    assert within(q4_comparison.row("valley loss curves, momentum 0.9 and 0"))
    reference, engine = q4_comparison.data.run_steps
    for r, e in zip(reference, engine, strict=True):
        assert (r is None and e is None) or abs(r - e) <= 1


def test_q4_steps_to_converge_agree(q4_comparison):
    sweep, steps = q4_comparison.data.sweep
    for momentum, r, e in zip(sweep.momenta, steps, sweep.steps_to_converge, strict=True):
        assert (r is None and e is None) or abs(r - e) <= 1, f"momentum {momentum}: reference {r}, engine {e}"


def test_q4_basin_bands_agree(q4_comparison):
    basins, reference = q4_comparison.data.basins
    assert list(basins.basins) == reference
    assert within(q4_comparison.row(f"landscape final positions, {len(basins.momenta)} momenta"))


def _polyak(condition_number: float) -> tuple[float, float, float]:
    """Polyak's optimal heavy-ball pair for the valley: a = 4/(sqrt(L)+sqrt(m))^2, b = ((sqrt(k)-1)/(sqrt(k)+1))^2."""
    small, large = q4.valley_curvatures(condition_number)
    root = math.sqrt(condition_number)
    return 4 / (math.sqrt(large) + math.sqrt(small)) ** 2, ((root - 1) / (root + 1)) ** 2, condition_number


# (learning rate, momentum, condition number): the sweep's reported momenta, Polyak's pair for three
# valleys, and a few others on both sides of critical damping.
HEAVY_BALL_CASES = (
    *[(0.01, m, 50.0) for m in (0.0, 0.5, 0.8, 0.9, 0.95)],
    _polyak(10.0), _polyak(50.0), _polyak(100.0),
    (_polyak(50.0)[0] / 2, _polyak(50.0)[1], 50.0),
    (0.02, 0.9, 50.0), (0.005, 0.5, 50.0), (0.03, 0.0, 50.0), (0.02, 0.8, 100.0),
)


# The rate alone ignores how the start splits over the modes: from (-4, 1) the slow mode holds 24 % of the
# loss, so an overdamped run needs ln(0.24 * 1000) / ln(1000) = 0.8x the estimate.
RATE_ONLY_RTOL = 0.3


def _rate_estimate(learning_rate: float, momentum: float, condition_number: float) -> float:
    """Steps from the asymptotic rate alone: the loss is quadratic in w, so it contracts like rho**2
    a step and falls to CONVERGED_FRACTION after ln(1/fraction) / (-2 ln rho) steps."""
    rho = ex.heavy_ball_rate(learning_rate, momentum, q4.valley_curvatures(condition_number))
    return math.log(1 / q4.CONVERGED_FRACTION) / (-2 * math.log(rho))


def _critically_damped(learning_rate: float, momentum: float, condition_number: float) -> bool:
    """Some curvature has a (nearly) repeated root: the iteration matrix is (nearly) a Jordan block."""
    return any(abs((1 + momentum - learning_rate * c) ** 2 - 4 * momentum) < 1e-2
               for c in q4.valley_curvatures(condition_number))


@pytest.fixture(scope="module")
def q4_heavy_ball(q4_comparison) -> list[dict]:
    horizon = q4.MAX_STEPS
    out = []
    for learning_rate, momentum, condition_number in HEAVY_BALL_CASES:
        result = q4.run(q4.MomentumValleyParams(momentum=momentum, learning_rate=learning_rate,
                                                condition_number=condition_number, steps=horizon))
        closed_form = ex.heavy_ball_losses(learning_rate, momentum, q4.valley_curvatures(condition_number),
                                           q4.VALLEY_START, horizon)
        out.append(dict(learning_rate=learning_rate, momentum=momentum, condition_number=condition_number,
                        engine=result.steps_to_converge,
                        closed_form=ex.steps_to_converge(closed_form, q4.CONVERGED_FRACTION),
                        rate=_rate_estimate(learning_rate, momentum, condition_number),
                        critical=_critically_damped(learning_rate, momentum, condition_number)))
    rows = [c for c in out if not c["critical"]]
    q4_comparison.add("steps vs closed-form heavy ball (eigenmodes, Jordan at Polyak)",
                      max(_steps_deviation(c["closed_form"], c["engine"]) for c in out), 0.02,
                      f"{len(out)} (lr, momentum, condition) cases incl. Polyak's pair for condition 10/50/100")
    q4_comparison.add("steps vs rate-only estimate ln(1/f)/(-2 ln rho), not critically damped",
                      max(abs(c["rate"] - c["engine"]) / c["engine"] for c in rows), RATE_ONLY_RTOL,
                      "critically damped (Polyak's pairs ...): engine / estimate = " + ", ".join(
                          f"{c['engine'] / c['rate']:.2f}" for c in out if c["critical"]), analytic=True)
    return out


def test_q4_steps_match_the_closed_form_heavy_ball(q4_heavy_ball):
    """SGD with Keras's momentum on a quadratic is the heavy-ball iteration [[1+b-a*l, -b], [1, 0]]:
    its closed-form solution (eigenmodes; a Jordan block at Polyak's optimal pair, where both modes are
    critically damped) gives the engine's steps to within one step."""
    for case in q4_heavy_ball:
        assert case["engine"] is not None and abs(case["closed_form"] - case["engine"]) <= 1, case


def test_q4_steps_follow_the_spectral_radius(q4_heavy_ball):
    """The asymptotic rate alone, steps ~ ln(1/fraction) / (-2 ln rho), is within 30 % of the engine's steps
    wherever no mode is critically damped (the start's share of each mode sets the rest). At Polyak's pair the
    t * rho**t of the Jordan block makes the engine need ~2x the estimate; the closed form above covers it.
    (Without the 2, ln(1/fraction) / -ln rho, the estimate is twice these: the loss is quadratic in w.)"""
    for case in q4_heavy_ball:
        if case["critical"]:
            assert 1.0 < case["engine"] / case["rate"] < 3.0, case
        else:
            assert abs(case["rate"] - case["engine"]) / case["engine"] <= RATE_ONLY_RTOL, case


# ------------------------------------------------------------------------------------------ question 5

Q5_PARAMS = dict(optimizer="Adam", learning_rate=1.0, data_scale=0.0, epochs=10, clip=False, seed=0)


def _q5_reference(seeds, name: str, learning_rates, data_scales, clipped: bool, epochs: int):
    """The question's loop for every (seed, learning rate, data scale) row at once, one optimizer kind."""
    parts = [q5.dataset(int(seed)) for seed in seeds]
    x, y = np.stack([p[0] for p in parts]), np.stack([p[1] for p in parts])
    weights = [np.stack([p[2][i] for p in parts]) for i in range(len(parts[0][2]))]
    scales = (10.0 ** np.asarray(data_scales, float)).astype(F32)  # the engine's scale variable is float32
    cls = {"Adam": opt.Adam, "SGD": opt.SGD}[name]
    optimizer = cls(np.asarray(learning_rates, F32), clipnorm=1.0 if clipped else None, config_axis=True)
    return ex.question_loop(x, y, weights, optimizer, scales, epochs)


@pytest.fixture(scope="module")
def q5_comparison() -> Scenario:
    s = Scenario("Q5 NaN loss")
    runs = {}
    # The question as written, and the same loop with SGD (which overflows): the NaN/Inf kind too.
    # The clipped trainer is compared through the seed sweep's clipped cell.
    for label, overrides in (("question (Adam, lr 1, seed 0)", {}), ("SGD, lr 1, seed 0", {"optimizer": "SGD"})):
        params = q5.NanLossParams(**{**Q5_PARAMS, **overrides})
        result = q5.run(params)
        for summary in result.runs:
            with timed("Q5"):
                ref = _q5_reference([params.seed], params.optimizer, [params.learning_rate], [params.data_scale],
                                    summary.clipped, params.epochs)
            engine = result.curve[result.curve["series"] == summary.series]["loss"].to_numpy()
            runs[(label, summary.clipped)] = (ref, engine, summary)
    s.add("loss curves before the overflow (2 settings, 10 epochs)",
          max(relative_deviation(np.where(np.isfinite(ref.losses[0]), ref.losses[0], np.nan),
                                 np.where(np.isfinite(engine), engine, np.nan)) for ref, engine, _ in runs.values()),
          CURVE_RTOL)
    s.data.runs = runs

    sweep = q5.seed_sweep()
    cells = {name: getattr(sweep, name) for name in ("adam_question", "adam_overflow", "sgd_question",
                                                      "sgd_diverges", "sgd_diverges_clipped")}
    # One reference call per optimizer kind (like the engine's): its cells' seeds side by side.
    first = {}
    kinds = {(cell.optimizer, cell.clipped) for cell in cells.values()}
    for kind in sorted(kinds):
        names = [name for name, cell in cells.items() if (cell.optimizer, cell.clipped) == kind]
        seeds = [seed for _ in names for seed in q5.SWEEP_SEEDS]
        rates = [cells[name].learning_rate for name in names for _ in q5.SWEEP_SEEDS]
        scales = [cells[name].data_scale for name in names for _ in q5.SWEEP_SEEDS]
        with timed("Q5"):
            ref = _q5_reference(seeds, kind[0], rates, scales, kind[1], cells[names[0]].epochs)
        for k, name in enumerate(names):
            rows = slice(k * len(q5.SWEEP_SEEDS), (k + 1) * len(q5.SWEEP_SEEDS))
            first[name] = (ref.first_nonfinite[rows], cells[name].first_nonfinite)
    s.data.sweep = (cells, first)
    s.add(f"first NaN/Inf epoch per seed, {len(cells)} settings x {len(q5.SWEEP_SEEDS)} seeds",
          max(relative_deviation(r, e) for r, e in first.values()), 0.0,
          "; ".join(f"{n}: {int(np.sum(e >= 0))} of {len(e)} overflow" for n, (_, e) in first.items()))
    return s


def test_q5_runs_agree(q5_comparison):
    assert within(q5_comparison.row("loss curves before the overflow (2 settings, 10 epochs)"))
    for (label, _), (ref, _engine, summary) in q5_comparison.data.runs.items():
        first = int(ref.first_nonfinite[0])
        assert (None if first < 0 else first) == summary.first_nonfinite_step, label
        if first >= 0:
            assert ("NaN" if np.isnan(ref.losses[0, first]) else "Inf") == summary.nonfinite_kind, label
    question = q5_comparison.data.runs[("question (Adam, lr 1, seed 0)", False)]
    assert question[2].first_nonfinite_step is None, "the question as written stays finite for 10 epochs"


def test_q5_seed_sweep_overflow_epochs_agree(q5_comparison):
    _, first = q5_comparison.data.sweep
    for name, (reference, engine) in first.items():
        np.testing.assert_array_equal(reference, engine, err_msg=name)


# ------------------------------------------------------------------------------------------ can it fail?


@contextlib.contextmanager
def _q2_without_xla():
    """Question 2's engine on its plain TensorFlow graph loop, as on a host with little memory (the hosted demo).

    On an AVX-512 CPU, XLA's compiled loop moves the curve of `_mutated_q2` by ~1.3e-4 from the reference
    (measured; 8.5e-6 without XLA), more than epsilon's place does (~1.4e-4 against the Keras rule, but only
    ~5e-5 against XLA's curve): XLA's arithmetic there hides this one figure's signal. The update rule
    itself is the same Keras RMSprop either way.
    """
    engine = importlib.import_module("scenarios.rmsprop_first_step.engine")
    xla_trainer = engine._trainer
    saved = os.environ.get(XLA_VARIABLE)
    os.environ[XLA_VARIABLE] = "0"
    try:
        graph_trainer = xla_trainer.__wrapped__()  # a second trainer, built while XLA is off
    finally:
        if saved is None:
            os.environ.pop(XLA_VARIABLE, None)
        else:
            os.environ[XLA_VARIABLE] = saved
    # The cached XLA trainer is put back untouched: other tests count its traces.
    engine._trainer = lambda: graph_trainer
    try:
        yield
    finally:
        engine._trainer = xla_trainer


def _mutated_q2(**options) -> float:
    """Question 2 where epsilon's place shows: seed 42 at learning rate 0.001 for 1000 steps, where the
    gradients shrink to ~0.2 and v to ~0.05 near the end, so sqrt(v + eps) and sqrt(v) + eps differ."""
    params = dict(seed=42, learning_rate=0.001, steps=1000)
    with _q2_without_xla():
        engine = q2.run(q2.RMSpropFirstStepParams(**params)).curve["loss"].to_numpy()
    return relative_deviation(_q2_reference(**params, **options), engine)


def _mutated_q1(**options) -> float:
    """Question 1's reference series (Adam at Keras's default 0.001, 300 steps)."""
    params = q1.AdamHighLearningRateParams(**Q1_PARAMS)
    result = q1.run(params)
    engine = result.curve[result.curve["series"] == result.curve["series"].unique()[1]]["loss"].to_numpy()
    x, y = q1.dataset(params.seed)
    weights = [w[None] for w in q1.initial_weights(params.seed)]
    return relative_deviation(ex.adam_mlp(x, y, weights, [0.001], params.steps, **options).losses[0], engine)


def _mutated_q3(**options) -> float:
    spread = q3.seed_spread()
    ref = _q3_reference(range(3), spread.sparsity, spread.steps, adagrad=options)
    engine = spread.frame[(spread.frame["optimizer"] == "adagrad") & (spread.frame["seed"] < 3)]
    return relative_deviation(ref["adagrad"][1], engine.sort_values("seed")["rare_error"].to_numpy(float))


MUTATIONS = {
    # name: (figure, its tolerance, deviation with Keras's rule, deviation with the rule changed)
    "RMSprop epsilon outside the root (q2 curve)": (
        _mutated_q2, 3e-5, {}, {"epsilon_inside": False}),
    "Adam without bias correction (q1 curve at lr 0.001)": (
        _mutated_q1, CURVE_RTOL, {}, {"bias_correction": False}),
    "Adagrad accumulator starting at 0, not 0.1 (q3 rare-weight errors)": (
        _mutated_q3, FIGURE_RTOL, {}, {"initial_accumulator_value": 0.0}),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_the_comparison_can_fail(mutation):
    """The same comparison with one update rule changed in the reference must fail its tolerance.

    Moving epsilon is the subtle one: at Keras's epsilon = 1e-7 it only shows where v gets near epsilon. In
    this app the gradients stay above ~1e-2, so moving it changes no headline figure by more than ~1e-4;
    the one well-conditioned run found where it shows is question 2 at learning rate 0.001 (the reference
    agrees to ~1e-5 there, the moved epsilon is ~1.4e-4 off), held here to a 3e-5 tolerance.
    """
    figure, tolerance, keras_rule, changed_rule = MUTATIONS[mutation]
    assert figure(**keras_rule) <= tolerance
    assert figure(**changed_rule) > 3 * tolerance


# ------------------------------------------------------------------------------------------ the reference itself


def test_the_reference_never_imports_tensorflow():
    allowed = {"__future__", "collections", "collections.abc", "dataclasses", "numpy", "tests.reference"}
    for path in (Path(__file__).parent / "reference").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert all(name in allowed for name in names), f"{path.name} imports {names}"


def test_agreement_table(q1_comparison, q2_comparison, q3_comparison, q4_comparison, q4_heavy_ball, q5_comparison,
                         capsys):
    """Print every compared figure and, per scenario, the largest relative deviation (run with -s)."""
    scenarios = (q1_comparison, q2_comparison, q3_comparison, q4_comparison, q5_comparison)
    lines = ["", f"{'scenario':<28} {'figure':<74} {'rel. dev.':>9} {'tolerance':>9}"]
    for scenario in scenarios:
        for row in scenario.rows:
            tolerance = "reported" if math.isinf(row.tolerance) else f"{row.tolerance:.0e}"
            tolerance += " (formula)" if row.analytic else ""
            lines.append(f"{row.scenario:<28} {row.figure:<74} {row.deviation:>9.1e} {tolerance:>9}")
            if row.note:
                lines.append(f"{'':<28}   {row.note}")
    lines.append("")
    lines.append("largest relative deviation, reference vs engine, per scenario (figures held to a tolerance):")
    for scenario in scenarios:
        held = [r for r in scenario.rows if not math.isinf(r.tolerance) and not r.analytic]
        worst = max(held, key=lambda r: r.deviation)
        lines.append(f"  {scenario.name:<28} {worst.deviation:.1e}  ({worst.figure})")
    lines.append("reference's own run time: " + ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in sorted(REFERENCE_SECONDS.items()))
        + f" (total {sum(REFERENCE_SECONDS.values()):.1f} s)")
    with capsys.disabled():
        print("\n".join(lines))
    for scenario in scenarios:
        for row in scenario.rows:
            assert within(row), row
