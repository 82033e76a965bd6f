"""Question 2: the loss printed after one RMSprop step on y = 2x.

The question's snippet, run after `tf.keras.utils.set_random_seed(seed)`:

    x = [[1], [2], [3], [4]];  y = 2 * x
    model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
    loss = MeanSquaredError()(y, model(x))      # computed *before* the update
    RMSprop(learning_rate=0.01).apply_gradients(...)
    print(round(float(loss), 3))

The printed value is the loss of the *initial* weights: kernel w drawn by
Glorot-uniform from U(-sqrt(3), sqrt(3)) and bias 0, so the loss is
mean((2x - w x)^2) = 7.5 * (2 - w)^2 and depends entirely on the seed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from scenarios import precomputed
from scenarios._tf import tensorflow
from scenarios.training import CompiledTrainer

X = np.array([[1.0], [2.0], [3.0], [4.0]])
Y = np.array([[2.0], [4.0], [6.0], [8.0]])
SNIPPET_LEARNING_RATE = 0.01
MAX_STEPS = 1000
MAX_SEED = 2**31 - 1
# Seeds 0..N-1 for the distribution of the printed value.
DISTRIBUTION_SEEDS = 400


@dataclass(frozen=True)
class RMSpropFirstStepParams:
    """One run of the snippet. Defaults and slider ranges: the question's TOML."""

    seed: int
    learning_rate: float
    steps: int

    def __post_init__(self) -> None:
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be in [0, {MAX_SEED}], got {self.seed}")
        if not (np.isfinite(self.learning_rate) and self.learning_rate >= 0):
            raise ValueError(f"learning_rate must be finite and >= 0, got {self.learning_rate}")
        if not 0 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be in [0, {MAX_STEPS}], got {self.steps}")


@dataclass(frozen=True)
class RMSpropFirstStepResult:
    params: RMSpropFirstStepParams
    printed_loss: float  # exactly what the snippet prints: round(float(loss), 3)
    initial_kernel: float
    initial_bias: float
    curve: pd.DataFrame  # columns: step, series, loss
    first_nonfinite_step: int | None


@dataclass(frozen=True)
class PrintedLossDistribution:
    seeds: np.ndarray
    printed_losses: np.ndarray

    def share_between(self, low: float, high: float) -> float:
        inside = (self.printed_losses >= low) & (self.printed_losses <= high)
        return float(np.mean(inside))


_seed_lock = threading.Lock()


@lru_cache(maxsize=4096)
def initial_weights(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The kernel and bias the snippet's model starts from for this seed.

    Same draw as the snippet: `set_random_seed(seed)` then a fresh
    `Dense(1)` whose Glorot-uniform initializer takes its seed from Python's
    `random`, which `set_random_seed` just reset. `set_random_seed` is
    process-global, hence the lock.
    """
    tf = tensorflow()
    with _seed_lock:
        tf.keras.utils.set_random_seed(int(seed))
        layer = tf.keras.layers.Dense(1)
        layer.build((None, 1))
        kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    kernel.flags.writeable = bias.flags.writeable = False  # cached: share, never mutate
    return kernel, bias


@cache
def _trainer() -> CompiledTrainer:
    tf = tensorflow()
    model = tf.keras.Sequential([tf.keras.Input((1,)), tf.keras.layers.Dense(1)])
    loss_object = tf.keras.losses.MeanSquaredError()

    def loss_fn(x, y, sample_weight):
        return loss_object(y, model(x, training=True), sample_weight=sample_weight)

    return CompiledTrainer(
        variables=model.trainable_variables,
        optimizer=tf.keras.optimizers.RMSprop(learning_rate=SNIPPET_LEARNING_RATE),
        loss_fn=loss_fn,
        max_steps=MAX_STEPS,
    )


def series_name(params: RMSpropFirstStepParams) -> str:
    return f"RMSprop, learning rate {params.learning_rate:g}"


@precomputed.entry
def run(params: RMSpropFirstStepParams) -> RMSpropFirstStepResult:
    kernel, bias = initial_weights(params.seed)
    batch = _trainer().run(
        initial_values=[kernel[None], bias[None]],
        hyperparameter_values=np.array([[params.learning_rate]]),
        steps=params.steps,
        x=X,
        y=Y,
    )
    losses = batch.losses[0]
    curve = pd.DataFrame(
        {
            "step": np.arange(len(losses)),
            "series": series_name(params),
            "loss": losses,
        }
    )
    return RMSpropFirstStepResult(
        params=params,
        printed_loss=round(float(np.float32(losses[0])), 3),
        initial_kernel=float(kernel[0, 0]),
        initial_bias=float(bias[0]),
        curve=curve,
        first_nonfinite_step=batch.first_nonfinite_step(),
    )


@precomputed.entry
@cache
def printed_loss_distribution(count: int = DISTRIBUTION_SEEDS) -> PrintedLossDistribution:
    """The printed value for seeds 0..count-1, from the same compiled loss."""
    seeds = np.arange(count)
    kernels, biases = zip(*(initial_weights(int(s)) for s in seeds), strict=True)
    batch = _trainer().run(
        initial_values=[np.stack(kernels), np.stack(biases)],
        hyperparameter_values=np.full((count, 1), SNIPPET_LEARNING_RATE),
        steps=0,
        x=X,
        y=Y,
    )
    printed = np.array([round(float(np.float32(v)), 3) for v in batch.losses[:, 0]])
    return PrintedLossDistribution(seeds=seeds, printed_losses=printed)


def warm_up(params: RMSpropFirstStepParams) -> None:
    """Compile the loop for one run and for the seed distribution."""
    run(params)
    printed_loss_distribution()
