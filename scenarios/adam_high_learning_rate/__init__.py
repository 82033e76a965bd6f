"""Question 1: what a very high learning rate does to Adam.

The scenario's surface (`scenarios.Scenario`): `Params`, `run`,
`evidence`, `reproduction_code`, `warm_up`. The numerics (the page's run
against Keras's default rate, and the learning-rate sweep) are in
`engine.py`, the analysis of the sweep and the verdict in `evidence.py`,
the code a student sees under "Show code" in `reproduce.py`.
"""

from __future__ import annotations

from pathlib import Path

from scenarios import show_code
from scenarios.adam_high_learning_rate.engine import (
    BATCHING_CHOICES,
    HIDDEN_LAYERS,
    HIDDEN_UNITS,
    MAX_LEARNING_RATE,
    MAX_SEED,
    MAX_STEPS,
    MEAN_PREDICTOR_LOSS,
    MIN_LEARNING_RATE,
    MINI_BATCH_SIZE,
    N_EXAMPLES,
    N_FEATURES,
    REFERENCE_LEARNING_RATE,
    SWEEP_CONFIGS,
    SWEEP_LEARNING_RATES,
    SWEEP_SEEDS,
    TOTAL_UNITS,
    AdamHighLearningRateParams,
    AdamHighLearningRateResult,
    Batching,
    CurveStats,
    SweepResult,
    curve_stats,
    dataset,
    initial_weights,
    run,
    sample_weights,
    series_names,
    sweep,
    warm_up,
)
from scenarios.adam_high_learning_rate.evidence import (
    FELL_BACK_FACTOR,
    HIGH_LEARNING_RATE,
    NOT_CONVERGED_FACTOR,
    HighRateSummary,
    evidence,
    high_rate_summary,
    sweep_summary,
    verdict,
)

Params = AdamHighLearningRateParams
REPRODUCE_FILE = Path(__file__).with_name("reproduce.py")


def reproduction_code(params: AdamHighLearningRateParams) -> str:
    """`reproduce.py` with this run's values in its parameter block."""
    series, reference_series = series_names(params.learning_rate)
    return show_code.fill(REPRODUCE_FILE, {
        "SEED": int(params.seed), "STEPS": int(params.steps), "LEARNING_RATE": float(params.learning_rate),
        "MINI_BATCH": params.batching == "Mini-batch",
        "N_EXAMPLES": N_EXAMPLES, "N_FEATURES": N_FEATURES, "HIDDEN_UNITS": HIDDEN_UNITS,
        "HIDDEN_LAYERS": HIDDEN_LAYERS, "MINI_BATCH_SIZE": MINI_BATCH_SIZE,
        "REFERENCE_LEARNING_RATE": REFERENCE_LEARNING_RATE,
        "SERIES": series, "REFERENCE_SERIES": reference_series,
    })


__all__ = [
    "BATCHING_CHOICES", "FELL_BACK_FACTOR", "HIDDEN_LAYERS", "HIDDEN_UNITS", "HIGH_LEARNING_RATE",
    "MAX_LEARNING_RATE", "MAX_SEED", "MAX_STEPS", "MEAN_PREDICTOR_LOSS", "MINI_BATCH_SIZE", "MIN_LEARNING_RATE",
    "NOT_CONVERGED_FACTOR", "N_EXAMPLES", "N_FEATURES", "REFERENCE_LEARNING_RATE", "REPRODUCE_FILE",
    "SWEEP_CONFIGS", "SWEEP_LEARNING_RATES", "SWEEP_SEEDS", "TOTAL_UNITS", "AdamHighLearningRateParams",
    "AdamHighLearningRateResult", "Batching", "CurveStats", "HighRateSummary", "Params", "SweepResult",
    "curve_stats", "dataset", "evidence", "high_rate_summary", "initial_weights", "reproduction_code", "run",
    "sample_weights", "series_names", "sweep", "sweep_summary", "verdict", "warm_up",
]
