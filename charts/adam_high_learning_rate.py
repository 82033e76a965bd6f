"""Question 1's figures: dead ReLUs over steps, and the learning-rate sweep."""

from __future__ import annotations

from copy import deepcopy

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import (
    DASHES,
    MARKERS,
    OKABE_ITO,
    ChartStyle,
    Trace,
    axis_for,
    axis_ticks,
    base_layout,
    figure,
    merge,
    row_label,
    scale_for,
    vline,
)

DEFAULT_STYLE = ChartStyle()


def dead_units_curves(
    frame: pd.DataFrame, *, total: int, title: str, style: ChartStyle = DEFAULT_STYLE
) -> go.Figure:
    """Dead ReLUs against step, one line per `series` of a (step, series, dead) frame."""
    traces: list[Trace] = []
    for i, (name, group) in enumerate(frame.groupby("series", sort=False)):
        values = group["dead"].to_numpy(float)
        keep = np.isfinite(values)
        traces.append({
            "type": "scatter", "x": group["step"].to_numpy()[keep], "y": values[keep], "name": str(name),
            "mode": "lines",
            "line": {"color": OKABE_ITO[i % len(OKABE_ITO)], "dash": DASHES[i % len(DASHES)],
                     "width": style.line_width, "shape": "hv"},
        })
    _, x_axis = axis_for(frame["step"].to_numpy(float), log=False, max_ticks=style.max_x_ticks, pad=0.02,
                         integer=True)
    layout = base_layout(style, title, "Step", f"Dead ReLUs (of {total})", xaxis=x_axis,
                         yaxis=axis_ticks(scale_for([0, total], log=False, pad=0.02), style.max_ticks,
                                          integer=True))
    return figure(traces, layout)


def learning_rate_sweep(
    by_rate: pd.DataFrame,
    *,
    current_learning_rate: float,
    reference_loss: float | None,
    reference_label: str,
    total_units: int,
    title: str,
    style: ChartStyle = DEFAULT_STYLE,
) -> go.Figure:
    """Final and peak loss (median over seeds, whiskers min–max) against learning rate.

    `by_rate` has columns learning_rate, final_median/min/max, peak_median/min/max,
    dead_median. A lower panel shows the median number of dead ReLUs. The page's
    learning rate is a vertical line on both panels.
    """
    # Two panels sharing the x axis: losses on x/y (top), dead ReLUs on x2/y2 (bottom).
    loss_panel, dead_panel = {"xaxis": "x", "yaxis": "y"}, {"xaxis": "x2", "yaxis": "y2"}
    traces: list[Trace] = []
    rates = by_rate["learning_rate"].to_numpy(float)
    for i, (key, name) in enumerate((("final", "Final loss"), ("peak", "Peak loss"))):
        median = by_rate[f"{key}_median"].to_numpy(float)
        low = by_rate[f"{key}_min"].to_numpy(float)
        high = by_rate[f"{key}_max"].to_numpy(float)
        keep = np.isfinite(median) & (median > 0)
        traces.append({
            "type": "scatter", **loss_panel,
            "x": rates[keep], "y": median[keep], "name": f"{name} (median of seeds)", "mode": "lines+markers",
            "line": {"color": OKABE_ITO[i], "dash": DASHES[i], "width": style.line_width},
            "marker": {"symbol": MARKERS[i], "size": 6 + style.line_width},
            "error_y": {"type": "data", "symmetric": False,
                        "array": np.where(np.isfinite(high[keep]), high[keep] - median[keep], 0),
                        "arrayminus": np.where(np.isfinite(low[keep]), median[keep] - low[keep], 0),
                        "color": OKABE_ITO[i], "thickness": 1.5},
        })
    traces.append({
        "type": "scatter", **dead_panel,
        "x": rates, "y": by_rate["dead_median"].to_numpy(float), "name": "Dead ReLUs (median)",
        "mode": "lines+markers",
        "line": {"color": OKABE_ITO[2], "dash": DASHES[2], "width": style.line_width},
        "marker": {"symbol": MARKERS[2], "size": 6 + style.line_width},
    })
    if reference_loss is not None:
        traces.append({
            "type": "scatter", **loss_panel,
            "x": [rates.min(), rates.max()], "y": [reference_loss, reference_loss], "name": reference_label,
            "mode": "lines", "hoverinfo": "skip",
            "line": {"color": "#555555", "dash": "dot", "width": max(1.5, style.line_width / 2)},
        })

    current = {"color": OKABE_ITO[3], "dash": "dash", "width": style.line_width}
    # Both panels share an x range that ends half a step past the first and last rate
    # (no stray "2" and "5" labels beyond them).
    x_scale, x_axis = axis_for(rates, current_learning_rate, log=True, pad=0.04, max_ticks=style.max_x_ticks)
    losses = by_rate[["final_min", "final_median", "peak_median", "peak_max"]].to_numpy(float)
    y_scale, y_axis = axis_for(losses, [] if reference_loss is None else [reference_loss], log=True,
                               max_ticks=style.max_ticks - 2, pad=0.06)
    layout = base_layout(
        style, title, "", "", label_row=True,
        # Four legend rows under the panels (at projector sizes they need their own room).
        hovermode="closest", height=int(style.height * 1.45) + style.title_room(title) + style.legend_room(4),
        shapes=[vline(current_learning_rate, current),
                vline(current_learning_rate, current, xref="x2", yref="y2 domain")],
        # Over the top panel, where no line or point can be under it.
        annotations=[row_label(f"this run: {current_learning_rate:g}", x_scale.coordinate(current_learning_rate),
                               x_scale.fraction(current_learning_rate), style, colour=OKABE_ITO[3],
                               yref="paper")],
    )
    # The layout make_subplots(rows=2, shared_xaxes=True, row_heights=[0.72, 0.28],
    # vertical_spacing=0.06) gives: the rows share what the gap leaves, in proportion.
    spacing = 0.06
    bottom = (1 - spacing) * 0.28
    x_axis_top, y_axis_top = layout["xaxis"], layout["yaxis"]
    plain_y = deepcopy(y_axis_top)  # titles and fonts, before the loss panel's ticks
    merge(x_axis_top, x_axis)
    merge(y_axis_top, y_axis)
    layout["xaxis2"] = {**x_axis_top, "anchor": "y2", "domain": [0.0, 1.0],
                        "title": {**x_axis_top["title"], "text": "Adam learning rate (log scale)"}}
    x_axis_top.update({"anchor": "y", "domain": [0.0, 1.0], "matches": "x2", "showticklabels": False})
    dead_axis = axis_ticks(scale_for([0, total_units], log=False, pad=0.03), 3, integer=True)
    layout["yaxis2"] = {**plain_y, **dead_axis, "anchor": "x2", "domain": [0.0, bottom],
                        "title": {**plain_y["title"], "text": f"Dead (of {total_units})"}}
    y_axis_top.update({"anchor": "x", "domain": [bottom + spacing, 1.0],
                       "title": {**y_axis_top["title"], "text": "Loss (log scale)" if y_scale.log else "Loss"}})
    return figure(traces, layout)


def sweep_alt_text(by_rate: pd.DataFrame, current_learning_rate: float) -> str:
    best = by_rate.loc[by_rate["final_median"].idxmin()]
    parts = [
        f"learning rate {row.learning_rate:g}: final {row.final_median:.3g}, peak {row.peak_median:.3g}, "
        f"{row.dead_median:g} dead"
        for row in by_rate.itertuples()
    ]
    return (
        f"Learning-rate sweep (median over seeds). Lowest final loss {best['final_median']:.3g} at "
        f"learning rate {best['learning_rate']:g}; this run's rate {current_learning_rate:g} is marked. "
        + "; ".join(parts) + "."
    )
