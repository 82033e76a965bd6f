"""Question 5: when does the question's training loop turn the loss NaN?

The question's loop, exactly:

    model = tf.keras.Sequential([Dense(10, activation='relu'), Dense(1)])
    optimizer = tf.keras.optimizers.Adam(learning_rate=1.0)
    for epoch in range(epochs):            # one full-batch update per epoch
        loss = tf.reduce_mean(tf.square(y - model(x)))   # printed, *before* the update
        optimizer.apply_gradients(...)

The question does not say what `x` and `y` are, so the data come from the
seed: `DATA_SIZE` examples of `FEATURES` standard-normal features and a
linear-ish target `y = x·w + 0.3·tanh(x₀) + 0.1·noise` (all O(1)). The
"Data scale" control multiplies the inputs *and* the targets by
10**data_scale, as raw unnormalised data would be (prices in dollars from
areas in square feet): the relation between x and y is the same at every
scale, only the magnitude of the numbers changes. The scale is a variable
of the compiled loop, so a new value never retraces.

Initial weights are Glorot-uniform (biases zero) drawn with NumPy from the
seed, after the data, from the same generator.

Four compiled trainers are built once: Adam and SGD, each plain and with
`clipnorm=1.0` (clipping is a constructor argument, so it changes the
graph). The learning rate, the data scale and which seed's data to use are
variables, so sliders never retrace and a sweep over seeds (each with its
own data and weights) runs as one batched call per trainer.

Every epoch records, besides the loss, the largest |weight| of the model and
the number of dead ReLU units (hidden units whose pre-activation is <= 0 for
every example: they output 0 and their weights get no gradient, so only
Adam's momentum can still move them back).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from scenarios import precomputed
from scenarios._tf import tensorflow
from scenarios.training import BatchRun, CompiledTrainer, glorot_uniform

Optimizer = Literal["Adam", "SGD"]
OPTIMIZERS: tuple[Optimizer, ...] = ("Adam", "SGD")
DATA_SIZE = 128
FEATURES = 4
HIDDEN_UNITS = 10
CLIPNORM = 1.0
# How series names and the page write the clipping, as in the Keras call.
CLIPNORM_TEXT = f"clipnorm={CLIPNORM!r}"
MAX_EPOCHS = 1000
MAX_SEED = 2**31 - 1
MAX_LEARNING_RATE = 1000.0
MAX_DATA_SCALE = 8.0
QUESTION_LEARNING_RATE = 1.0
QUESTION_EPOCHS = 10

# Trace columns recorded at every epoch.
LARGEST_WEIGHT, DEAD_UNITS = 0, 1


@dataclass(frozen=True)
class NanLossParams:
    """One page of the question's loop. Defaults and slider ranges: the question's TOML."""

    optimizer: Optimizer
    learning_rate: float
    data_scale: float  # log10 of the magnitude of the inputs (and targets)
    epochs: int
    clip: bool  # also run the same optimizer with clipnorm=CLIPNORM
    seed: int

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if not (np.isfinite(self.learning_rate) and 0 <= self.learning_rate <= MAX_LEARNING_RATE):
            raise ValueError(f"learning_rate must be in [0, {MAX_LEARNING_RATE:g}], got {self.learning_rate}")
        if not (np.isfinite(self.data_scale) and 0 <= self.data_scale <= MAX_DATA_SCALE):
            raise ValueError(f"data_scale must be in [0, {MAX_DATA_SCALE:g}], got {self.data_scale}")
        if not 0 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"epochs must be in [0, {MAX_EPOCHS}], got {self.epochs}")
        if not isinstance(self.clip, bool):
            raise ValueError(f"clip must be a bool, got {self.clip!r}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be in [0, {MAX_SEED}], got {self.seed}")


@dataclass(frozen=True)
class RunSummary:
    """One training run (one series of the chart), as plain numbers."""

    series: str
    clipped: bool
    first_nonfinite_step: int | None  # epoch whose printed loss was NaN/Inf
    nonfinite_kind: str | None  # "NaN" or "Inf"
    initial_loss: float
    final_loss: float  # last finite loss
    largest_weight: float  # largest |weight| over the finite epochs
    dead_units: int | None  # at the end; None if the weights are no longer finite


@dataclass(frozen=True)
class NanLossResult:
    params: NanLossParams
    curve: pd.DataFrame  # columns: step, series, loss
    diagnostics: pd.DataFrame  # columns: step, series, largest_weight, dead_units
    runs: tuple[RunSummary, ...]  # plain run first, then the clipped one if asked

    @property
    def plain(self) -> RunSummary:
        return self.runs[0]

    @property
    def first_nonfinite_step(self) -> int | None:
        return self.plain.first_nonfinite_step


# ----------------------------------------------------------------- data, weights


@lru_cache(maxsize=4096)
def dataset(seed: int) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """(x, y, initial weights) at scale 1 for this seed; read-only (cached)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((DATA_SIZE, FEATURES))
    true_w = rng.standard_normal((FEATURES, 1))
    y = x @ true_w + 0.3 * np.tanh(x[:, :1]) + 0.1 * rng.standard_normal((DATA_SIZE, 1))

    weights = (
        glorot_uniform(rng, FEATURES, HIDDEN_UNITS), np.zeros(HIDDEN_UNITS),
        glorot_uniform(rng, HIDDEN_UNITS, 1), np.zeros(1),
    )
    arrays = tuple(np.asarray(a, np.float32) for a in (x, y, *weights))
    for array in arrays:
        array.flags.writeable = False
    return arrays[0], arrays[1], arrays[2:]


def _stacked(seeds: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Data of several seeds stacked along the rows; weights along a config axis."""
    parts = [dataset(s) for s in seeds]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    weights = [np.stack([p[2][i] for p in parts]) for i in range(4)]
    return x, y, weights


# ----------------------------------------------------------------- trainers


@cache
def _trainer(optimizer: Optimizer, clipped: bool) -> CompiledTrainer:
    """The question's model and loss with a real Keras optimizer (built once)."""
    tf = tensorflow()
    model = tf.keras.Sequential([
        tf.keras.Input((FEATURES,)),
        tf.keras.layers.Dense(HIDDEN_UNITS, activation="relu"),
        tf.keras.layers.Dense(1),
    ])
    hidden = model.layers[0]
    scale = tf.Variable(1.0, dtype=tf.float32, trainable=False)
    data_index = tf.Variable(0, dtype=tf.int32, trainable=False)
    clip = {"clipnorm": CLIPNORM} if clipped else {}
    keras_optimizer = (
        tf.keras.optimizers.Adam(learning_rate=QUESTION_LEARNING_RATE, **clip)
        if optimizer == "Adam"
        else tf.keras.optimizers.SGD(learning_rate=QUESTION_LEARNING_RATE, **clip)
    )

    def data(x, y):
        # x holds one or more seeds' data stacked by rows; pick this config's.
        xs = tf.gather(tf.reshape(x, [-1, DATA_SIZE, FEATURES]), data_index) * scale
        ys = tf.gather(tf.reshape(y, [-1, DATA_SIZE, 1]), data_index) * scale
        return xs, ys

    def loss_fn(x, y, sample_weight):
        # Full batch, as in the question: sample_weight is all ones and unused.
        xs, ys = data(x, y)
        predictions = model(xs, training=True)
        return tf.reduce_mean(tf.square(ys - predictions))

    def health(x, y):
        xs, _ = data(x, y)
        largest = tf.reduce_max(tf.stack([tf.reduce_max(tf.abs(v)) for v in model.trainable_variables]))
        finite = tf.reduce_all(tf.stack(
            [tf.reduce_all(tf.math.is_finite(v)) for v in model.trainable_variables]))
        pre_activation = tf.matmul(xs, hidden.kernel) + hidden.bias
        dead = tf.reduce_sum(tf.cast(tf.reduce_all(pre_activation <= 0, axis=0), tf.float32))
        dead = tf.where(finite, dead, tf.constant(float("nan")))
        return tf.stack([largest, dead])

    return CompiledTrainer(
        variables=model.trainable_variables,
        optimizer=keras_optimizer,
        loss_fn=loss_fn,
        max_steps=MAX_EPOCHS,
        hyperparameters=(scale, data_index),
        trace_fn=health,
        summary_fn=health,
    )


def _batch(optimizer: Optimizer, clipped: bool, seeds: tuple[int, ...],
           settings: np.ndarray, epochs: int) -> BatchRun:
    """settings: [configs, 3] = learning rate, data scale (log10), index into `seeds`."""
    x, y, weights = _stacked(seeds)
    index = settings[:, 2].astype(int)
    hyperparameters = np.stack(
        [settings[:, 0], 10.0 ** settings[:, 1], settings[:, 2]], axis=1)
    return _trainer(optimizer, clipped).run(
        initial_values=[w[index] for w in weights],
        hyperparameter_values=hyperparameters,
        steps=epochs,
        x=x,
        y=y,
    )


def series_name(optimizer: Optimizer, learning_rate: float, clipped: bool) -> str:
    """The chart's name for a run (the legend, the CSV, the Show code's JSON)."""
    return f"{optimizer}, learning rate {learning_rate:g}" + (f", {CLIPNORM_TEXT}" if clipped else "")


def _summary(batch: BatchRun, config: int, series: str, clipped: bool) -> RunSummary:
    losses = batch.losses[config]
    first = batch.first_nonfinite_step(config)
    finite_losses = losses[np.isfinite(losses)]
    weights = batch.traces[config, :, LARGEST_WEIGHT]
    finite_weights = weights[np.isfinite(weights)]
    dead = batch.summary[config, DEAD_UNITS]
    return RunSummary(
        series=series,
        clipped=clipped,
        first_nonfinite_step=first,
        nonfinite_kind=None if first is None else ("NaN" if np.isnan(losses[first]) else "Inf"),
        initial_loss=float(losses[0]),
        final_loss=float(finite_losses[-1]) if finite_losses.size else float("nan"),
        largest_weight=float(finite_weights.max()) if finite_weights.size else float("nan"),
        dead_units=int(dead) if first is None and np.isfinite(dead) else None,
    )


@precomputed.entry
def run(params: NanLossParams) -> NanLossResult:
    """The question's loop for these settings (and its clipped twin if asked)."""
    settings = np.array([[params.learning_rate, params.data_scale, 0]])
    variants = (False, True) if params.clip else (False,)
    curves, diagnostics, runs = [], [], []
    for clipped in variants:
        batch = _batch(params.optimizer, clipped, (params.seed,), settings, params.epochs)
        series = series_name(params.optimizer, params.learning_rate, clipped)
        steps = np.arange(params.epochs + 1)
        curves.append(pd.DataFrame({"step": steps, "series": series, "loss": batch.losses[0]}))
        diagnostics.append(pd.DataFrame({
            "step": steps, "series": series,
            "largest_weight": batch.traces[0, :, LARGEST_WEIGHT],
            "dead_units": batch.traces[0, :, DEAD_UNITS],
        }))
        runs.append(_summary(batch, 0, series, clipped))
    return NanLossResult(
        params=params,
        curve=pd.concat(curves, ignore_index=True),
        diagnostics=pd.concat(diagnostics, ignore_index=True),
        runs=tuple(runs),
    )


# ----------------------------------------------------------------- the seed sweep

SWEEP_SEEDS = tuple(range(32))
# The presets the page and the TOML talk about (learning rate, data scale).
QUESTION_SETTING = (QUESTION_LEARNING_RATE, 0.0)
DIVERGES_SETTING = (1.0, 2.0)
# Adam needs far bigger numbers: learning rate 100 on inputs around a million.
ADAM_OVERFLOW_SETTING = (100.0, 6.0)


@dataclass(frozen=True)
class SweepCell:
    """One setting over all sweep seeds (each seed: its own data and weights)."""

    optimizer: Optimizer
    clipped: bool
    learning_rate: float
    data_scale: float
    epochs: int
    first_nonfinite: np.ndarray  # [seeds] epoch of the first NaN/Inf loss, -1 if none
    initial_loss: np.ndarray  # [seeds] loss printed at epoch 0
    peak_loss_early: np.ndarray  # [seeds] largest finite loss over epochs 0..QUESTION_EPOCHS
    loss_at_question_epochs: np.ndarray  # [seeds] loss after QUESTION_EPOCHS updates (NaN if gone)
    dead_at_question_epochs: np.ndarray  # [seeds] dead units after QUESTION_EPOCHS updates
    dead_at_end: np.ndarray  # [seeds] dead units at the end (NaN if the run went non-finite)
    largest_weight_early: np.ndarray  # [seeds] max |w| over epochs 0..QUESTION_EPOCHS
    largest_weight_at_end: np.ndarray  # [seeds] max |w| over all finite epochs

    def nonfinite_within(self, epochs: int) -> int:
        """Seeds whose loss was NaN/Inf at some epoch <= `epochs` (the loop's
        printed epochs 0..epochs-1 plus the loss after the last update)."""
        return int(np.sum((self.first_nonfinite >= 0) & (self.first_nonfinite <= epochs)))

    @property
    def seeds(self) -> int:
        return len(self.first_nonfinite)


@dataclass(frozen=True)
class SeedSweep:
    adam_question: SweepCell  # Adam, lr 1, scale 0: the question as written
    adam_overflow: SweepCell  # Adam with numbers big enough to overflow
    sgd_question: SweepCell  # SGD, lr 1, scale 0: the same learning rate with SGD
    sgd_diverges: SweepCell  # SGD at the "Diverges" preset
    sgd_diverges_clipped: SweepCell  # the same with clipnorm=1.0


def _cells(optimizer: Optimizer, clipped: bool, settings: tuple[tuple[float, float], ...],
           seeds: tuple[int, ...], epochs: int) -> list[SweepCell]:
    """All settings × seeds in ONE batched call of one trainer."""
    rows = np.array([(lr, scale, i) for lr, scale in settings for i in range(len(seeds))], float)
    batch = _batch(optimizer, clipped, seeds, rows, epochs)
    early = min(QUESTION_EPOCHS, epochs)
    first = np.array([-1 if (s := batch.first_nonfinite_step(c)) is None else s for c in range(len(rows))])
    finite_losses = np.where(np.isfinite(batch.losses), batch.losses, -np.inf)
    weights = batch.traces[:, :, LARGEST_WEIGHT]
    weights = np.where(np.isfinite(weights), weights, -np.inf)
    cells = []
    for k, (lr, scale) in enumerate(settings):
        c = slice(k * len(seeds), (k + 1) * len(seeds))
        cells.append(SweepCell(
            optimizer=optimizer, clipped=clipped, learning_rate=lr, data_scale=scale, epochs=epochs,
            first_nonfinite=first[c],
            initial_loss=batch.losses[c, 0],
            peak_loss_early=finite_losses[c, : early + 1].max(axis=1),
            loss_at_question_epochs=batch.losses[c, early],
            dead_at_question_epochs=batch.traces[c, early, DEAD_UNITS],
            dead_at_end=np.where(first[c] < 0, batch.summary[c, DEAD_UNITS], np.nan),
            largest_weight_early=weights[c, : early + 1].max(axis=1),
            largest_weight_at_end=weights[c].max(axis=1),
        ))
    return cells


@precomputed.entry
@cache
def seed_sweep(seeds: tuple[int, ...] = SWEEP_SEEDS, epochs: int = MAX_EPOCHS) -> SeedSweep:
    """The claims across seeds: one batched call per trainer (3 calls)."""
    adam_question, adam_overflow = _cells(
        "Adam", False, (QUESTION_SETTING, ADAM_OVERFLOW_SETTING), seeds, epochs)
    sgd_question, sgd_diverges = _cells(
        "SGD", False, (QUESTION_SETTING, DIVERGES_SETTING), seeds, epochs)
    (sgd_clipped,) = _cells("SGD", True, (DIVERGES_SETTING,), seeds, epochs)
    return SeedSweep(adam_question=adam_question, adam_overflow=adam_overflow,
                     sgd_question=sgd_question, sgd_diverges=sgd_diverges,
                     sgd_diverges_clipped=sgd_clipped)


def warm_up(params: NanLossParams) -> None:
    """Compile each trainer once for a single run (the page's defaults, clipped too), then the seed sweep."""
    for optimizer in OPTIMIZERS:
        run(replace(params, optimizer=optimizer, clip=True))
    seed_sweep()
