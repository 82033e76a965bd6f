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
