"""Question 5's figures: weight growth and dead ReLUs per epoch, and the seed sweep."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import DASHES, OKABE_ITO, ChartStyle, Trace, base_layout, figure, finite_positive, loss_curve_parts, merge


def health_figure(
    diagnostics: pd.DataFrame, *, title: str, hidden_units: int, style: ChartStyle = ChartStyle()
) -> go.Figure:
    """Largest |weight| (log scale) and dead ReLU units per epoch, one line per series.

    Non-finite values (weights that overflowed, dead counts of NaN weights)
    are left out of the lines, so a diverged run never blanks the chart.
    """
    traces: list[Trace] = []
    for i, (name, group) in enumerate(diagnostics.groupby("series", sort=False)):
        line = {"color": OKABE_ITO[i % len(OKABE_ITO)], "dash": DASHES[i % len(DASHES)],
                "width": style.line_width}
        steps = group["step"].to_numpy()
        weights = group["largest_weight"].to_numpy(float)
        dead = group["dead_units"].to_numpy(float)
        keep_w = np.isfinite(weights) & (weights > 0)
        keep_d = np.isfinite(dead)
        # Weights on x/y (top panel), dead units on x2/y2 (bottom); one legend entry for both.
        traces.append({"type": "scatter", "xaxis": "x", "yaxis": "y", "x": steps[keep_w], "y": weights[keep_w],
                       "name": str(name), "mode": "lines", "line": line, "legendgroup": str(name)})
        traces.append({"type": "scatter", "xaxis": "x2", "yaxis": "y2", "x": steps[keep_d], "y": dead[keep_d],
                       "name": str(name), "mode": "lines", "line": {**line, "shape": "hv"},
                       "legendgroup": str(name), "showlegend": False})
    layout = base_layout(style, title, "", "", height=int(style.height * 1.3))
    # The layout make_subplots(rows=2, shared_xaxes=True, row_heights=[0.6, 0.4],
    # vertical_spacing=0.12) gives: the rows share what the gap leaves, in proportion.
    spacing = 0.12
    bottom = (1 - spacing) * 0.4
    x_axis, y_axis = layout["xaxis"], layout["yaxis"]
    layout["xaxis2"] = {**x_axis, "anchor": "y2", "domain": [0.0, 1.0],
                        "title": {**x_axis["title"], "text": "Epoch"}}
    x_axis.update({"anchor": "y", "domain": [0.0, 1.0], "matches": "x2", "showticklabels": False})
    layout["yaxis2"] = {**y_axis, "anchor": "x2", "domain": [0.0, bottom],
                        "title": {**y_axis["title"], "text": "Dead ReLUs"}, "range": [-0.3, hidden_units + 0.3]}
    y_axis.update({"anchor": "x", "domain": [bottom + spacing, 1.0], "type": "log",
                   "title": {**y_axis["title"], "text": "Largest |weight| (log)"}})
    merge(y_axis, log_ticks(diagnostics["largest_weight"].to_numpy(float), max_ticks=5))
    return figure(traces, layout)


def sweep_bars(
    labels: Sequence[str], counts: Sequence[int], total: int, *, title: str,
    style: ChartStyle = ChartStyle(), highlight: int | None = None,
) -> go.Figure:
    """Horizontal bars: how many of `total` seeds reached NaN/Inf, per setting."""
    colours = [OKABE_ITO[3] if c else OKABE_ITO[2] for c in counts]
    traces: list[Trace] = [{
        "type": "bar", "x": list(counts), "y": list(labels), "orientation": "h",
        "marker": {"color": colours,
                   "line": {"color": "#000000", "width": [3 if i == highlight else 0 for i in range(len(counts))]}},
        # Inside a bar long enough to hold it, else after it: fits at any type size.
        "text": [f"{c} of {total}" for c in counts],
        "textposition": ["inside" if c >= total / 2 else "outside" for c in counts],
    }]
    layout = base_layout(
        style, title, f"Seeds (of {total})", "",
        hovermode="closest", showlegend=False, height=max(style.height, 90 * len(labels) + 120),
        # Room right of a full bar for its "n of total" label; the first setting on top.
        xaxis={"range": [0, total * 1.2]}, yaxis={"autorange": "reversed"},
    )
    return figure(traces, layout)


def log_ticks(values: np.ndarray, *, max_ticks: int = 7) -> dict[str, Any]:
    """Readable ticks on a log y axis spanning many decades (a diverging loss spans ~40).

    Plotly labels every decade, which overprints once the range is wide;
    these y-axis settings label every k-th decade as a power of ten
    (none when the values span two decades or less).
    """
    positive = finite_positive(values)
    if positive.size < 2 or positive.max() / positive.min() <= 100:
        return {}
    span = np.log10(positive.max()) - np.log10(positive.min())
    return {"dtick": max(1, int(np.ceil(span / max_ticks))), "exponentformat": "power"}


def tidy_loss_curves(curves: pd.DataFrame, *, max_ticks: int = 7, **options: Any) -> go.Figure:
    """`charts.loss_curves` with `log_ticks` on its y axis, built in one pass."""
    traces, layout = loss_curve_parts(curves, **options)
    merge(layout["yaxis"], log_ticks(curves["loss"].to_numpy(float), max_ticks=max_ticks))
    return figure(traces, layout)
