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

from scenarios import precomputed
from scenarios._tf import tensorflow
from scenarios.grids import log_grid
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
# The loss of always predicting the mean of y: 1.0, since y is standardised.
MEAN_PREDICTOR_LOSS = 1.0

# The sweep: the slider's own grid (1-2-5 per decade, 1e-4 ... 10), so the
# page's learning rate is always one of the swept points.
SWEEP_LEARNING_RATES: tuple[float, ...] = log_grid(1e-4, MAX_LEARNING_RATE)
SWEEP_SEEDS: tuple[int, ...] = (0, 1, 2)


@dataclass(frozen=True)
class AdamHighLearningRateParams:
    """One run of the page. Defaults and slider ranges: the question's TOML."""

    learning_rate: float
    steps: int
    batching: Batching
    seed: int

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
        # The page shows this on every rerun; pandas takes ~10 ms for it, so it
        # is derived once, with the sweep (which `sweep` caches).
        object.__setattr__(self, "_by_rate", self._aggregate())

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


def _train(learning_rate: float, seed: int, steps: int, batching: Batching) -> BatchRun:
    """One run of the page's model (one config): this rate, this seed's data and initial weights."""
    x, y = dataset(seed)
    return _run_trainer().run(
        initial_values=_stack([initial_weights(seed)]),
        hyperparameter_values=np.array([[learning_rate]]),
        steps=steps,
        x=x,
        y=y,
        sample_weights=sample_weights(seed, batching),
    )


@lru_cache(maxsize=64)
def _reference_run(seed: int, steps: int, batching: Batching) -> BatchRun:
    """The Keras default rate's run: the same for every value of the learning-rate slider, so
    trained once per seed, steps and batching. At the defaults one config takes ~30 ms here and
    two in one call ~50 ms; the losses are bit for bit those of the two-config call."""
    return _train(REFERENCE_LEARNING_RATE, seed, steps, batching)


@precomputed.entry
def run(params: AdamHighLearningRateParams) -> AdamHighLearningRateResult:
    """This learning rate and the Keras default, same seed, data and init."""
    this = _train(params.learning_rate, params.seed, params.steps, params.batching)
    reference = _reference_run(params.seed, params.steps, params.batching)
    batch = BatchRun(
        losses=np.concatenate([this.losses, reference.losses]),
        traces=np.concatenate([this.traces, reference.traces]),
        summary=np.concatenate([this.summary, reference.summary]),
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


# Every (steps, batching) the page's sliders offer fits (100 x 2): the page and
# `evidence` read the same cached sweep, so it is never derived twice.
@precomputed.entry
@lru_cache(maxsize=256)
def sweep(steps: int, batching: Batching) -> SweepResult:
    """Final and peak loss of every swept learning rate x seed after `steps` steps."""
    # Validates steps and batching (the learning rate and seed are the sweep's own).
    AdamHighLearningRateParams(learning_rate=REFERENCE_LEARNING_RATE, steps=steps, batching=batching,
                               seed=SWEEP_SEEDS[0])
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


def warm_up(params: AdamHighLearningRateParams) -> None:
    """Compile the loop for a run and for the sweep; train both sweeps."""
    run(params)
    for batching in BATCHING_CHOICES:
        _sweep_curves(batching)


# The page's default slider values (benchmarks use them).
