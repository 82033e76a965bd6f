"""The engine: one module per scenario, TensorFlow/numpy/pandas only.

Every scenario module offers the same surface, so pages, tests and
benchmarks treat them alike:

- a frozen `...Params` dataclass (validated, hard caps) and `EXAMPLE_PARAMS`
  (the page's default slider values);
- `run(params)` -> a frozen result with a `curve` DataFrame (step, series,
  loss) and plain flags such as the first non-finite step;
- `evidence(...)` -> `scenarios.evidence.Evidence`: the verdict on the
  quiz's original answer, with findings computed from runs;
- `reproduction_code(params)` -> self-contained eager TensorFlow whose last
  line of output is JSON {series: losses} for the plotted curves;
- `warm_up()`: compiles the scenario's loops (a background thread calls it).

`training.CompiledTrainer` is the compiled loop they all reuse.
"""

import numpy as np  # noqa: F401  (loads OpenBLAS, so that the limit below applies to it)
from threadpoolctl import threadpool_limits

# numpy's OpenBLAS starts a thread per core even for a 16x16 solve, and its
# threads spin-wait after each call. Beside TensorFlow's own threads on a
# 2-core host that made one question-3 run 2.5x slower (20 runs: 2.49 s with
# OpenBLAS's default threads, 0.98 s with one; TensorFlow's time halved too).
# The engine's numpy arrays are small: one BLAS thread, for the whole process.
threadpool_limits(limits=1, user_api="blas")
