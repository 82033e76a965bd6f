"""Question 5: when does the question's training loop turn the loss NaN?

The scenario's surface (`scenarios.Scenario`): `Params`, `run`,
`evidence`, `reproduction_code`, `warm_up`. The numerics (the data, the
compiled loops, the seed sweep) are in `engine.py`, the verdict and its
findings in `evidence.py`, the code a student sees under "Show code" in
`reproduce.py`.
"""

from __future__ import annotations

from pathlib import Path

from scenarios import show_code
from scenarios.nan_loss.engine import (
    ADAM_OVERFLOW_SETTING,
    CLIPNORM,
    CLIPNORM_TEXT,
    DATA_SIZE,
    DEAD_UNITS,
    DIVERGES_SETTING,
    FEATURES,
    HIDDEN_UNITS,
    LARGEST_WEIGHT,
    MAX_DATA_SCALE,
    MAX_EPOCHS,
    MAX_LEARNING_RATE,
    MAX_SEED,
    OPTIMIZERS,
    QUESTION_EPOCHS,
    QUESTION_LEARNING_RATE,
    QUESTION_SETTING,
    SWEEP_SEEDS,
    NanLossParams,
    NanLossResult,
    Optimizer,
    RunSummary,
    SeedSweep,
    SweepCell,
    dataset,
    run,
    seed_sweep,
    series_name,
    warm_up,
)
from scenarios.nan_loss.evidence import describe, evidence, magnitude

Params = NanLossParams
REPRODUCE_FILE = Path(__file__).with_name("reproduce.py")


def reproduction_code(params: NanLossParams) -> str:
    """`reproduce.py` with this run's values in its parameter block.

    Its curves are the page's loss chart (`result.curve`): the question's
    loop with the chosen optimizer, then the same loop with clipnorm when
    "Compare with gradient clipping" is on.
    """
    variants = (False, True) if params.clip else (False,)
    return show_code.fill(REPRODUCE_FILE, {
        "SEED": int(params.seed),
        "OPTIMIZER": params.optimizer,
        "LEARNING_RATE": float(params.learning_rate),
        "DATA_SCALE": float(params.data_scale),
        "EPOCHS": int(params.epochs),
        "RUNS": {series_name(params.optimizer, params.learning_rate, clipped): clipped for clipped in variants},
        "DATA_SIZE": DATA_SIZE,
        "FEATURES": FEATURES,
        "HIDDEN_UNITS": HIDDEN_UNITS,
        "CLIPNORM": CLIPNORM,
    })


__all__ = [
    "ADAM_OVERFLOW_SETTING", "CLIPNORM", "CLIPNORM_TEXT", "DATA_SIZE", "DEAD_UNITS", "DIVERGES_SETTING",
    "FEATURES", "HIDDEN_UNITS", "LARGEST_WEIGHT", "MAX_DATA_SCALE", "MAX_EPOCHS", "MAX_LEARNING_RATE", "MAX_SEED",
    "OPTIMIZERS", "QUESTION_EPOCHS", "QUESTION_LEARNING_RATE", "QUESTION_SETTING", "REPRODUCE_FILE", "SWEEP_SEEDS",
    "NanLossParams", "NanLossResult", "Optimizer", "Params", "RunSummary", "SeedSweep", "SweepCell", "dataset",
    "describe", "evidence", "magnitude", "reproduction_code", "run", "seed_sweep", "series_name", "warm_up",
]
