"""Question 3: which optimizer handles sparse gradients well?

The scenario's surface (`scenarios.Scenario`): `Params`, `run`,
`evidence`, `reproduction_code`, `warm_up`. The numerics (five tuned
optimizers, the all-rare control, the seed spread) are in `engine.py`,
the verdict and its findings in `evidence.py`, the code a student sees
under "Show code" in `reproduce.py`.
"""

from __future__ import annotations

from pathlib import Path

from scenarios import show_code
from scenarios.sparse_gradients.engine import (
    BATCH_SIZE,
    COMMON_NONZERO_SHARE,
    CONFIGS_PER_CALL,
    DATA_STREAM,
    GRID_SIZE,
    MAX_SEED,
    MAX_SPARSITY,
    MAX_STEPS,
    MIN_SPARSITY,
    MOMENTUM,
    N_COMMON,
    N_EXAMPLES,
    N_FEATURES,
    N_RARE,
    NOISE_STD,
    OPTIMIZER_KEYS,
    OPTIMIZERS,
    ORDER_STREAM,
    SPREAD_SEEDS,
    SPREAD_SPARSITY,
    SPREAD_STEPS,
    TRUE_WEIGHT_RANGE,
    UPDATE_MAP_STEPS,
    WEIGHTS_STREAM,
    Dataset,
    OptimizerSpec,
    SeedSpread,
    SparseGradientsParams,
    SparseGradientsResult,
    batch_indices,
    control_run,
    dataset,
    has_gradient,
    run,
    seed_spread,
    series_name,
    spec,
    train_all,
    warm_up,
)
from scenarios.sparse_gradients.evidence import (
    CLEAR_MARGIN,
    FLOOR_FACTOR,
    LAG_FACTOR,
    SPARSE_GRADIENT_SHARE,
    evidence,
    verdict,
)

Params = SparseGradientsParams
REPRODUCE_FILE = Path(__file__).with_name("reproduce.py")


def reproduction_code(params: SparseGradientsParams, result: SparseGradientsResult | None = None) -> str:
    """`reproduce.py` with this comparison's values, tuned learning rates included, in its parameter block.

    The tuning itself is the engine's grid run (`run`), which the page charts
    under "How each learning rate was picked": the code runs only the winners.
    Pass the page's `result` to skip running the engine again.
    """
    if result is None:
        result = run(params)
    if result.params != params:
        raise ValueError("result is for other params")
    tuned: dict[str, object] = {}
    for row in result.summary.itertuples():
        tuned[f"{row.optimizer.upper()}_LEARNING_RATE"] = float(row.learning_rate)
        tuned[f"{row.optimizer.upper()}_SERIES"] = series_name(row.label, row.learning_rate)
    return show_code.fill(REPRODUCE_FILE, {
        "SEED": int(params.seed), "SPARSITY": float(params.sparsity), "STEPS": int(params.steps),
        "ALL_RARE": bool(params.all_rare),
        "N_EXAMPLES": N_EXAMPLES, "N_COMMON": N_COMMON, "N_FEATURES": N_FEATURES, "BATCH_SIZE": BATCH_SIZE,
        "COMMON_NONZERO_SHARE": COMMON_NONZERO_SHARE, "NOISE_STD": NOISE_STD,
        "TRUE_WEIGHT_RANGE": TRUE_WEIGHT_RANGE, "WEIGHTS_STREAM": WEIGHTS_STREAM,
        "DATA_STREAM": DATA_STREAM, "ORDER_STREAM": ORDER_STREAM, "MOMENTUM": MOMENTUM,
        **tuned,
    })


__all__ = [
    "BATCH_SIZE", "CLEAR_MARGIN", "COMMON_NONZERO_SHARE", "CONFIGS_PER_CALL", "FLOOR_FACTOR", "GRID_SIZE",
    "LAG_FACTOR", "MAX_SEED", "MAX_SPARSITY", "MAX_STEPS", "MIN_SPARSITY", "MOMENTUM", "NOISE_STD", "N_COMMON",
    "N_EXAMPLES", "N_FEATURES", "N_RARE", "OPTIMIZERS", "OPTIMIZER_KEYS", "REPRODUCE_FILE", "SPARSE_GRADIENT_SHARE",
    "SPREAD_SEEDS", "SPREAD_SPARSITY", "SPREAD_STEPS", "TRUE_WEIGHT_RANGE", "UPDATE_MAP_STEPS", "Dataset",
    "OptimizerSpec", "Params", "SeedSpread", "SparseGradientsParams", "SparseGradientsResult", "batch_indices",
    "control_run", "dataset", "evidence", "has_gradient", "reproduction_code", "run", "seed_spread",
    "series_name", "spec", "train_all", "verdict", "warm_up",
]
