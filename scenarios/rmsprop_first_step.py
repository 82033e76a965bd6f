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

from scenarios._tf import tensorflow
from scenarios.evidence import Evidence
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
    seed: int = 42
    learning_rate: float = SNIPPET_LEARNING_RATE
    steps: int = 100

    def __post_init__(self) -> None:
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be in [0, {MAX_SEED}], got {self.seed}")
        if not (np.isfinite(self.learning_rate) and self.learning_rate >= 0):
            raise ValueError(f"learning_rate must be finite and >= 0, got {self.learning_rate}")
        if not 0 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be in [0, {MAX_STEPS}], got {self.steps}")


# The page's default slider values (benchmarks and warm-up use them).
EXAMPLE_PARAMS = RMSpropFirstStepParams()


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


def _series_name(params: RMSpropFirstStepParams) -> str:
    return f"RMSprop, learning rate {params.learning_rate:g}"


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
            "series": _series_name(params),
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


# The seed answer's claim: "around 10.0". Taken generously as 10 ± 2.5.
CLAIMED_VALUE = 10.0
CLAIM_BAND = (7.5, 12.5)


def evidence(result: RMSpropFirstStepResult, distribution: PrintedLossDistribution) -> Evidence:
    """Does "around 10.0" hold across seeds? Numbers from the runs."""
    printed = distribution.printed_losses
    share = distribution.share_between(*CLAIM_BAND)
    low, high = CLAIM_BAND
    findings = (
        f"For seed {result.params.seed} the snippet prints {result.printed_loss:.3f} "
        f"(initial kernel w = {result.initial_kernel:.4f}, bias {result.initial_bias:g}).",
        f"Over seeds 0–{len(printed) - 1} the printed value ranges from {printed.min():.3f} "
        f"to {printed.max():.3f}; median {np.median(printed):.3f}, mean {printed.mean():.3f}.",
        f"Only {share:.1%} of those seeds print a value between {low:g} and {high:g}.",
        "The value is the loss *before* the update: the RMSprop step cannot change it.",
    )
    verdict = "holds" if share >= 0.5 else "contradicted"
    return Evidence(verdict=verdict, findings=findings)


def warm_up() -> None:
    """Compile the loop for one run and for the seed distribution."""
    run(EXAMPLE_PARAMS)
    printed_loss_distribution()


def reproduction_code(params: RMSpropFirstStepParams) -> str:
    """Self-contained eager TensorFlow that prints this run's loss curve.

    It is the question's snippet, seeded, looped for `steps` updates: a
    student can paste it into a notebook and get the numbers on screen.
    Like every scenario's code, its last line of output is JSON mapping
    each plotted series to its losses (what tests and benchmarks compare).
    """
    return f'''import json

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed({params.seed})

x = np.array([[1.0], [2.0], [3.0], [4.0]])
y = np.array([[2.0], [4.0], [6.0], [8.0]])
model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
optimizer = tf.keras.optimizers.RMSprop(learning_rate={params.learning_rate!r})
loss_fn = tf.keras.losses.MeanSquaredError()

losses = []  # the loss before each update, then after the last one
for step in range({params.steps} + 1):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    losses.append(float(loss))
    if step == {params.steps} or not np.isfinite(losses[-1]):
        break
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))

print("printed by the question's snippet:", round(losses[0], 3))
print(json.dumps({{{_series_name(params)!r}: losses}}))
'''
