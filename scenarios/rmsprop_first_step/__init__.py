"""Question 2: the loss printed after one RMSprop step on y = 2x.

The scenario's surface (`scenarios.Scenario`): `Params`, `run`,
`evidence`, `reproduction_code`, `warm_up`. The numerics are in
`engine.py`, the verdict and its findings in `evidence.py`, the code a
student sees under "Show code" in `reproduce.py`.
"""

from __future__ import annotations

from pathlib import Path

from scenarios import show_code
from scenarios.rmsprop_first_step.engine import (
    DISTRIBUTION_SEEDS,
    MAX_SEED,
    MAX_STEPS,
    SNIPPET_LEARNING_RATE,
    PrintedLossDistribution,
    RMSpropFirstStepParams,
    RMSpropFirstStepResult,
    X,
    Y,
    initial_weights,
    printed_loss_distribution,
    run,
    series_name,
    warm_up,
)
from scenarios.rmsprop_first_step.evidence import CLAIM_BAND, CLAIMED_VALUE, evidence

Params = RMSpropFirstStepParams
REPRODUCE_FILE = Path(__file__).with_name("reproduce.py")


def reproduction_code(params: RMSpropFirstStepParams) -> str:
    """`reproduce.py` with this run's values in its parameter block."""
    return show_code.fill(REPRODUCE_FILE, {
        "SEED": params.seed, "LEARNING_RATE": params.learning_rate, "STEPS": params.steps,
        "SERIES": series_name(params),
    })


__all__ = [
    "CLAIMED_VALUE", "CLAIM_BAND", "DISTRIBUTION_SEEDS", "MAX_SEED", "MAX_STEPS", "SNIPPET_LEARNING_RATE",
    "X", "Y", "Params", "PrintedLossDistribution", "RMSpropFirstStepParams", "RMSpropFirstStepResult",
    "evidence", "initial_weights", "printed_loss_distribution", "reproduction_code", "run", "series_name",
    "warm_up",
]
