"""Question 4: what momentum does to SGD, in a narrow valley and on a bumpy landscape.

The scenario's surface (`scenarios.Scenario`): `Params`, `run`,
`evidence`, `reproduction_code`, `warm_up`. The numerics (the valley, the
landscape, the momentum sweep and the basin map) are in `engine.py`, the
verdict and its findings in `evidence.py`, the code a student sees under
"Show code" in `reproduce.py`.
"""

from __future__ import annotations

from pathlib import Path

from scenarios import show_code
from scenarios.momentum_valley.engine import (
    BASIN_MAP_MOMENTA,
    CONVERGED_FRACTION,
    LANDSCAPE_LEARNING_RATE,
    LANDSCAPE_START,
    LANDSCAPE_STEPS,
    LANDSCAPE_WALL_AT,
    LANDSCAPE_WELLS,
    MAX_CONDITION_NUMBER,
    MAX_LEARNING_RATE,
    MAX_MOMENTUM,
    MAX_STEPS,
    REPORTED_MOMENTA,
    SWEEP_MOMENTA,
    SWEEP_STEPS,
    VALLEY_START,
    WALL_CURVATURE,
    BasinMap,
    LandscapeGeometry,
    MomentumSweep,
    MomentumValleyParams,
    MomentumValleyResult,
    VariableMomentum,
    basin_map,
    landscape_geometry,
    landscape_loss,
    landscape_loss_tf,
    momentum_sweep,
    run,
    series_name,
    sgd_with_variable_momentum,
    steps_to_converge,
    valley_curvatures,
    valley_loss,
    warm_up,
)
from scenarios.momentum_valley.evidence import BASIN_WORDS, evidence

Params = MomentumValleyParams
REPRODUCE_FILE = Path(__file__).with_name("reproduce.py")


def reproduction_code(params: MomentumValleyParams) -> str:
    """`reproduce.py` with this run's values in its parameter block.

    Its curves are the page's loss chart (`result.curve`): the chosen
    momentum, then plain SGD, or plain SGD alone when the momentum is 0.
    """
    momenta = [params.momentum, 0.0] if params.momentum != 0 else [0.0]
    return show_code.fill(REPRODUCE_FILE, {
        "CONDITION_NUMBER": float(params.condition_number),
        "LEARNING_RATE": float(params.learning_rate),
        "STEPS": int(params.steps),
        "RUNS": {series_name(m): float(m) for m in momenta},
        "WALL_CURVATURE": WALL_CURVATURE,
        "START": tuple(float(v) for v in VALLEY_START),
    })


__all__ = [
    "BASIN_MAP_MOMENTA", "BASIN_WORDS", "CONVERGED_FRACTION", "LANDSCAPE_LEARNING_RATE", "LANDSCAPE_START",
    "LANDSCAPE_STEPS", "LANDSCAPE_WALL_AT", "LANDSCAPE_WELLS", "MAX_CONDITION_NUMBER", "MAX_LEARNING_RATE",
    "MAX_MOMENTUM", "MAX_STEPS", "REPORTED_MOMENTA", "REPRODUCE_FILE", "SWEEP_MOMENTA", "SWEEP_STEPS",
    "VALLEY_START", "WALL_CURVATURE", "BasinMap", "LandscapeGeometry", "MomentumSweep", "MomentumValleyParams",
    "MomentumValleyResult", "Params", "VariableMomentum", "basin_map", "evidence", "landscape_geometry",
    "landscape_loss", "landscape_loss_tf", "momentum_sweep", "reproduction_code", "run", "series_name",
    "sgd_with_variable_momentum", "steps_to_converge", "valley_curvatures", "valley_loss", "warm_up",
]
