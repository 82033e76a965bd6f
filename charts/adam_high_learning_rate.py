"""Question 1's figures: dead ReLUs over steps, and the learning-rate sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts import DASHES, MARKERS, OKABE_ITO, ChartStyle, apply_layout, finite_positive

DEFAULT_STYLE = ChartStyle()


def dead_units_curves(
    frame: pd.DataFrame, *, total: int, title: str, style: ChartStyle = DEFAULT_STYLE
) -> go.Figure:
    """Dead ReLUs against step, one line per `series` of a (step, series, dead) frame."""
    fig = go.Figure()
    for i, (name, group) in enumerate(frame.groupby("series", sort=False)):
        values = group["dead"].to_numpy(float)
        keep = np.isfinite(values)
        fig.add_trace(go.Scatter(
            x=group["step"].to_numpy()[keep], y=values[keep], name=str(name), mode="lines",
            line={"color": OKABE_ITO[i % len(OKABE_ITO)], "dash": DASHES[i % len(DASHES)],
                  "width": style.line_width, "shape": "hv"},
        ))
    fig = apply_layout(fig, style, title, "Step", f"Dead ReLUs (of {total})")
    fig.update_yaxes(range=[-0.5, total + 0.5])
    return fig


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
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28],
                        vertical_spacing=0.06)
    rates = by_rate["learning_rate"].to_numpy(float)
    for i, (key, name) in enumerate((("final", "Final loss"), ("peak", "Peak loss"))):
        median = by_rate[f"{key}_median"].to_numpy(float)
        low = by_rate[f"{key}_min"].to_numpy(float)
        high = by_rate[f"{key}_max"].to_numpy(float)
        keep = np.isfinite(median) & (median > 0)
        fig.add_trace(go.Scatter(
            x=rates[keep], y=median[keep], name=f"{name} (median of seeds)", mode="lines+markers",
            line={"color": OKABE_ITO[i], "dash": DASHES[i], "width": style.line_width},
            marker={"symbol": MARKERS[i], "size": 6 + style.line_width},
            error_y={"type": "data", "symmetric": False,
                     "array": np.where(np.isfinite(high[keep]), high[keep] - median[keep], 0),
                     "arrayminus": np.where(np.isfinite(low[keep]), median[keep] - low[keep], 0),
                     "color": OKABE_ITO[i], "thickness": 1.5},
        ), row=1, col=1)
    fig.add_trace(go.Scatter(
        x=rates, y=by_rate["dead_median"].to_numpy(float), name="Dead ReLUs (median)",
        mode="lines+markers",
        line={"color": OKABE_ITO[2], "dash": DASHES[2], "width": style.line_width},
        marker={"symbol": MARKERS[2], "size": 6 + style.line_width},
    ), row=2, col=1)
    if reference_loss is not None:
        fig.add_trace(go.Scatter(
            x=[rates.min(), rates.max()], y=[reference_loss, reference_loss], name=reference_label,
            mode="lines", hoverinfo="skip",
            line={"color": "#555555", "dash": "dot", "width": max(1.5, style.line_width / 2)},
        ), row=1, col=1)
    for row in (1, 2):
        fig.add_vline(x=current_learning_rate, row=row, col=1,
                      line={"color": OKABE_ITO[3], "dash": "dash", "width": style.line_width})
    fig.add_annotation(x=np.log10(current_learning_rate), xref="x", yref="paper", y=1.0,
                       text=f"this run: {current_learning_rate:g}", showarrow=False,
                       yanchor="bottom", font={"color": OKABE_ITO[3], "size": style.font_size})
    fig = apply_layout(fig, style, title, "", "")
    fig.update_layout(hovermode="closest", height=int(style.height * 1.45),
                      legend={"orientation": "h", "yanchor": "top", "y": -0.16, "x": 0},
                      margin={"l": 10, "r": 10, "t": 80, "b": 10})
    fig.update_xaxes(type="log", row=1, col=1)
    fig.update_xaxes(type="log", title="Adam learning rate (log scale)", row=2, col=1)
    fig.update_yaxes(title="Loss (log scale)", type="log", row=1, col=1)
    positive = finite_positive(by_rate[["final_min", "peak_max"]].to_numpy().ravel())
    if positive.size:
        fig.update_yaxes(range=[np.log10(positive.min()) - 0.3, np.log10(positive.max()) + 0.3],
                         row=1, col=1)
    fig.update_yaxes(title=f"Dead (of {total_units})", range=[-1, total_units + 1], row=2, col=1)
    return fig


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
