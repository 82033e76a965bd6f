"""Question 5's figures: weight growth and dead ReLUs per epoch, and the seed sweep."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts import DASHES, OKABE_ITO, ChartStyle, apply_layout, finite_positive


def health_figure(
    diagnostics: pd.DataFrame, *, title: str, hidden_units: int, style: ChartStyle = ChartStyle()
) -> go.Figure:
    """Largest |weight| (log scale) and dead ReLU units per epoch, one line per series.

    Non-finite values (weights that overflowed, dead counts of NaN weights)
    are left out of the lines, so a diverged run never blanks the chart.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12, row_heights=[0.6, 0.4])
    for i, (name, group) in enumerate(diagnostics.groupby("series", sort=False)):
        line = {"color": OKABE_ITO[i % len(OKABE_ITO)], "dash": DASHES[i % len(DASHES)],
                "width": style.line_width}
        steps = group["step"].to_numpy()
        weights = group["largest_weight"].to_numpy(float)
        dead = group["dead_units"].to_numpy(float)
        keep_w = np.isfinite(weights) & (weights > 0)
        keep_d = np.isfinite(dead)
        fig.add_trace(go.Scatter(x=steps[keep_w], y=weights[keep_w], name=str(name), mode="lines",
                                 line=line, legendgroup=str(name)), row=1, col=1)
        fig.add_trace(go.Scatter(x=steps[keep_d], y=dead[keep_d], name=str(name), mode="lines",
                                 line={**line, "shape": "hv"}, legendgroup=str(name), showlegend=False),
                      row=2, col=1)
    fig = apply_layout(fig, style, title, "", "")
    fig.update_layout(height=int(style.height * 1.3))
    fig.update_yaxes(type="log", title="Largest |weight| (log)", row=1, col=1)
    tidy_log_axis(fig, diagnostics["largest_weight"].to_numpy(float), max_ticks=5, row=1, col=1)
    fig.update_yaxes(title="Dead ReLUs", range=[-0.3, hidden_units + 0.3], row=2, col=1)
    fig.update_xaxes(title="Epoch", row=2, col=1)
    return fig


def sweep_bars(
    labels: Sequence[str], counts: Sequence[int], total: int, *, title: str,
    style: ChartStyle = ChartStyle(), highlight: int | None = None,
) -> go.Figure:
    """Horizontal bars: how many of `total` seeds reached NaN/Inf, per setting."""
    colours = [OKABE_ITO[3] if c else OKABE_ITO[2] for c in counts]
    fig = go.Figure(go.Bar(
        x=list(counts), y=list(labels), orientation="h", marker={"color": colours},
        text=[f"{c} of {total}" for c in counts], textposition="outside",
        marker_line={"color": "#000000", "width": [3 if i == highlight else 0 for i in range(len(counts))]},
    ))
    fig = apply_layout(fig, style, title, f"Seeds (of {total})", "")
    fig.update_layout(hovermode="closest", showlegend=False,
                      height=max(style.height, 90 * len(labels) + 120))
    fig.update_xaxes(range=[0, total * 1.2])
    fig.update_yaxes(autorange="reversed")
    return fig


def tidy_log_axis(fig: go.Figure, values: np.ndarray, *, max_ticks: int = 7, **selector: int) -> go.Figure:
    """Readable ticks on a log y axis spanning many decades (a diverging loss spans ~40).

    Plotly labels every decade, which overprints once the range is wide;
    this labels every k-th decade as a power of ten.
    """
    positive = finite_positive(values)
    if positive.size < 2 or positive.max() / positive.min() <= 100:
        return fig
    span = np.log10(positive.max()) - np.log10(positive.min())
    fig.update_yaxes(dtick=max(1, int(np.ceil(span / max_ticks))), exponentformat="power", **selector)
    return fig
