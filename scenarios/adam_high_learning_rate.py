"""Question 1: what a very high learning rate does to Adam.

The task, all drawn with NumPy from the seed:

    x ~ N(0, 1)^(256 x 3);  z = x @ u / sqrt(3)  (u ~ N(0, 1)^(3 x 2))
    y = standardise(sin(2 z0) + 0.5 z1^2)          # smooth, nonlinear, unit variance
    model = Sequential([Input((3,)), Dense(32, "relu"), Dense(32, "relu"), Dense(1)])
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    loss = MeanSquaredError()                       # predicting the mean scores 1.0

Each run trains the page's learning rate and a reference at Adam's default
learning rate (0.001) from the same data and initial weights, in one
compiled call. A separate sweep trains every learning rate of the slider's
grid for a few seeds (an LR range test), again in one compiled call.

Mini-batch training uses per-step sample-weight masks: 32 examples per
step, reshuffled each epoch from the seed, each weighted 256 / 32 = 8 so
the masked mean over all 256 rows equals the mini-batch mean (Keras' MSE
divides by the number of rows, not by the sum of the weights). Full batch
and mini-batch therefore run the same compiled graph.

A ReLU unit is *dead* when it outputs 0 for every training input: the
gradient of its own weights is then zero for every example, so it can only
come back through Adam's leftover momentum (which decays) or through a
change in the layer below it (for the second hidden layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from scenarios._tf import tensorflow
from scenarios.evidence import Evidence, Verdict
from scenarios.training import BatchRun, CompiledTrainer, glorot_uniform

N_EXAMPLES = 256
N_FEATURES = 3
HIDDEN_UNITS = 32
HIDDEN_LAYERS = 2
TOTAL_UNITS = HIDDEN_UNITS * HIDDEN_LAYERS
MINI_BATCH_SIZE = 32
MAX_STEPS = 1000
MAX_SEED = 9999
MIN_LEARNING_RATE = 0.0
MAX_LEARNING_RATE = 10.0
REFERENCE_LEARNING_RATE = 0.001  # Keras' default for Adam
Batching = Literal["Full batch", "Mini-batch"]
BATCHING_CHOICES: tuple[Batching, ...] = ("Full batch", "Mini-batch")

# The sweep: the slider's own grid (1-2-5 per decade, 1e-4 ... 10), so the
# page's learning rate is always one of the swept points.
SWEEP_LEARNING_RATES: tuple[float, ...] = tuple(
    float(f"{m}e{e}") for e in range(-4, 2) for m in (1, 2, 5) if float(f"{m}e{e}") <= 10.0
)
SWEEP_SEEDS: tuple[int, ...] = (0, 1, 2)
# "Very high" for the verdict: the top of the sweep.
HIGH_LEARNING_RATE = 1.0


@dataclass(frozen=True)
class AdamHighLearningRateParams:
    learning_rate: float = 1.0
    steps: int = 300
    batching: Batching = "Full batch"
    seed: int = 0

    def __post_init__(self) -> None:
        rate = self.learning_rate
        if not (isinstance(rate, float | int) and np.isfinite(rate)
                and MIN_LEARNING_RATE <= rate <= MAX_LEARNING_RATE):
            raise ValueError(
                f"learning_rate must be in [{MIN_LEARNING_RATE:g}, {MAX_LEARNING_RATE:g}], "
                f"got {self.learning_rate!r}"
            )
        if not (isinstance(self.steps, int | np.integer) and 0 <= self.steps <= MAX_STEPS):
            raise ValueError(f"steps must be an integer in [0, {MAX_STEPS}], got {self.steps!r}")
        if self.batching not in BATCHING_CHOICES:
            raise ValueError(f"batching must be one of {BATCHING_CHOICES}, got {self.batching!r}")
        if not (isinstance(self.seed, int | np.integer) and 0 <= self.seed <= MAX_SEED):
            raise ValueError(f"seed must be an integer in [0, {MAX_SEED}], got {self.seed!r}")


@dataclass(frozen=True)
class CurveStats:
    """Plain numbers about one loss curve (NaN-aware)."""

    initial_loss: float
    final_loss: float  # last finite loss
    peak_loss: float  # highest finite loss, the start included
    peak_step: int
    best_loss: float  # lowest finite loss
    rises: int  # steps on which the loss went up (by more than 0.1 %)
    first_nonfinite_step: int | None
    dead_per_layer: tuple[int, ...]  # dead ReLUs per hidden layer at the end of the run

    @property
    def dead_units(self) -> int:
        return sum(self.dead_per_layer)

    @property
    def spiked(self) -> bool:
        """Went clearly above where it started (overshoot)."""
        return self.peak_loss > 1.5 * self.initial_loss

    @property
    def ended_higher(self) -> bool:
        """The loss increased over the run: it ended above where it started."""
        return self.first_nonfinite_step is not None or self.final_loss > self.initial_loss


@dataclass(frozen=True)
class AdamHighLearningRateResult:
    params: AdamHighLearningRateParams
    curve: pd.DataFrame  # columns: step, series, loss (this run, then the reference)
    dead_curve: pd.DataFrame  # columns: step, series, dead (dead ReLUs, same steps as the loss)
    run: CurveStats
    reference: CurveStats
    most_dead: int  # this run: the most ReLUs dead at once during the run
    most_dead_step: int  # ... first reached at this step

    @property
    def series(self) -> tuple[str, str]:
        return series_names(self.params.learning_rate)


@dataclass(frozen=True)
class SweepResult:
    steps: int
    batching: Batching
    # One row per (learning rate, seed): learning_rate, seed, initial_loss,
    # final_loss, peak_loss, peak_step, rises, dead_units, nonfinite_step (-1: none).
    runs: pd.DataFrame

    def __post_init__(self) -> None:
        # The page shows these on every rerun; pandas takes ~10 ms for them, so
        # they are derived once, with the sweep (and pickled with it by st.cache_data).
        object.__setattr__(self, "_by_rate", self._aggregate())
        object.__setattr__(self, "_summary", high_rate_summary(self))

    @property
    def summary(self) -> HighRateSummary:
        """`high_rate_summary(self)`, computed once."""
        return self._summary

    def by_rate(self) -> pd.DataFrame:
        """Median, min and max over seeds of the final and peak loss, per learning rate."""
        return self._by_rate

    def _aggregate(self) -> pd.DataFrame:
        grouped = self.runs.groupby("learning_rate", sort=True)
        table = grouped.agg(
            final_median=("final_loss", "median"),
            final_min=("final_loss", "min"),
            final_max=("final_loss", "max"),
            peak_median=("peak_loss", "median"),
            peak_min=("peak_loss", "min"),
            peak_max=("peak_loss", "max"),
            dead_median=("dead_units", "median"),
            initial_median=("initial_loss", "median"),
        )
        return table.reset_index()

    def best_rate(self) -> tuple[float, float]:
        """The learning rate with the lowest median final loss, and that loss."""
        table = self.by_rate()
        row = table.loc[table["final_median"].idxmin()]
        return float(row["learning_rate"]), float(row["final_median"])

    def high_runs(self) -> pd.DataFrame:
        return self.runs[self.runs["learning_rate"] >= HIGH_LEARNING_RATE]


def series_names(learning_rate: float) -> tuple[str, str]:
    return (
        f"Adam, learning rate {learning_rate:g} (this run)",
        f"Adam, learning rate {REFERENCE_LEARNING_RATE:g} (Keras default)",
    )


# ---------------------------------------------------------------- data, init


@lru_cache(maxsize=256)
def dataset(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The 256 x 3 inputs and 256 x 1 targets for this seed (read-only)."""
    rng = np.random.default_rng([seed, 0])
    x = rng.standard_normal((N_EXAMPLES, N_FEATURES))
    directions = rng.standard_normal((N_FEATURES, 2)) / np.sqrt(N_FEATURES)
    z = x @ directions
    y = np.sin(2.0 * z[:, 0]) + 0.5 * z[:, 1] ** 2
    y = (y - y.mean()) / y.std()
    x, y = x.astype(np.float32), y[:, None].astype(np.float32)
    x.flags.writeable = y.flags.writeable = False
    return x, y


def _layer_sizes() -> list[tuple[int, int]]:
    sizes = [N_FEATURES] + [HIDDEN_UNITS] * HIDDEN_LAYERS + [1]
    return list(zip(sizes[:-1], sizes[1:], strict=True))


@lru_cache(maxsize=256)
def initial_weights(seed: int) -> tuple[np.ndarray, ...]:
    """Glorot-uniform kernels and zero biases, in `model.trainable_variables` order."""
    rng = np.random.default_rng([seed, 1])
    values: list[np.ndarray] = []
    for fan_in, fan_out in _layer_sizes():
        values.append(glorot_uniform(rng, fan_in, fan_out).astype(np.float32))
        values.append(np.zeros(fan_out, np.float32))
    for v in values:
        v.flags.writeable = False
    return tuple(values)


@lru_cache(maxsize=256)
def sample_weights(seed: int, batching: Batching) -> np.ndarray | None:
    """[MAX_STEPS, 256] per-step weights: None for full batch; else 32-example masks.

    Each epoch is a fresh permutation of the 256 examples cut into 8 batches;
    the chosen rows weigh 256/32 so the weighted mean is the mini-batch mean.
    """
    if batching == "Full batch":
        return None
    rng = np.random.default_rng([seed, 2])
    per_epoch = N_EXAMPLES // MINI_BATCH_SIZE
    epochs = -(-MAX_STEPS // per_epoch)
    masks = np.zeros((epochs * per_epoch, N_EXAMPLES), np.float32)
    weight = N_EXAMPLES / MINI_BATCH_SIZE
    for epoch in range(epochs):
        order = rng.permutation(N_EXAMPLES).reshape(per_epoch, MINI_BATCH_SIZE)
        rows = np.arange(epoch * per_epoch, (epoch + 1) * per_epoch)[:, None]
        masks[rows, order] = weight
    masks = masks[:MAX_STEPS]
    masks.flags.writeable = False
    return masks


# ---------------------------------------------------------------- trainers


@cache
def _run_trainer() -> CompiledTrainer:
    """One loop for the page's run (2 configs) and the sweep: dead units per step."""
    tf = tensorflow()
    hidden = [tf.keras.layers.Dense(HIDDEN_UNITS, activation="relu") for _ in range(HIDDEN_LAYERS)]
    model = tf.keras.Sequential([tf.keras.Input((N_FEATURES,)), *hidden, tf.keras.layers.Dense(1)])
    loss_object = tf.keras.losses.MeanSquaredError()

    def loss_fn(x, y, sample_weight):
        return loss_object(y, model(x, training=True), sample_weight=sample_weight)

    def dead_units(x, y):
        """[dead units in hidden layer 1, in hidden layer 2] on the training inputs."""
        counts = []
        h = x
        for layer in hidden:
            h = layer(h)
            alive = tf.reduce_any(h > 0, axis=0)
            counts.append(tf.reduce_sum(tf.cast(tf.logical_not(alive), tf.float32)))
        return tf.stack(counts)

    return CompiledTrainer(
        variables=model.trainable_variables,
        optimizer=tf.keras.optimizers.Adam(learning_rate=REFERENCE_LEARNING_RATE),
        loss_fn=loss_fn,
        max_steps=MAX_STEPS,
        trace_fn=dead_units,
        summary_fn=dead_units,
    )


# ---------------------------------------------------------------- runs


def curve_stats(losses: np.ndarray, dead_per_layer: np.ndarray) -> CurveStats:
    losses = np.asarray(losses, float)
    finite = np.isfinite(losses)
    bad = np.flatnonzero(~finite)
    first_bad = int(bad[0]) if bad.size else None
    valid = losses[: first_bad] if first_bad is not None else losses
    if valid.size == 0:  # cannot happen: step 0 is the initial loss
        valid = np.array([np.nan])
    peak_step = int(np.argmax(valid))
    diffs = np.diff(valid)
    rises = int(np.sum(diffs > 1e-3 * np.abs(valid[:-1]))) if valid.size > 1 else 0
    return CurveStats(
        initial_loss=float(valid[0]),
        final_loss=float(valid[-1]),
        peak_loss=float(valid[peak_step]),
        peak_step=peak_step,
        best_loss=float(np.min(valid)),
        rises=rises,
        first_nonfinite_step=first_bad,
        dead_per_layer=tuple(int(round(d)) for d in dead_per_layer),
    )


def _stack(per_config: list[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
    return [np.stack(arrays) for arrays in zip(*per_config, strict=True)]


def run(params: AdamHighLearningRateParams) -> AdamHighLearningRateResult:
    """This learning rate and the Keras default, same seed, data and init: one call."""
    x, y = dataset(params.seed)
    init = initial_weights(params.seed)
    batch: BatchRun = _run_trainer().run(
        initial_values=_stack([init, init]),
        hyperparameter_values=np.array([[params.learning_rate], [REFERENCE_LEARNING_RATE]]),
        steps=params.steps,
        x=x,
        y=y,
        sample_weights=sample_weights(params.seed, params.batching),
    )
    names = series_names(params.learning_rate)
    steps = np.arange(batch.losses.shape[1])
    curve = pd.DataFrame({
        "step": np.concatenate([steps, steps]),
        "series": np.repeat(names, len(steps)),
        "loss": np.concatenate([batch.losses[0], batch.losses[1]]),
    })
    dead = batch.traces.sum(axis=2)  # [configs, steps + 1]
    dead_curve = pd.DataFrame({
        "step": np.concatenate([steps, steps]),
        "series": np.repeat(names, len(steps)),
        "dead": np.concatenate([dead[0], dead[1]]),
    })
    stats = [curve_stats(batch.losses[b], batch.summary[b]) for b in range(2)]
    dead_run = np.where(np.isfinite(dead[0]), dead[0], -1)
    return AdamHighLearningRateResult(
        params=params, curve=curve, dead_curve=dead_curve, run=stats[0], reference=stats[1],
        most_dead=int(dead_run.max()), most_dead_step=int(np.argmax(dead_run)),
    )


SWEEP_CONFIGS: tuple[tuple[float, int], ...] = tuple(
    (rate, seed) for rate in SWEEP_LEARNING_RATES for seed in SWEEP_SEEDS
)


@lru_cache(maxsize=2)
def _sweep_curves(batching: Batching) -> BatchRun:
    """Every swept learning rate x seed for MAX_STEPS steps, in ONE compiled call.

    Run once per batching (in the start-up warm-up) at the step cap: the
    loss and dead units at any "Steps" value are read off these curves,
    so moving the Steps slider never retrains the sweep. Step s of a long
    run is step s of a short one (same compiled loop, same inputs).
    One compiled call takes one dataset: the sweep's seeds are the seeds of
    the initial weights, on the data (and mini-batch order) of seed 0.
    """
    x, y = dataset(SWEEP_SEEDS[0])
    return _run_trainer().run(
        initial_values=_stack([initial_weights(seed) for _, seed in SWEEP_CONFIGS]),
        hyperparameter_values=np.array([[rate] for rate, _ in SWEEP_CONFIGS]),
        steps=MAX_STEPS,
        x=x,
        y=y,
        sample_weights=sample_weights(SWEEP_SEEDS[0], batching),
    )


def _dead_at(traces: np.ndarray, steps: int) -> np.ndarray:
    """Dead units per layer at `steps`, or at the last step with finite weights."""
    finite = np.flatnonzero(np.all(np.isfinite(traces[: steps + 1]), axis=1))
    return traces[finite[-1]] if finite.size else np.zeros(traces.shape[1])


@lru_cache(maxsize=64)
def sweep(steps: int, batching: Batching) -> SweepResult:
    """Final and peak loss of every swept learning rate x seed after `steps` steps."""
    AdamHighLearningRateParams(steps=steps, batching=batching)  # validates
    batch = _sweep_curves(batching)
    rows = []
    for b, (rate, seed) in enumerate(SWEEP_CONFIGS):
        s = curve_stats(batch.losses[b, : steps + 1], _dead_at(batch.traces[b], steps))
        rows.append({
            "learning_rate": rate,
            "seed": seed,
            "initial_loss": s.initial_loss,
            "final_loss": s.final_loss,
            "peak_loss": s.peak_loss,
            "peak_step": s.peak_step,
            "rises": s.rises,
            "dead_units": s.dead_units,
            "dead_last_layer": s.dead_per_layer[-1],
            "nonfinite_step": -1 if s.first_nonfinite_step is None else s.first_nonfinite_step,
        })
    return SweepResult(steps=steps, batching=batching, runs=pd.DataFrame(rows))


# ---------------------------------------------------------------- evidence

# The loss of always predicting the mean of y: 1.0, since y is standardised.
MEAN_PREDICTOR_LOSS = 1.0
# "Prevents convergence": the high rates end at least this many times above
# the best rate of the sweep.
NOT_CONVERGED_FACTOR = 10.0
# "Fell back": the final loss is at least this many times below the run's peak.
FELL_BACK_FACTOR = 100.0


@dataclass(frozen=True)
class HighRateSummary:
    """What the sweep's runs at learning rates >= HIGH_LEARNING_RATE did."""

    runs: int
    spiked: int  # peak > 1.5 x the starting loss
    nonfinite: int
    ended_higher: int  # final loss above the starting loss (or non-finite)
    fell_back: int  # finite, and the final loss >= FELL_BACK_FACTOR below the peak
    kept_climbing: int  # non-finite, or ended higher without falling back
    median_peak_ratio: float  # peak / initial loss
    median_final: float
    min_final: float
    max_final: float
    median_dead: float
    median_dead_last_layer: float
    best_rate: float
    best_final: float
    best_dead: float  # median dead ReLUs at the best rate
    best_dead_last_layer: float

    @property
    def not_converged(self) -> bool:
        return self.best_rate < HIGH_LEARNING_RATE and (
            self.median_final >= NOT_CONVERGED_FACTOR * self.best_final
        )


def high_rate_summary(sweep_result: SweepResult) -> HighRateSummary:
    high = sweep_result.high_runs()
    finite = high["nonfinite_step"] < 0
    ended_higher = ~finite | (high["final_loss"] > high["initial_loss"])
    fell_back = finite & (high["final_loss"] * FELL_BACK_FACTOR <= high["peak_loss"])
    best_rate, best_final = sweep_result.best_rate()
    best_runs = sweep_result.runs[sweep_result.runs["learning_rate"] == best_rate]
    return HighRateSummary(
        runs=len(high),
        spiked=int((high["peak_loss"] > 1.5 * high["initial_loss"]).sum()),
        nonfinite=int((~finite).sum()),
        ended_higher=int(ended_higher.sum()),
        fell_back=int(fell_back.sum()),
        kept_climbing=int((ended_higher & ~fell_back).sum()),
        median_peak_ratio=float((high["peak_loss"] / high["initial_loss"]).median()),
        median_final=float(high["final_loss"].median()),
        min_final=float(high["final_loss"].min()),
        max_final=float(high["final_loss"].max()),
        median_dead=float(high["dead_units"].median()),
        median_dead_last_layer=float(high["dead_last_layer"].median()),
        best_rate=best_rate,
        best_final=best_final,
        best_dead=float(best_runs["dead_units"].median()),
        best_dead_last_layer=float(best_runs["dead_last_layer"].median()),
    )


def verdict(summary: HighRateSummary) -> Verdict:
    """The seed answer: overshoot, oscillation or an increase, and no convergence.

    contradicted: the high rates reach a loss near the sweep's best.
    holds: they overshoot and most keep climbing (or go NaN).
    holds with a caveat: they fail to converge, but most fall back from
    their spike and stall (or never overshoot at all).
    """
    if not summary.not_converged:
        return "contradicted"
    overshoot = 2 * summary.spiked >= summary.runs
    if overshoot and 2 * summary.kept_climbing > summary.runs:
        return "holds"
    return "holds with a caveat"


def _ratio(value: float, reference: float) -> float:
    return value / reference if reference > 0 else float("inf")


def _run_sentence(result: AdamHighLearningRateResult) -> str:
    p, r = result.params, result.run
    text = (
        f"At learning rate {p.learning_rate:g} ({p.batching.lower()}, seed {p.seed}) the loss "
        f"started at {r.initial_loss:.3g}"
    )
    if p.steps == 0:
        return text + " (no steps were run)."
    if r.peak_loss > r.initial_loss:
        text += f", peaked at {r.peak_loss:.3g} at step {r.peak_step}"
    else:
        text += ", never went above that"
    if r.first_nonfinite_step is not None:
        return text + f" and became non-finite at step {r.first_nonfinite_step}; the run stopped there."
    return (
        text + f" and ended at {r.final_loss:.3g} after {p.steps} steps; "
        f"it went up on {r.rises} of {p.steps} steps."
    )


def evidence(result: AdamHighLearningRateResult, sweep_result: SweepResult) -> Evidence:
    """Does a very high learning rate overshoot, oscillate/increase, and prevent convergence?"""
    s = sweep_result.summary
    ref = result.reference
    dead_layers = " and ".join(
        f"{d} in hidden layer {i}" for i, d in enumerate(result.run.dead_per_layer, start=1)
    )
    high_rates = [r for r in SWEEP_LEARNING_RATES if r >= HIGH_LEARNING_RATE]
    findings = (
        _run_sentence(result),
        f"At the end of that run {result.run.dead_units} of {TOTAL_UNITS} ReLUs were dead (output 0 "
        f"for all {N_EXAMPLES} training inputs: {dead_layers}); the most dead at once was "
        f"{result.most_dead}, at step {result.most_dead_step}. At the default learning rate "
        f"{REFERENCE_LEARNING_RATE:g} the loss went from {ref.initial_loss:.3g} to "
        f"{ref.final_loss:.3g}, with {ref.dead_units} dead ReLU{'' if ref.dead_units == 1 else 's'} "
        f"at the end.",
        f"In the sweep ({len(SWEEP_LEARNING_RATES)} learning rates × {len(SWEEP_SEEDS)} initial weights, "
        f"{sweep_result.steps} steps, {sweep_result.batching.lower()}) the lowest median final loss was "
        f"{s.best_final:.3g}, at learning rate {s.best_rate:g}. At learning rates "
        f"{', '.join(f'{r:g}' for r in high_rates)} the final loss ranged from {s.min_final:.3g} to "
        f"{s.max_final:.3g} (median {s.median_final:.3g}, "
        f"{_ratio(s.median_final, s.best_final):.3g}× the best; "
        f"predicting the mean of y everywhere scores {MEAN_PREDICTOR_LOSS:g}).",
        f"Of those {s.runs} high-rate runs, {s.spiked} spiked above their starting loss (median peak "
        f"{s.median_peak_ratio:.3g}× the start), {s.nonfinite} went NaN or Inf, {s.ended_higher} ended "
        f"above where they started, and {s.fell_back} fell back by {FELL_BACK_FACTOR:g}× or more from "
        f"their peak.",
        f"The high-rate runs ended with a median of {s.median_dead:g} of {TOTAL_UNITS} ReLUs dead, "
        f"{s.median_dead_last_layer:g} of the last hidden layer's {HIDDEN_UNITS} (at learning rate "
        f"{s.best_rate:g}: {s.best_dead:g} and {s.best_dead_last_layer:g}). A dead unit's own weights get "
        f"zero gradient; with the whole last hidden layer dead the network outputs a constant and "
        f"cannot beat predicting the mean.",
    )
    outcome = verdict(s)
    if outcome == "contradicted":
        conclusion = (
            f"The high learning rates reached a median final loss of {s.median_final:.3g}, "
            f"{_ratio(s.median_final, s.best_final):.3g}× the best rate's: here they did not prevent "
            f"convergence."
        )
    elif outcome == "holds":
        conclusion = (
            f"So the loss overshot and {s.kept_climbing} of {s.runs} high-rate runs kept climbing or "
            f"blew up, as the seed answer says."
        )
    elif 2 * s.spiked < s.runs:
        conclusion = (
            f"The high learning rates did not converge, but only {s.spiked} of {s.runs} runs went above "
            f"their starting loss: they stalled rather than overshooting."
        )
    else:
        conclusion = (
            f"So the loss overshoots, goes up and down and does not converge, as the seed answer says; "
            f"but {s.runs - s.kept_climbing} of {s.runs} high-rate runs did not keep climbing: "
            f"{s.fell_back} fell back by {FELL_BACK_FACTOR:g}× or more from their spike, and all "
            f"{s.runs} still ended at least {_ratio(s.min_final, s.best_final):.3g}× above the best "
            f"rate's loss."
        )
    return Evidence(verdict=outcome, findings=(*findings, conclusion))


def warm_up() -> None:
    """Compile the loop for a run and for the sweep; train both sweeps."""
    run(AdamHighLearningRateParams())
    for batching in ("Full batch", "Mini-batch"):
        _sweep_curves(batching)


# The page's default slider values (benchmarks use them).
EXAMPLE_PARAMS = AdamHighLearningRateParams(learning_rate=1.0, steps=300, batching="Full batch", seed=0)


def reproduction_code(params: AdamHighLearningRateParams) -> str:
    """Self-contained eager TensorFlow that prints the page's two loss curves.

    Same NumPy draws for the data, the initial weights and the mini-batch
    order; a fresh `tf.keras.optimizers.Adam` per run in a plain Python
    loop. Where the engine trains a mini-batch through a 0/8 sample-weight
    mask over all 256 rows (so one compiled graph serves both batchings),
    this code slices the 32 rows out, which is the same mean. Like every
    scenario's code, its last line of output is JSON mapping each plotted
    series to its losses.
    """
    this_run, reference = series_names(params.learning_rate)
    mini_batch = params.batching == "Mini-batch"
    return f'''import json

import numpy as np
import tensorflow as tf

seed = {int(params.seed)}
steps = {int(params.steps)}
mini_batch = {mini_batch!r}  # {params.batching}

# Data: {N_EXAMPLES} examples with {N_FEATURES} features and a smooth nonlinear target,
# standardised so that always predicting the mean scores a loss of exactly 1.
rng = np.random.default_rng([seed, 0])
x = rng.standard_normal(({N_EXAMPLES}, {N_FEATURES}))
directions = rng.standard_normal(({N_FEATURES}, 2)) / np.sqrt({N_FEATURES})
z = x @ directions
y = np.sin(2.0 * z[:, 0]) + 0.5 * z[:, 1] ** 2
y = (y - y.mean()) / y.std()
x, y = x.astype(np.float32), y[:, None].astype(np.float32)

# Initial weights: Glorot-uniform kernels and zero biases, drawn once and
# shared by both runs.
rng = np.random.default_rng([seed, 1])
initial_weights = []
for fan_in, fan_out in {_layer_sizes()!r}:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    initial_weights.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
    initial_weights.append(np.zeros(fan_out, np.float32))

# Mini-batches: each epoch a fresh shuffle of the {N_EXAMPLES} examples, cut into
# batches of {MINI_BATCH_SIZE}; step i trains on batches[i].
rng = np.random.default_rng([seed, 2])
batches = []
while len(batches) < steps:
    batches.extend(rng.permutation({N_EXAMPLES}).reshape(-1, {MINI_BATCH_SIZE}))

loss_fn = tf.keras.losses.MeanSquaredError()


def dead_relus(model):
    """Hidden units that output 0 for every training input."""
    h, dead = x, 0
    for layer in model.layers[:-1]:
        h = layer(h)
        dead += int(tf.reduce_sum(tf.cast(~tf.reduce_any(h > 0, axis=0), tf.int32)))
    return dead


def train(learning_rate):
    """The full-data loss before each update, then after the last one."""
    model = tf.keras.Sequential([
        tf.keras.Input(({N_FEATURES},)),
        tf.keras.layers.Dense({HIDDEN_UNITS}, activation="relu"),
        tf.keras.layers.Dense({HIDDEN_UNITS}, activation="relu"),
        tf.keras.layers.Dense(1),
    ])
    model.set_weights(initial_weights)
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    losses = []
    for step in range(steps + 1):
        losses.append(float(loss_fn(y, model(x, training=True))))
        if step == steps or not np.isfinite(losses[-1]):
            break  # the last step, or the loss overflowed: stop there
        rows = batches[step] if mini_batch else slice(None)
        with tf.GradientTape() as tape:
            loss = loss_fn(y[rows], model(x[rows], training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    print(f"learning rate {{learning_rate:g}}: {{dead_relus(model)}} of {TOTAL_UNITS} ReLUs dead at the end")
    # A run that stopped early is padded with NaN, so every curve has steps + 1 points.
    return losses + [float("nan")] * (steps + 1 - len(losses))


# The chart's curves: this learning rate, then Adam's default 0.001.
curves = {{
    {this_run!r}: train({float(params.learning_rate)!r}),
    {reference!r}: train({REFERENCE_LEARNING_RATE!r}),
}}
for name, losses in curves.items():
    print(f"{{name}}: loss {{losses[0]:.4g}} at the start, peak {{np.nanmax(losses):.4g}}, "
          f"{{losses[-1]:.4g}} at the end")
print(json.dumps(curves))
'''
