"""Each scenario's training procedure, on the reference optimizers and models.

What every scenario records, as the engine's pages describe it: the
full-data loss *before* each update (what a student's `print(loss)` shows),
then the loss after the last update; a run stops at its first non-finite
loss (that value is kept, everything after it is NaN). Configurations
(learning rates, momenta, seeds) run side by side on a leading axis; each
one's numbers are its own (every update rule here is elementwise, and
`clipnorm` is taken per configuration).

Data, initial weights and mini-batch orders are *inputs*: the tests take
them from the engine's data helpers (`dataset`, `initial_weights`,
`batch_indices`), which are NumPy draws, not update rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tests.reference import models, optimizers

F32 = np.float32


def _copy32(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    return [np.array(a, F32) for a in arrays]


def _record(losses: np.ndarray, alive: np.ndarray, step: int, loss: np.ndarray) -> np.ndarray:
    """Write this step's loss for the configurations still running; return who keeps running."""
    losses[alive, step] = loss[alive]
    return alive & np.isfinite(loss)


def first_nonfinite(losses: np.ndarray) -> np.ndarray:
    """[C] index of the first NaN/Inf loss of each run, -1 if none."""
    bad = ~np.isfinite(losses)
    return np.where(bad.any(axis=1), np.argmax(bad, axis=1), -1)


def steps_to_converge(losses: np.ndarray, fraction: float) -> int | None:
    """First step from which the loss stays below `fraction` of its start to the end (None: never)."""
    losses = np.asarray(losses, float)
    if not np.isfinite(losses[0]):
        return None
    below = losses < fraction * losses[0]
    if not below[-1]:
        return None
    above = np.flatnonzero(~below)
    return int(above[-1] + 1) if above.size else 0


# ------------------------------------------------------------------ question 1


@dataclass(frozen=True)
class MLPRuns:
    losses: np.ndarray  # [C, steps + 1] float64 (float32 values)
    dead: np.ndarray  # [C, steps + 1, hidden layers] dead ReLUs before each update (NaN after a stop)
    final_dead: np.ndarray  # [C, hidden layers] dead ReLUs at the end
    weights: list[np.ndarray]  # final weights, [C, ...] each


def adam_mlp(x: np.ndarray, y: np.ndarray, initial: Sequence[np.ndarray], learning_rates: Sequence[float],
             steps: int, sample_weights: np.ndarray | None = None, track_dead: bool = True,
             dtype: type = F32, **adam_options) -> MLPRuns:
    """Question 1: `Sequential([Dense(32, relu), Dense(32, relu), Dense(1)])`, Adam, Keras MSE.

    initial: the weights with a leading configuration axis; learning_rates: [C].
    sample_weights: [steps, N] per-step weights (the engine's mini-batch masks), or None.
    track_dead: count the dead ReLUs before every update (else only at the end; `dead` is NaN).
    dtype: float32 like the engine; float64 measures how much float32 rounding moves a run.
    adam_options: passed to the reference Adam (a test changes a rule with them).
    """
    weights = [np.array(w, dtype) for w in initial]
    x, y = np.asarray(x, dtype), np.asarray(y, dtype)
    model = models.MLP(weights)
    adam = optimizers.Adam(np.asarray(learning_rates, F32), config_axis=True, **adam_options)
    configs = len(learning_rates)
    layers = model.layers - 1
    losses = np.full((configs, steps + 1), np.nan)
    dead = np.full((configs, steps + 1, layers), np.nan)
    alive = np.ones(configs, bool)
    with np.errstate(all="ignore"):
        for i in range(steps + 1):
            cache = model.forward(x)
            loss, d_output = models.mean_squared_error(y, cache[0])
            if track_dead:
                dead[alive, i] = np.stack([np.sum(~np.any(z > 0, axis=-2), axis=-1) for z in cache[2][:-1]],
                                          axis=-1)[alive]
            alive = _record(losses, alive, i, loss)
            if i == steps or not alive.any():
                break
            if sample_weights is not None:
                _, d_output = models.mean_squared_error(y, cache[0], sample_weights[i])
            adam.apply(weights, model.backward(cache, d_output))
        final_dead = model.dead_units(x)
    return MLPRuns(losses=losses, dead=dead, final_dead=final_dead, weights=weights)


# ------------------------------------------------------------------ question 2


def rmsprop_dense(x: np.ndarray, y: np.ndarray, kernel: np.ndarray, bias: np.ndarray, learning_rate: float,
                  steps: int, **rmsprop_options) -> np.ndarray:
    """Question 2: `Sequential([Dense(1)])`, RMSprop, Keras MSE. kernel [C, 1, 1], bias [C, 1].

    Returns the losses [C, steps + 1]. `rmsprop_options` go to the reference
    RMSprop (a test moves epsilon with them).
    """
    weights = _copy32([kernel, bias])
    model = models.MLP(weights)
    rmsprop = optimizers.RMSprop(F32(learning_rate), config_axis=True, **rmsprop_options)
    x, y = np.asarray(x, F32), np.asarray(y, F32)
    losses = np.full((len(kernel), steps + 1), np.nan)
    alive = np.ones(len(kernel), bool)
    with np.errstate(all="ignore"):
        for i in range(steps + 1):
            loss, grads = model.loss_and_gradients(x, y)
            alive = _record(losses, alive, i, loss)
            if i == steps or not alive.any():
                break
            rmsprop.apply(weights, grads)
    return losses


# ------------------------------------------------------------------ question 3


def make_optimizer(key: str, learning_rates: np.ndarray, momentum: float = 0.9, **options) -> optimizers.Optimizer:
    """Question 3's five optimizers ("momentum": SGD with this momentum), each with Keras's other defaults."""
    lr = np.asarray(learning_rates, F32)
    return {
        "sgd": lambda: optimizers.SGD(lr, config_axis=True, **options),
        "momentum": lambda: optimizers.SGD(lr, momentum=momentum, config_axis=True, **options),
        "adagrad": lambda: optimizers.Adagrad(lr, config_axis=True, **options),
        "rmsprop": lambda: optimizers.RMSprop(lr, config_axis=True, **options),
        "adam": lambda: optimizers.Adam(lr, config_axis=True, **options),
    }[key]()


@dataclass(frozen=True)
class LinearRuns:
    final_loss: np.ndarray  # [C, S] full-data MSE after the last step (float64 of the float32 kernel)
    kernels: np.ndarray  # [C, S, F] final kernels
    first_nonfinite: np.ndarray  # [C, S]


def linear_minibatch(optimizer: optimizers.Optimizer, x: np.ndarray, y: np.ndarray, initial_kernel: np.ndarray,
                     batch_rows: np.ndarray, steps: int, configs: int) -> LinearRuns:
    """Question 3: `Dense(1, use_bias=False)` on mini-batches, C learning rates x S seeds at once.

    x: [S, N, F], y: [S, N, 1], initial_kernel: [S, F, 1], batch_rows: [S, steps, B].
    The mini-batch MSE's gradient drives the update; the full-data MSE is the figure.
    """
    seeds = x.shape[0]
    kernel = np.repeat(np.asarray(initial_kernel, F32)[None], configs, axis=0)  # [C, S, F, 1]
    x, y = np.asarray(x, F32), np.asarray(y, F32)
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    nonfinite = np.full((configs, seeds), -1)
    which = np.arange(seeds)[:, None]
    with np.errstate(all="ignore"):
        for i in range(steps):
            full = np.mean(np.square(y64 - x64 @ kernel.astype(np.float64))[..., 0], axis=-1)
            nonfinite = np.where((nonfinite < 0) & ~np.isfinite(full), i, nonfinite)
            rows = batch_rows[:, i]  # [S, B]
            _, gradient = models.linear_loss_and_gradient(x[which, rows], y[which, rows], kernel)
            optimizer.apply([kernel], [gradient])
        final = np.mean(np.square(y64 - x64 @ kernel.astype(np.float64))[..., 0], axis=-1)
    nonfinite = np.where((nonfinite < 0) & ~np.isfinite(final), steps, nonfinite)
    # A run that stopped keeps NaN as its final loss (the engine records NaN after a stop).
    final = np.where(nonfinite >= 0, np.nan, final)
    return LinearRuns(final_loss=final, kernels=kernel[..., 0], first_nonfinite=nonfinite)


# ------------------------------------------------------------------ question 4


@dataclass(frozen=True)
class PathRuns:
    losses: np.ndarray  # [C, steps + 1]
    weights: np.ndarray  # [C, steps + 1, dims] (NaN after a stop)


def sgd_path(loss_and_gradient: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], start: Sequence[float],
             learning_rate: float, momenta: Sequence[float], steps: int) -> PathRuns:
    """Question 4: one weight vector per momentum, SGD with Keras's momentum, full-batch."""
    momenta = np.asarray(momenta, F32)
    w = np.tile(np.asarray(start, F32), (len(momenta), 1))
    sgd = optimizers.SGD(F32(learning_rate), momentum=momenta, config_axis=True)
    losses = np.full((len(momenta), steps + 1), np.nan)
    path = np.full((len(momenta), steps + 1, w.shape[1]), np.nan)
    alive = np.ones(len(momenta), bool)
    with np.errstate(all="ignore"):
        for i in range(steps + 1):
            loss, gradient = loss_and_gradient(w)
            path[alive, i] = w[alive]
            alive = _record(losses, alive, i, loss)
            if i == steps or not alive.any():
                break
            sgd.apply([w], [gradient])
    return PathRuns(losses=losses, weights=path)


def valley(start: Sequence[float], curvatures: Sequence[float], learning_rate: float, momenta: Sequence[float],
           steps: int) -> PathRuns:
    c = np.asarray(curvatures, F32)
    return sgd_path(lambda w: models.valley_loss_and_gradient(w, c), start, learning_rate, momenta, steps)


def landscape(start: float, wall_at: float, wells: Sequence[tuple[float, float, float]], learning_rate: float,
              momenta: Sequence[float], steps: int) -> PathRuns:
    return sgd_path(lambda w: models.landscape_loss_and_gradient(w, wall_at, wells), [start], learning_rate,
                    momenta, steps)


@dataclass(frozen=True)
class Geometry:
    bump: float  # the top between the shallow and the deep minimum
    deep_minimum: float
    plateau_from: float  # right of the deep minimum, where the loss is back within 1% of depth of 0

    def basin(self, w: float) -> str:
        if not np.isfinite(w):
            return "diverged"
        return "shallow" if w < self.bump else ("deep" if w < self.plateau_from else "plateau")


def landscape_geometry(wall_at: float, wells: Sequence[tuple[float, float, float]]) -> Geometry:
    """The bump and the deep minimum as zeros of f' (bisection), the plateau's edge as f = -1% of the depth."""
    def f(w: float) -> float:
        loss, _ = models.landscape_loss_and_gradient(np.array([w]), wall_at, wells)
        return float(loss)

    def df(w: float) -> float:
        return float(models.landscape_loss_and_gradient(np.array([w]), wall_at, wells)[1][0])

    def bisect(g: Callable[[float], float], low: float, high: float) -> float:
        g_low = g(low)
        for _ in range(200):
            mid = 0.5 * (low + high)
            if (g(mid) > 0) == (g_low > 0):
                low, g_low = mid, g(mid)
            else:
                high = mid
        return 0.5 * (low + high)

    (shallow_at, _, _), (deep_at, depth, width) = wells
    # Between the two wells' centres f' goes + to - once: across the bump.
    grid = np.linspace(shallow_at, deep_at, 10_001)
    slopes = np.array([df(w) for w in grid])
    falls = np.flatnonzero((slopes[:-1] > 0) & (slopes[1:] <= 0))
    if len(falls) != 1:
        raise AssertionError("expected one bump between the wells")
    bump = bisect(df, grid[falls[0]], grid[falls[0] + 1])
    # f' goes - to + across the deep minimum, between the bump and one width past the deep centre.
    deep = bisect(df, bump + 1e-9, deep_at + width)
    plateau = bisect(lambda w: f(w) + 0.01 * depth, deep, deep + 50 * width)
    return Geometry(bump=bump, deep_minimum=deep, plateau_from=plateau)


def heavy_ball_losses(learning_rate: float, momentum: float, curvatures: Sequence[float], start: Sequence[float],
                      steps: int) -> np.ndarray:
    """The valley's loss at steps 0..steps under SGD with momentum, in closed form (float64, no iteration).

    Per coordinate (curvature lambda, a = learning_rate, b = momentum), Keras's
    velocity = b * velocity - a * g; w = w + velocity is the heavy-ball recurrence
        w_{t+1} = (1 + b - a*lambda) w_t - b w_{t-1},   w_{-1} = w_0 (zero velocity),
    so w_1 = (1 - a*lambda) w_0. With z1, z2 the roots of z**2 - (1 + b - a*lambda) z + b,
        w_t = A z1**t + B z2**t,   A + B = w_0,  A z1 + B z2 = w_1;
    with a repeated root z (critical damping, e.g. Polyak's optimal pair) the
    iteration matrix is a Jordan block and
        w_t = (w_0 + (w_1 / z - w_0) t) z**t.
    The loss is 0.5 * sum_k lambda_k w_k,t**2.
    """
    t = np.arange(steps + 1)
    loss = np.zeros(steps + 1)
    for curvature, w0 in zip(curvatures, start, strict=True):
        trace = 1.0 + momentum - learning_rate * curvature
        w1 = (1.0 - learning_rate * curvature) * w0
        discriminant = trace * trace - 4.0 * momentum
        if abs(discriminant) < 1e-12:
            z = trace / 2.0
            w = (w0 + (w1 / z - w0) * t) * z**t
        else:
            root = np.sqrt(complex(discriminant))
            z1, z2 = (trace + root) / 2.0, (trace - root) / 2.0
            a = (w1 - z2 * w0) / (z1 - z2)
            w = (a * z1**t + (w0 - a) * z2**t).real
        loss += 0.5 * curvature * np.square(w)
    return loss


def heavy_ball_rate(learning_rate: float, momentum: float, curvatures: Sequence[float]) -> float:
    """Spectral radius of heavy-ball SGD on a quadratic: the slowest mode's |eigenvalue|.

    Per curvature lambda the (w_t, w_{t-1}) iteration is [[1 + b - a*lambda, -b], [1, 0]];
    its eigenvalues solve z**2 - (1 + b - a*lambda) z + b = 0.
    """
    radii = []
    for curvature in curvatures:
        trace = 1 + momentum - learning_rate * curvature
        radii.append(max(abs(z) for z in np.roots([1.0, -trace, momentum])))
    return float(max(radii))


# ------------------------------------------------------------------ question 5


@dataclass(frozen=True)
class NanLossRuns:
    losses: np.ndarray  # [S, epochs + 1]
    first_nonfinite: np.ndarray  # [S], -1 if none
    weights: list[np.ndarray]


def question_loop(x: np.ndarray, y: np.ndarray, initial: Sequence[np.ndarray], optimizer: optimizers.Optimizer,
                  scale: float | np.ndarray, epochs: int) -> NanLossRuns:
    """Question 5's loop: `Sequential([Dense(10, relu), Dense(1)])`, one full-batch update an epoch,
    loss = reduce_mean(square(y - model(x))) printed before each update.

    x: [C, N, F] and y: [C, N, 1] at scale 1, multiplied here by `scale` (one value, or one per
    configuration) in float32; initial: weights with the leading C axis. The optimizer must have
    `config_axis=True` (its learning rate: one value, or one per configuration).
    """
    t = np.asarray(scale, F32).reshape(-1, 1, 1)
    x, y = np.asarray(x, F32) * t, np.asarray(y, F32) * t
    weights = _copy32(initial)
    model = models.MLP(weights)
    losses = np.full((x.shape[0], epochs + 1), np.nan)
    alive = np.ones(x.shape[0], bool)
    with np.errstate(all="ignore"):
        for i in range(epochs + 1):
            loss, grads = model.loss_and_gradients(x, y)
            alive = _record(losses, alive, i, loss)
            if i == epochs or not alive.any():
                break
            optimizer.apply(weights, grads)
    return NanLossRuns(losses=losses, first_nonfinite=first_nonfinite(losses), weights=weights)
