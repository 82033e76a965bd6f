"""Question 4: what momentum does to SGD, on two small landscapes.

1. A narrow valley, f(w) = 0.5 * H * (w1**2 / kappa + w2**2), with the
   walls' curvature H fixed and the floor's curvature H / kappa set by the
   condition-number slider. The "model" is one tf.Variable of shape (2,)
   starting at (-4, 1); the optimizer is a real
   `tf.keras.optimizers.SGD(momentum=...)`:

       velocity = momentum * velocity - learning_rate * g
       w = w + velocity

   The walls bound the stable step, the floor sets how many steps are
   needed, so kappa is how "narrow" the valley is.

2. A 1-D landscape with a shallow minimum in front of a deeper one and a
   flat plateau behind the deep one. The weight starts on a wall to the
   left; plain SGD stops in the first (shallow) minimum, some momentum
   carries it over the bump into the deep one, and too much carries it
   over the deep one as well, onto the plateau, where the gradient is
   almost zero and it stays.

Momentum without retracing: Keras 3's SGD reads `self.momentum` as a
Python float (`if self.momentum != 0:` when building and in every update,
then `ops.cast(self.momentum, dtype)`), so a new momentum value would be a
new constant in the compiled graph. Here the optimizer is built with a
non-zero momentum (so its velocity slots exist) and its `momentum`
attribute is then replaced by `VariableMomentum`, which answers `!= 0` with
True and converts to a tensor by reading a tf.Variable. The trainer writes
the slider's value into that variable per configuration. With the variable
at 0 the momentum branch computes velocity = -learning_rate * g and
w = w + velocity, which is plain SGD's w = w - learning_rate * g.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from scenarios import precomputed
from scenarios._tf import tensorflow
from scenarios.training import CompiledTrainer

# ----------------------------------------------------------------- the valley
WALL_CURVATURE = 60.0  # H: curvature across the valley (w2), fixed
VALLEY_START = (-4.0, 1.0)
MAX_STEPS = 500  # the slider's hard cap
MAX_MOMENTUM = 0.99
MAX_LEARNING_RATE = 1.0
MAX_CONDITION_NUMBER = 100.0
# "Converged": the loss stays below this fraction of its initial value from
# that step to the end of the run (a loss that only dips below it while the
# weights swing through the minimum does not count).
CONVERGED_FRACTION = 1e-3
# The momentum comparison: one batched call, a longer horizon than the slider.
SWEEP_MOMENTA = (0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99)
SWEEP_STEPS = 1000
# The momenta the findings name (all in SWEEP_MOMENTA).
REPORTED_MOMENTA = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)

# -------------------------------------------------------------- the landscape
# f(w) = 0.5 * min(w - WALL_AT, 0)**2 - sum_i depth_i * exp(-(w - c_i)**2 / (2 s_i**2))
LANDSCAPE_WALL_AT = -2.5
LANDSCAPE_WELLS = ((-1.5, 0.5, 0.5), (1.5, 3.0, 0.8))  # (centre, depth, width): shallow, deep
LANDSCAPE_START = -4.75
LANDSCAPE_LEARNING_RATE = 0.2
LANDSCAPE_STEPS = 300
BASIN_MAP_MOMENTA = tuple(round(0.01 * i, 2) for i in range(100))  # 0.00 … 0.99


def landscape_loss(w: np.ndarray) -> np.ndarray:
    """The 1-D landscape in NumPy (for drawing; the TF loss is the same formula)."""
    w = np.asarray(w, dtype=float)
    loss = 0.5 * np.minimum(w - LANDSCAPE_WALL_AT, 0.0) ** 2
    for centre, depth, width in LANDSCAPE_WELLS:
        loss = loss - depth * np.exp(-((w - centre) ** 2) / (2 * width**2))
    return loss


@dataclass(frozen=True)
class LandscapeGeometry:
    """Where the landscape's minima, bump and plateau are (found on a fine grid)."""

    shallow_minimum: float
    shallow_loss: float
    bump: float  # the top of the bump between the two minima
    bump_loss: float
    deep_minimum: float
    deep_loss: float
    plateau_from: float  # right of this the loss is within 1% of the deep well's depth of 0

    def basin(self, w: float) -> str:
        if not np.isfinite(w):
            return "diverged"
        if w < self.bump:
            return "shallow"
        if w < self.plateau_from:
            return "deep"
        return "plateau"


@cache
def landscape_geometry() -> LandscapeGeometry:
    grid = np.linspace(-6.0, 10.0, 160_001)
    loss = landscape_loss(grid)
    inner = np.arange(1, len(grid) - 1)
    minima = inner[(loss[inner] < loss[inner - 1]) & (loss[inner] < loss[inner + 1])]
    maxima = inner[(loss[inner] > loss[inner - 1]) & (loss[inner] > loss[inner + 1])]
    if len(minima) != 2 or len(maxima) != 1:
        raise AssertionError("the landscape must have two minima and one bump between them")
    shallow, deep = minima
    (bump,) = maxima
    deep_depth = LANDSCAPE_WELLS[1][1]
    right = grid > grid[deep]
    plateau_from = float(grid[right][np.argmax(loss[right] > -0.01 * deep_depth)])
    return LandscapeGeometry(
        shallow_minimum=float(grid[shallow]), shallow_loss=float(loss[shallow]),
        bump=float(grid[bump]), bump_loss=float(loss[bump]),
        deep_minimum=float(grid[deep]), deep_loss=float(loss[deep]),
        plateau_from=plateau_from,
    )


# ------------------------------------------------------------ params, results
def _check_valley(learning_rate: float, condition_number: float) -> None:
    """The valley's own settings (a run's and a sweep's), within the hard caps."""
    if not (np.isfinite(learning_rate) and 0 <= learning_rate <= MAX_LEARNING_RATE):
        raise ValueError(f"learning_rate must be in [0, {MAX_LEARNING_RATE}], got {learning_rate}")
    if not (np.isfinite(condition_number) and 1 <= condition_number <= MAX_CONDITION_NUMBER):
        raise ValueError(f"condition_number must be in [1, {MAX_CONDITION_NUMBER:g}], got {condition_number}")


@dataclass(frozen=True)
class MomentumValleyParams:
    """One page of the valley. Defaults and slider ranges: the question's TOML."""

    momentum: float
    learning_rate: float
    condition_number: float
    steps: int

    def __post_init__(self) -> None:
        if not (np.isfinite(self.momentum) and 0 <= self.momentum <= MAX_MOMENTUM):
            raise ValueError(f"momentum must be in [0, {MAX_MOMENTUM}], got {self.momentum}")
        _check_valley(self.learning_rate, self.condition_number)
        if not 0 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be in [0, {MAX_STEPS}], got {self.steps}")


@dataclass(frozen=True)
class MomentumValleyResult:
    params: MomentumValleyParams
    # Valley: columns step, series, loss, w1, w2. The chosen momentum first,
    # then plain SGD (momentum 0, same learning rate and valley) unless the
    # chosen momentum is 0 itself.
    curve: pd.DataFrame
    steps_to_converge: int | None  # None: not within the run's steps
    baseline_steps_to_converge: int | None
    first_nonfinite_step: int | None
    baseline_first_nonfinite_step: int | None
    overshoot: float  # furthest w1 went past the minimum (w1 > 0); the start is w1 = -4
    baseline_overshoot: float
    # Landscape: columns step, series, loss, w (same two momenta).
    landscape: pd.DataFrame
    landscape_final: float
    landscape_basin: str
    baseline_landscape_final: float
    baseline_landscape_basin: str

    @property
    def has_baseline(self) -> bool:
        return self.params.momentum != 0


@dataclass(frozen=True)
class MomentumSweep:
    """Steps to converge against momentum, same valley and learning rate."""

    learning_rate: float
    condition_number: float
    horizon: int
    momenta: tuple[float, ...]
    steps_to_converge: tuple[int | None, ...]  # None: not within `horizon` steps
    first_nonfinite_step: tuple[int | None, ...]
    overshoot: tuple[float, ...]

    def for_momentum(self, momentum: float) -> int | None:
        return self.steps_to_converge[self.momenta.index(momentum)]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({
            "momentum": self.momenta,
            "steps_to_converge": [np.nan if s is None else s for s in self.steps_to_converge],
            "converged": [s is not None for s in self.steps_to_converge],
            "diverged": [s is not None for s in self.first_nonfinite_step],
            "overshoot": self.overshoot,
        })

    def fastest(self) -> tuple[float, int] | None:
        done = [(s, m) for m, s in zip(self.momenta, self.steps_to_converge, strict=True) if s is not None]
        if not done:
            return None
        steps, momentum = min(done)
        return momentum, steps


@dataclass(frozen=True)
class BasinMap:
    """Where the landscape's weight ends after LANDSCAPE_STEPS, per momentum."""

    momenta: tuple[float, ...]
    final_positions: tuple[float, ...]
    final_losses: tuple[float, ...]
    basins: tuple[str, ...]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"momentum": self.momenta, "final_w": self.final_positions,
                             "final_loss": self.final_losses, "basin": self.basins})

    def basin_of(self, momentum: float) -> str:
        return self.basins[self.momenta.index(momentum)]

    def bands(self) -> list[tuple[str, float, float]]:
        """Consecutive runs of the same basin: (basin, first momentum, last momentum)."""
        out: list[tuple[str, float, float]] = []
        for momentum, basin in zip(self.momenta, self.basins, strict=True):
            if out and out[-1][0] == basin:
                out[-1] = (basin, out[-1][1], momentum)
            else:
                out.append((basin, momentum, momentum))
        return out


# ------------------------------------------------------ the momentum adapter
class VariableMomentum:
    """Stands in for SGD's Python-float `momentum`, reading a tf.Variable.

    Keras' SGD only ever does `self.momentum != 0` (which must be a Python
    bool: it picks a branch while tracing) and `ops.cast(self.momentum,
    dtype)`, which converts it to a tensor: registered below, that reads the
    variable, so the compiled graph holds a variable read, not a constant.
    """

    def __init__(self, variable) -> None:
        self.variable = variable

    def __eq__(self, other: object) -> bool:
        # Never equal to a number: SGD must always take its momentum branch
        # (which is plain SGD when the variable holds 0).
        return other is self

    def __ne__(self, other: object) -> bool:
        return other is not self

    __hash__ = object.__hash__

    def __float__(self) -> float:  # e.g. get_config() in eager code
        return float(self.variable.numpy())

    def __repr__(self) -> str:
        return f"VariableMomentum({self.variable.name})"


@cache
def _register_conversion() -> None:
    tf = tensorflow()

    def to_tensor(value: VariableMomentum, dtype=None, name=None, as_ref=False):
        tensor = tf.convert_to_tensor(value.variable, name=name)
        return tensor if dtype is None or tensor.dtype == dtype else tf.cast(tensor, dtype)

    tf.register_tensor_conversion_function(VariableMomentum, to_tensor)


def sgd_with_variable_momentum(learning_rate: float):
    """A real Keras SGD whose momentum is read from a variable; returns (optimizer, variable)."""
    tf = tensorflow()
    _register_conversion()
    # Non-zero so that build() creates the velocity slots.
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.5)
    momentum = tf.Variable(0.5, dtype=tf.float32, trainable=False, name="sgd_momentum")
    optimizer.momentum = VariableMomentum(momentum)
    return optimizer, momentum


# ---------------------------------------------------------------- trainers
# One trainer per use, so that each is traced exactly once: a compiled
# function retraces for a new number of configurations (the batch shape).
@cache
def _valley_trainer(use: str = "run") -> CompiledTrainer:
    """x = the two curvatures (H / kappa, H): kappa is data, never a retrace.

    use: "run" (the page's two runs, up to MAX_STEPS) or "sweep" (SWEEP_STEPS).
    """
    tf = tensorflow()
    w = tf.Variable(np.zeros(2, np.float32), name="w")
    optimizer, momentum = sgd_with_variable_momentum(0.01)

    def loss_fn(x, y, sample_weight):
        return 0.5 * tf.reduce_sum(x * tf.square(w))

    return CompiledTrainer(
        variables=[w], optimizer=optimizer, loss_fn=loss_fn,
        max_steps={"run": MAX_STEPS, "sweep": SWEEP_STEPS}[use],
        hyperparameters=[momentum], trace_fn=lambda x, y: w.value(),
    )


def landscape_loss_tf(tf, w):
    shifted = tf.minimum(w - LANDSCAPE_WALL_AT, 0.0)
    loss = 0.5 * tf.square(shifted)
    for centre, depth, width in LANDSCAPE_WELLS:
        loss = loss - depth * tf.exp(-tf.square(w - centre) / (2 * width**2))
    return tf.reduce_sum(loss)


@cache
def _landscape_trainer(use: str = "run") -> CompiledTrainer:
    """use: "run" (the page's two runs) or "map" (the basin map's batch)."""
    if use not in ("run", "map"):
        raise ValueError(f"unknown use {use!r}")
    tf = tensorflow()
    w = tf.Variable(np.zeros(1, np.float32), name="w")
    optimizer, momentum = sgd_with_variable_momentum(LANDSCAPE_LEARNING_RATE)

    def loss_fn(x, y, sample_weight):
        return landscape_loss_tf(tf, w)

    return CompiledTrainer(
        variables=[w], optimizer=optimizer, loss_fn=loss_fn, max_steps=LANDSCAPE_STEPS,
        hyperparameters=[momentum], trace_fn=lambda x, y: w.value(),
    )


def valley_curvatures(condition_number: float) -> np.ndarray:
    return np.array([WALL_CURVATURE / condition_number, WALL_CURVATURE])


def valley_loss(w1: np.ndarray, w2: np.ndarray, condition_number: float) -> np.ndarray:
    floor, wall = valley_curvatures(condition_number)
    return 0.5 * (floor * np.square(w1) + wall * np.square(w2))


def _run_valley(momenta: list[float], learning_rate: float, condition_number: float, steps: int,
                use: str = "run"):
    configs = len(momenta)
    return _valley_trainer(use).run(
        initial_values=[np.tile(np.array(VALLEY_START, np.float32), (configs, 1))],
        hyperparameter_values=np.column_stack([np.full(configs, learning_rate), momenta]),
        steps=steps, x=valley_curvatures(condition_number), y=np.zeros(1),
    )


def _run_landscape(momenta: list[float], use: str = "run"):
    configs = len(momenta)
    return _landscape_trainer(use).run(
        initial_values=[np.full((configs, 1), LANDSCAPE_START, np.float32)],
        hyperparameter_values=np.column_stack([np.full(configs, LANDSCAPE_LEARNING_RATE), momenta]),
        steps=LANDSCAPE_STEPS, x=np.zeros(1), y=np.zeros(1),
    )


def steps_to_converge(losses: np.ndarray, fraction: float = CONVERGED_FRACTION) -> int | None:
    """First step from which the loss stays below `fraction` of its start to the end."""
    losses = np.asarray(losses, float)
    if not (losses.size and np.isfinite(losses[0])):
        return None
    below = losses < fraction * losses[0]  # NaN compares False: a diverged run never converges
    if not below[-1]:
        return None
    not_below = np.flatnonzero(~below)
    return int(not_below[-1] + 1) if not_below.size else 0


def _overshoot(w1: np.ndarray) -> float:
    finite = w1[np.isfinite(w1)]
    return float(max(finite.max(), 0.0)) if finite.size else 0.0


def series_name(momentum: float) -> str:
    """The chart's name for a run at this momentum (the legend, the CSV, the Show code's JSON)."""
    return f"momentum {momentum:g}" if momentum else "momentum 0 (plain SGD)"


@lru_cache(maxsize=128)
def _landscape_for(momentum: float):
    """The landscape's two runs (this momentum, then 0) depend on the momentum
    alone: a learning-rate, condition-number or steps move reuses them."""
    return _run_landscape([momentum, 0.0])


@precomputed.entry
def run(params: MomentumValleyParams) -> MomentumValleyResult:
    # Always two configurations (one trace): the chosen momentum, then plain SGD.
    momenta = [params.momentum, 0.0]
    valley = _run_valley(momenta, params.learning_rate, params.condition_number, params.steps)
    landscape = _landscape_for(params.momentum)
    geometry = landscape_geometry()

    shown = momenta if params.momentum != 0 else momenta[:1]
    frames, landscape_frames = [], []
    for b, momentum in enumerate(shown):
        name = series_name(momentum)
        frames.append(pd.DataFrame({
            "step": np.arange(valley.losses.shape[1]), "series": name, "loss": valley.losses[b],
            "w1": valley.traces[b, :, 0], "w2": valley.traces[b, :, 1],
        }))
        landscape_frames.append(pd.DataFrame({
            "step": np.arange(landscape.losses.shape[1]), "series": name,
            "loss": landscape.losses[b], "w": landscape.traces[b, :, 0],
        }))
    last = 1  # plain SGD (identical to the run itself when momentum is 0)
    finals = landscape.traces[:, -1, 0]
    return MomentumValleyResult(
        params=params,
        curve=pd.concat(frames, ignore_index=True),
        steps_to_converge=steps_to_converge(valley.losses[0]),
        baseline_steps_to_converge=steps_to_converge(valley.losses[last]),
        first_nonfinite_step=valley.first_nonfinite_step(0),
        baseline_first_nonfinite_step=valley.first_nonfinite_step(last),
        overshoot=_overshoot(valley.traces[0, :, 0]),
        baseline_overshoot=_overshoot(valley.traces[last, :, 0]),
        landscape=pd.concat(landscape_frames, ignore_index=True),
        landscape_final=float(finals[0]),
        landscape_basin=geometry.basin(float(finals[0])),
        baseline_landscape_final=float(finals[last]),
        baseline_landscape_basin=geometry.basin(float(finals[last])),
    )


@precomputed.entry
@lru_cache(maxsize=256)
def momentum_sweep(learning_rate: float, condition_number: float) -> MomentumSweep:
    """Every momentum in SWEEP_MOMENTA for SWEEP_STEPS steps, in one compiled call.

    Cached: the page's chart and the evidence for the same run share one sweep.
    """
    _check_valley(learning_rate, condition_number)
    batch = _run_valley(list(SWEEP_MOMENTA), learning_rate, condition_number, SWEEP_STEPS, use="sweep")
    return MomentumSweep(
        learning_rate=float(learning_rate), condition_number=float(condition_number),
        horizon=SWEEP_STEPS, momenta=SWEEP_MOMENTA,
        steps_to_converge=tuple(steps_to_converge(row) for row in batch.losses),
        first_nonfinite_step=tuple(batch.first_nonfinite_step(b) for b in range(len(SWEEP_MOMENTA))),
        overshoot=tuple(_overshoot(batch.traces[b, :, 0]) for b in range(len(SWEEP_MOMENTA))),
    )


@precomputed.entry
@cache
def basin_map() -> BasinMap:
    """The landscape for momentum 0.00 … 0.99, in one compiled call (no slider changes it)."""
    batch = _run_landscape(list(BASIN_MAP_MOMENTA), use="map")
    finals = tuple(float(v) for v in batch.traces[:, -1, 0])
    geometry = landscape_geometry()
    return BasinMap(momenta=BASIN_MAP_MOMENTA, final_positions=finals,
                    final_losses=tuple(float(v) for v in batch.losses[:, -1]),
                    basins=tuple(geometry.basin(v) for v in finals))


def warm_up(params: MomentumValleyParams) -> None:
    """Compile both loops for the page's defaults (the sweep and the basin map reuse them)."""
    run(params)
    momentum_sweep(params.learning_rate, params.condition_number)
    basin_map()
