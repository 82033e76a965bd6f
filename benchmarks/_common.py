"""Shared plumbing for the benchmark parts: figures, tables, statistics, results files.

Every part module (`engine_vs_eager`, `rerun_latency`, ...) builds a
`PartResult`: the tables it printed, the figures it checks against a
target, and its raw measurements. `finish()` prints the part's summary
lines and writes `benchmarks/results/<part>.json`; `python -m benchmarks`
reads those files back to print one summary line per figure at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.server import ROOT

RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Figure:
    """One measured number and, if it has one, the target it must meet.

    `at_most`: the value must be <= target (latency, memory); otherwise >=
    (speed-up ratio). `value=None` means it could not be measured (FAIL,
    with the reason in `note`); `skipped` means not applicable here (SKIP).
    """

    name: str
    value: float | None
    unit: str
    target: float | None = None
    at_most: bool = True
    note: str = ""
    skipped: bool = False
    text: str | None = None  # shown instead of the number (e.g. "yes" for a check)

    @property
    def status(self) -> str:
        if self.skipped:
            return "SKIP"
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return "FAIL"
        if self.target is None:
            return "INFO"
        ok = self.value <= self.target if self.at_most else self.value >= self.target
        return "PASS" if ok else "FAIL"

    def line(self) -> str:
        value = "—" if self.value is None else _with_unit(self.value, self.unit)
        if self.text is not None:
            value = self.text
        target = ""
        if self.target is not None and self.text is None:
            target = f"(target {'≤' if self.at_most else '≥'} {_with_unit(self.target, self.unit)})"
        note = f"  [{self.note}]" if self.note else ""
        return f"{self.status:4}  {self.name:<52} {value:>10}  {target}{note}"


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def render(self) -> str:
        cells = [[str(h) for h in self.headers]] + [[_cell(v) for v in row] for row in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.headers))]
        lines = [self.title, "-" * len(self.title)]
        for n, row in enumerate(cells):
            lines.append("  ".join(c.rjust(w) if n and _numeric(c) else c.ljust(w)
                                   for c, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


@dataclass
class PartResult:
    part: str
    started: str
    settings: dict[str, Any]
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def new_part(part: str, settings: dict[str, Any]) -> PartResult:
    return PartResult(part=part, started=time.strftime("%Y-%m-%dT%H:%M:%S%z"), settings=settings)


def show(table: Table) -> None:
    print()
    print(table.render(), flush=True)


def add_table(result: PartResult, table: Table) -> None:
    """A part's table: printed now, and kept in its JSON."""
    show(table)
    result.tables.append(table)


def note(result: PartResult, text: str) -> None:
    print(f"note: {text}", flush=True)
    result.notes.append(text)


def measurement_failed(result: PartResult, what: str, error: Exception, figures: Sequence[Figure]) -> None:
    """A measurement raised: note the error and add its figures unmeasured (they FAIL).

    `figures` are the ones the measurement would have given, with `value=None`.
    """
    note(result, f"{what}: failed ({type(error).__name__}: {str(error)[:300]})")
    for figure in figures:
        figure.note = figure.note or f"error: {type(error).__name__}"
        result.figures.append(figure)


def finish(result: PartResult) -> Path:
    """Print the part's summary lines and write its JSON; return the file."""
    print()
    print(f"Summary ({result.part})")
    for figure in result.figures:
        print(figure.line())
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{result.part}.json"
    payload = {
        **asdict(result),
        "figures": [{**asdict(f), "status": f.status} for f in result.figures],
        "environment": environment(),
    }
    path.write_text(json.dumps(payload, indent=2, default=_json_default, allow_nan=True) + "\n")
    print(f"results: {path.relative_to(ROOT)}", flush=True)
    return path


def load_figures(path: Path) -> list[Figure]:
    data = json.loads(path.read_text())
    names = {f.name for f in Figure.__dataclass_fields__.values()}
    return [Figure(**{k: v for k, v in f.items() if k in names}) for f in data["figures"]]


def environment() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": load,
    }


def busy_warning() -> str | None:
    """A line to print when the machine is visibly busy (figures will be slow)."""
    if not hasattr(os, "getloadavg"):
        return None
    load = os.getloadavg()[0]
    cpus = os.cpu_count() or 1
    if load > 0.5 * cpus:
        return (f"load average {load:.1f} on {cpus} CPUs: other work is running, "
                "timings will read high; measure on a quiet machine")
    return None


# ------------------------------------------------------------------ statistics


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), NaN when empty."""
    return float(np.percentile(np.asarray(values, float), q)) if len(values) else float("nan")


def ms(seconds: float) -> float:
    return seconds * 1000.0


# ------------------------------------------------------------------ argparse


def parser(description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(description=description,
                                   formatter_class=argparse.ArgumentDefaultsHelpFormatter)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


# ------------------------------------------------------------------ formatting


def _fmt(value: float) -> str:
    if isinstance(value, int | np.integer):
        return str(value)
    if value is None or math.isnan(value):
        return "nan"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def _with_unit(value: float, unit: str) -> str:
    if not unit:
        return _fmt(value)
    return f"{_fmt(value)}{unit}" if unit in ("×", "%") else f"{_fmt(value)} {unit}"


def _cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return _fmt(float(value))
    return "—" if value is None else str(value)


def _numeric(text: str) -> bool:
    try:
        float(text.replace(",", "").rstrip("×x%"))
    except ValueError:
        return False
    return True


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
