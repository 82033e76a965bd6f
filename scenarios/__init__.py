"""The engine: one package per scenario, TensorFlow/numpy/pandas only.

Every scenario package `scenarios/<name>/` offers the same surface, the
`Scenario` protocol below, so pages, tests and benchmarks treat them alike.
Inside, each is cut by job:

- `engine.py`: a frozen params dataclass (validated, hard caps; no
  defaults: a control's default, range and step live only in the
  question's TOML) -> `run(params)` -> a frozen result with a `curve`
  DataFrame (step, series, loss) and plain flags such as the first
  non-finite step;
- `evidence.py`: the analysis and the verdict on the quiz's original
  answer, with English findings computed from runs;
- `reproduce.py`: the "Show code", a real runnable file whose parameter
  block `reproduction_code(params)` rewrites (`scenarios.show_code`).

`training.CompiledTrainer` is the compiled loop they all reuse.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

from scenarios.evidence import Evidence


@runtime_checkable
class Scenario(Protocol):
    """What a scenario package offers. Checked once per process (`load`)."""

    # A frozen dataclass whose fields are the `param` names of the question's controls.
    Params: type

    def run(self, params: Any) -> Any:
        """Train; return a picklable result with a `curve` DataFrame and a `params` field."""

    def evidence(self, result: Any) -> Evidence:
        """The verdict on the quiz's original answer, from this run and the scenario's sweeps."""

    def reproduction_code(self, params: Any) -> str:
        """Self-contained eager TensorFlow whose last output line is JSON {series: losses}."""

    def warm_up(self, params: Any) -> None:
        """Compile the loops (the server's background thread calls it with the defaults)."""


def load(name: str) -> ModuleType:
    """Import `scenarios.<name>` and check it offers the `Scenario` surface."""
    module = importlib.import_module(f"scenarios.{name}")
    if not isinstance(module, Scenario):
        missing = [member for member in ("Params", "run", "evidence", "reproduction_code", "warm_up")
                   if not hasattr(module, member)]
        raise TypeError(f"scenarios.{name} lacks {', '.join(missing)} (see scenarios.Scenario)")
    return module
