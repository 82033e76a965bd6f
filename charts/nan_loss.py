"""Question 5's figures: weight growth and dead ReLUs per epoch, and the seed sweep."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import (
    DASHES,
    OKABE_ITO,
    ChartStyle,
    Scale,
    Trace,
    axis_for,
    axis_ticks,
    base_layout,
    curve_stop,
    figure,
    loss_curves,
    scale_for,
    stop_annotations,
    wrap,
)


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
    layout = base_layout(style, title, "", "", height=int(style.height * 1.3) + style.title_room(title))
    # The layout make_subplots(rows=2, shared_xaxes=True, row_heights=[0.6, 0.4],
    # vertical_spacing=0.12) gives: the rows share what the gap leaves, in proportion.
    spacing = 0.12
    bottom = (1 - spacing) * 0.4
    _, x_ticks = axis_for(diagnostics["step"].to_numpy(float), log=False, pad=0.02, integer=True,
                          max_ticks=style.max_x_ticks)
    # A weight that overflows spans ~40 decades: every k-th power of ten is labelled.
    weight_scale, weight_ticks = axis_for(diagnostics["largest_weight"].to_numpy(float), log=True,
                                          max_ticks=style.max_ticks - 2)
    x_axis, y_axis = layout["xaxis"], layout["yaxis"]
    layout["xaxis2"] = {**x_axis, **x_ticks, "anchor": "y2", "domain": [0.0, 1.0],
                        "title": {**x_axis["title"], "text": "Epoch"}}
    x_axis.update({**x_ticks, "anchor": "y", "domain": [0.0, 1.0], "matches": "x2", "showticklabels": False})
    layout["yaxis2"] = {**y_axis, **axis_ticks(scale_for([0, hidden_units], log=False, pad=0.03), 4, integer=True),
                        "anchor": "x2", "domain": [0.0, bottom],
                        "title": {**y_axis["title"], "text": "Dead ReLUs"}}
    y_axis.update({**weight_ticks, "anchor": "x", "domain": [bottom + spacing, 1.0],
                   "title": {**y_axis["title"],
                             "text": "Largest |weight| (log)" if weight_scale.log else "Largest |weight|"}})
    # Where the weights stop being numbers, both lines stop: the top panel says why.
    x_scale = Scale(False, *x_ticks["range"])
    notes = []
    for i, (name, group) in enumerate(diagnostics.groupby("series", sort=False)):
        stop = curve_stop(group["step"].to_numpy(), group["largest_weight"].to_numpy(float), name=str(name),
                          colour=OKABE_ITO[i % len(OKABE_ITO)], x_scale=x_scale, y_scale=weight_scale, x="epoch",
                          quantity="largest weight", prefix="weights ", style=style)
        if stop is not None:
            notes.append(stop[0])
            traces.extend(stop[1])
    if notes:
        layout["annotations"] = stop_annotations(notes, font_size=style.font_size)
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
        xaxis=axis_ticks(scale_for([0, total * 1.2], log=False, pad=0), style.max_x_ticks, integer=True),
        # Long settings wrapped: on a phone one line would take half the chart's width.
        yaxis={"autorange": "reversed", "tickmode": "array", "tickvals": list(labels),
               "ticktext": [wrap(label, 22) for label in labels]},
    )
    return figure(traces, layout)


def tidy_loss_curves(curves: pd.DataFrame, **options: Any) -> go.Figure:
    """`charts.loss_curves` (which now picks readable log ticks for every chart)."""
    return loss_curves(curves, **options)
