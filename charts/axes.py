"""Axis scales and ticks computed from the data: a handful of tick labels at any range.

Plotly left to itself labels a log axis at every power of ten, or at 2 and 5
between them (its "D1"/"D2" ticks): a diverging loss spans ~40 decades and
its labels stack into a smear, and a sweep's axis grows stray "2" and "5"
labels past its first and last decade. Here every axis gets an explicit
range and an explicit tick rule chosen from that range, so a figure says how
many labels it shows (the tests count them from the layout alone):

- a log axis labels 1-2-5 or 1-3 in each decade while the range is short,
  else every k-th power of ten (`dtick` k decades);
- a linear axis labels every `dtick`, a 1-2-5 step;
- values spanning less than one decade never get a log axis: 0.022 against
  0.028 on a log scale looks like a large difference.

Pure numpy; no plotly, no streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_TICKS = 8
# Without a preference, a log axis once finite positive values span more than this many decades.
AUTO_LOG_DECADES = 2.0
# A chart that prefers a log axis still gets a linear one below this span.
MIN_LOG_DECADES = 1.0
# Decade steps of a long log axis, and 1-2-5 steps of a linear one.
_DECADE_STEPS = (1, 2, 3, 5, *(m * 10**e for e in range(1, 6) for m in (1, 2, 5)))
_MANTISSAS = ((1, 2, 5), (1, 3))
_NICE = (1, 2, 5)


@dataclass(frozen=True)
class Scale:
    """An axis's range in axis units (log10 of the value on a log axis)."""

    log: bool
    low: float
    high: float

    def coordinate(self, value: float) -> float:
        """Where `value` (data units) sits in axis units: what an annotation's x or y takes."""
        return float(np.log10(value)) if self.log else float(value)

    def value(self, coordinate: float) -> float:
        """The data value at an axis coordinate."""
        return float(10 ** coordinate) if self.log else float(coordinate)

    def fraction(self, value: float) -> float:
        """How far along the axis `value` (data units) is: 0 at `low`, 1 at `high`."""
        return (self.coordinate(value) - self.low) / (self.high - self.low)

    def at_fraction(self, fraction: float) -> float:
        """The axis coordinate at a fraction of the axis."""
        return self.low + fraction * (self.high - self.low)


def _finite(values: Iterable[Any]) -> np.ndarray:
    parts = [np.asarray(v, dtype=float).ravel() for v in values]
    flat = np.concatenate(parts) if parts else np.array([], float)
    return flat[np.isfinite(flat)]


def decades(*values: Any) -> float:
    """How many decades the finite positive values span (0 for fewer than two)."""
    positive = _finite(values)
    positive = positive[positive > 0]
    if positive.size < 2:
        return 0.0
    return float(np.log10(positive.max()) - np.log10(positive.min()))


def use_log(*values: Any, prefer: bool | None = None) -> bool:
    """Whether these values want a log axis.

    `prefer` None: more than two decades. True (a chart about orders of
    magnitude): at least one decade. False: never.
    """
    if prefer is False:
        return False
    span = decades(*values)
    return span >= MIN_LOG_DECADES if prefer else span > AUTO_LOG_DECADES


def scale_for(*values: Any, log: bool, pad: float = 0.05, include_zero: bool = False,
              integer: bool = False) -> Scale:
    """The range that shows every finite value (positive ones on a log axis), padded by
    `pad` of its span at each end; a linear one reaches 0 if `include_zero`."""
    finite = _finite(values)
    if log:
        positive = finite[finite > 0]
        if positive.size == 0:
            return Scale(True, -1.0, 1.0)
        low, high = float(np.log10(positive.min())), float(np.log10(positive.max()))
        margin = max(pad * (high - low), 0.08)
        return Scale(True, low - margin, high + margin)
    if finite.size == 0:
        return Scale(False, 0.0, 1.0)
    low, high = float(finite.min()), float(finite.max())
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        half = max(abs(low) * 0.1, 1.0 if integer else 0.1)
        return Scale(False, low - half, high + half)
    margin = pad * (high - low)
    # A range that starts at 0 from the data stays at 0 (a count or a loss has nothing below it).
    return Scale(False, low if (include_zero and low == 0) else low - margin, high + margin)


def with_room(scale: Scale, *, below: float = 0.0, above: float = 0.0) -> Scale:
    """`scale` widened so that its range fills the plot but `below` and `above` (fractions):
    room for a label under the lowest or over the highest line."""
    span = (scale.high - scale.low) / max(1.0 - below - above, 0.2)
    return Scale(scale.log, scale.low - below * span, scale.high + above * span)


def _count(low: float, high: float, step: float, tick0: float = 0.0) -> int:
    return max(0, math.floor((high - tick0) / step + 1e-9) - math.ceil((low - tick0) / step - 1e-9) + 1)


def log_tickvals(low: float, high: float, mantissas: tuple[int, ...]) -> list[float]:
    """Values m·10^k (m in `mantissas`) between 10^low and 10^high."""
    values = []
    for k in range(math.floor(low) - 1, math.ceil(high) + 1):
        for m in mantissas:
            if low - 1e-9 <= k + math.log10(m) <= high + 1e-9:
                values.append(float(f"{m}e{k}"))  # exactly 0.02, not 2 * 0.01
    return values


def nice_step(low: float, high: float, max_ticks: int, *, integer: bool = False) -> float:
    """The smallest 1-2-5 step whose multiples put at most `max_ticks` ticks on [low, high]
    (≥ 1 if `integer`)."""
    span = high - low
    if span <= 0:
        return 1.0
    exponent = math.floor(math.log10(span / max_ticks))
    for k in range(exponent - 1, exponent + 3):
        for m in _NICE:
            step = float(f"{m}e{k}")
            if integer and step < 1:
                continue
            if _count(low, high, step) <= max_ticks:
                return step
    return 10.0 ** (exponent + 3)


def axis_ticks(scale: Scale, max_ticks: int = MAX_TICKS, *, integer: bool = False) -> dict[str, Any]:
    """An axis dict (type, range and tick rule) with at most `max_ticks` labels on this range.

    Log: 1-2-5 (or 1-3) labels per decade while they fit, else a label every
    k-th power of ten; minor grid lines mark the decades between labels.
    Linear: a 1-2-5 `dtick` from 0.
    """
    axis: dict[str, Any] = {"type": "log" if scale.log else "linear", "range": [scale.low, scale.high],
                            "autorange": False}
    if scale.log:
        for mantissas in _MANTISSAS if scale.high - scale.low <= max_ticks else ():
            values = log_tickvals(scale.low, scale.high, mantissas)
            # Two labels at least: one lone label does not tell the scale.
            if 2 <= len(values) <= max_ticks:
                return axis | {"tickmode": "array", "tickvals": values, "minor": {"showgrid": False}}
        step = next(k for k in _DECADE_STEPS if _count(scale.low, scale.high, k) <= max_ticks)
        minor = {"showgrid": True, "dtick": 1} if step > 1 and scale.high - scale.low <= 24 else {
            "showgrid": False}
        return axis | {"tickmode": "linear", "tick0": 0, "dtick": step, "minor": minor}
    step = nice_step(scale.low, scale.high, max_ticks, integer=integer)
    return axis | {"tickmode": "linear", "tick0": 0, "dtick": step}


def axis_for(*values: Any, log: bool | None = None, max_ticks: int = MAX_TICKS, pad: float = 0.05,
             include_zero: bool = False, integer: bool = False) -> tuple[Scale, dict[str, Any]]:
    """The scale and axis dict for these values: `log` is a preference (see `use_log`)."""
    scale = scale_for(*values, log=use_log(*values, prefer=log), pad=pad, include_zero=include_zero,
                      integer=integer)
    return scale, axis_ticks(scale, max_ticks, integer=integer)


def implied_ticks(axis: dict[str, Any]) -> list[float] | None:
    """The tick positions (axis units) a layout's axis dict implies, or None if it leaves them to plotly.

    What the tests count: explicit `tickvals`, or `dtick` (and `tick0`) over an explicit range.
    """
    if axis.get("tickmode") == "array" or "tickvals" in axis:
        if any(isinstance(v, str) for v in axis.get("tickvals", [])):  # categories: one label each
            return [float(i) for i in range(len(axis["tickvals"]))]
        values = [float(v) for v in axis.get("tickvals", [])]
        if axis.get("type") == "log":
            values = [math.log10(v) for v in values if v > 0]
        low, high = sorted(axis["range"]) if "range" in axis else (-math.inf, math.inf)
        return [v for v in values if low - 1e-9 <= v <= high + 1e-9]
    if "dtick" in axis and "range" in axis:
        dtick = axis["dtick"]
        if isinstance(dtick, str):
            return None  # "D1"/"D2": plotly's minor-digit labels
        low, high = sorted(axis["range"])
        tick0 = float(axis.get("tick0", 0))
        first = math.ceil((low - tick0) / dtick - 1e-9)
        return [tick0 + i * dtick for i in range(first, first + _count(low, high, dtick, tick0))]
    return None
