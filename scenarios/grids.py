"""Round numbers on a log scale: the one definition of the learning-rate grids.

A log slider offers these values, and the engine's sweeps run on them, so
the page's learning rate is always one of the swept points. Standard
library only: the question bank validates its log controls with it
before anything heavy is imported.
"""

from __future__ import annotations

import math

# How many round values per power of ten: per_decade -> the mantissas.
MANTISSAS = {1: (1,), 2: (1, 3), 3: (1, 2, 5), 4: (1, 2, 3, 5)}


def log_grid(low: float, high: float, per_decade: int = 3) -> tuple[float, ...]:
    """Every m·10^e within [low, high] (both included), m from MANTISSAS[per_decade].

    log_grid(1e-4, 10) == (0.0001, 0.0002, 0.0005, 0.001, …, 5.0, 10.0).
    """
    if per_decade not in MANTISSAS:
        raise ValueError(f"per_decade must be one of {sorted(MANTISSAS)}, got {per_decade}")
    if not 0 < low < high:
        raise ValueError(f"need 0 < low < high, got {low}, {high}")
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    values = (float(f"{m}e{e}") for e in range(first, last + 1) for m in MANTISSAS[per_decade])
    return tuple(v for v in values if low * (1 - 1e-9) <= v <= high * (1 + 1e-9))
