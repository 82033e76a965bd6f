"""Question 1's figures: dead ReLUs over steps, and the learning-rate sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import DASHES, MARKERS, OKABE_ITO, ChartStyle, Trace, base_layout, figure, finite_positive, vline

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
    layout = base_layout(style, title, "Step", f"Dead ReLUs (of {total})",
                         yaxis={"range": [-0.5, total + 0.5]})
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
    layout = base_layout(
        style, title, "", "",
        hovermode="closest", height=int(style.height * 1.45),
        margin={"t": 80 + style.title_room(title)},
        shapes=[vline(current_learning_rate, current),
                vline(current_learning_rate, current, xref="x2", yref="y2 domain")],
        # An annotation's x on a log axis is the log10 of the value.
        annotations=[{"x": np.log10(current_learning_rate), "xref": "x", "y": 1.0, "yref": "paper",
                      "yanchor": "bottom", "text": f"this run: {current_learning_rate:g}", "showarrow": False,
                      "font": {"color": OKABE_ITO[3], "size": style.font_size}}],
    )
    # The layout make_subplots(rows=2, shared_xaxes=True, row_heights=[0.72, 0.28],
    # vertical_spacing=0.06) gives: the rows share what the gap leaves, in proportion.
    spacing = 0.06
    bottom = (1 - spacing) * 0.28
    x_axis, y_axis = layout["xaxis"], layout["yaxis"]
    layout["xaxis2"] = {**x_axis, "anchor": "y2", "domain": [0.0, 1.0], "type": "log",
                        "title": {**x_axis["title"], "text": "Adam learning rate (log scale)"}}
    x_axis.update({"anchor": "y", "domain": [0.0, 1.0], "matches": "x2", "showticklabels": False,
                   "type": "log"})
    layout["yaxis2"] = {**y_axis, "anchor": "x2", "domain": [0.0, bottom],
                        "title": {**y_axis["title"], "text": f"Dead (of {total_units})"},
                        "range": [-1, total_units + 1]}
    y_axis.update({"anchor": "x", "domain": [bottom + spacing, 1.0], "type": "log",
                   "title": {**y_axis["title"], "text": "Loss (log scale)"}})
    positive = finite_positive(by_rate[["final_min", "peak_max"]].to_numpy().ravel())
    if positive.size:
        y_axis["range"] = [np.log10(positive.min()) - 0.3, np.log10(positive.max()) + 0.3]
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
