"""Plotly figures as pure functions of engine results (no streamlit here).

Colours are Okabe–Ito (safe for the common colour-vision deficiencies) and
every series also differs by dash, so a chart reads in greyscale and on a
washed-out projector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

# Set once: a template named in every figure's layout is re-validated each
# time, ~19 ms a figure (measured), which a page with seven charts pays on
# every slider move.
pio.templates.default = "plotly_white"

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
MARKERS = ("circle", "square", "diamond", "triangle-up", "x", "star")


@dataclass(frozen=True)
class ChartStyle:
    """Sizes that change in projector mode."""

    font_size: int = 14
    line_width: float = 2.5
    height: int = 380

    @classmethod
    def projector(cls) -> ChartStyle:
        return cls(font_size=24, line_width=5.0, height=520)


DEFAULT_STYLE = ChartStyle()


def apply_layout(fig: go.Figure, style: ChartStyle, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": style.font_size + 4}},
        font={"size": style.font_size},
        height=style.height,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        # Under the plot: in a half-width column a legend above it wraps over the title.
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0},
        hovermode="x unified",
    )
    fig.update_xaxes(title=x_title, showgrid=True, exponentformat="power")
    # 10⁻⁴ rather than SI's "100µ": a loss is not measured in micro-units.
    fig.update_yaxes(title=y_title, showgrid=True, exponentformat="power")
    return fig


def finite_positive(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values) & (values > 0)]


def plottable(values: np.ndarray, log_axis: bool) -> np.ndarray:
    """Mask of the points a line can draw: finite, and positive on a log axis."""
    keep = np.isfinite(values)
    return keep & (values > 0) if log_axis else keep


def wants_log_axis(values: np.ndarray) -> bool:
    """Log y when finite positive values span more than two decades."""
    positive = finite_positive(values)
    return positive.size > 1 and positive.max() / positive.min() > 100


def loss_curves(
    curves: pd.DataFrame,
    *,
    title: str,
    style: ChartStyle = DEFAULT_STYLE,
    x: str = "step",
    x_title: str = "Step",
    y_title: str = "Loss",
    log_y: bool | None = None,
) -> go.Figure:
    """One line per `series` of a (step, series, loss) frame.

    Non-finite losses are dropped from the line (plotly would draw nothing
    or break a log axis), and the first one of each series is marked with
    an ✕ at the last finite value and labelled with its step.
    """
    fig = go.Figure()
    all_losses = curves["loss"].to_numpy(dtype=float)
    use_log = wants_log_axis(all_losses) if log_y is None else log_y
    for i, (name, group) in enumerate(curves.groupby("series", sort=False)):
        colour, dash = OKABE_ITO[i % len(OKABE_ITO)], DASHES[i % len(DASHES)]
        steps = group[x].to_numpy()
        losses = group["loss"].to_numpy(dtype=float)
        keep = plottable(losses, use_log)
        fig.add_trace(go.Scatter(
            x=steps[keep], y=losses[keep], name=str(name), mode="lines",
            line={"color": colour, "dash": dash, "width": style.line_width},
        ))
        bad = np.flatnonzero(~np.isfinite(losses))
        if bad.size:
            first = int(bad[0])
            finite_before = losses[:first][np.isfinite(losses[:first])]
            y = finite_before[-1] if finite_before.size else (1.0 if use_log else 0.0)
            fig.add_trace(go.Scatter(
                x=[steps[first]], y=[y], mode="markers+text", showlegend=False,
                name=f"{name}: non-finite",
                marker={"symbol": "x", "size": 10 + 2 * style.line_width, "color": colour,
                        "line": {"width": 2, "color": "#000000"}},
                text=[f"{'NaN' if np.isnan(losses[first]) else 'Inf'} at {x} {steps[first]}"],
                textposition="bottom center", cliponaxis=False,
                textfont={"size": style.font_size, "color": colour},
            ))
    fig = apply_layout(fig, style, title, x_title, y_title + (" (log scale)" if use_log else ""))
    if use_log:
        fig.update_yaxes(type="log", dtick=1, minor={"showgrid": True})
    return fig


def histogram(
    values: np.ndarray,
    *,
    title: str,
    x_title: str,
    highlight: float | None = None,
    highlight_label: str = "",
    band: tuple[float, float] | None = None,
    band_label: str = "",
    style: ChartStyle = DEFAULT_STYLE,
    bins: int = 40,
) -> go.Figure:
    fig = go.Figure(go.Histogram(
        x=np.asarray(values, float), nbinsx=bins, name="seeds",
        marker={"color": OKABE_ITO[0], "line": {"color": "#ffffff", "width": 1}},
    ))
    if band is not None:
        fig.add_vrect(x0=band[0], x1=band[1], fillcolor=OKABE_ITO[1], opacity=0.35,
                      line_width=0, annotation_text=band_label, annotation_position="top right")
    if highlight is not None:
        fig.add_vline(x=highlight, line={"color": OKABE_ITO[3], "width": style.line_width, "dash": "dash"},
                      annotation_text=highlight_label, annotation_position="bottom left")
    fig = apply_layout(fig, style, title, x_title, "Number of seeds")
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def scatter_lines(
    frame: pd.DataFrame, *, x: str, y: str, series: str, title: str, x_title: str,
    y_title: str, log_x: bool = False, log_y: bool | None = None,
    style: ChartStyle = DEFAULT_STYLE,
) -> go.Figure:
    """Lines with markers, one per `series` (sweeps: a value against a setting)."""
    fig = go.Figure()
    use_log = wants_log_axis(frame[y].to_numpy(float)) if log_y is None else log_y
    for i, (name, group) in enumerate(frame.groupby(series, sort=False)):
        values = group[y].to_numpy(float)
        keep = plottable(values, use_log)
        fig.add_trace(go.Scatter(
            x=group[x].to_numpy()[keep], y=values[keep], name=str(name), mode="lines+markers",
            line={"color": OKABE_ITO[i % len(OKABE_ITO)], "dash": DASHES[i % len(DASHES)],
                  "width": style.line_width},
            marker={"symbol": MARKERS[i % len(MARKERS)], "size": 6 + style.line_width},
        ))
    fig = apply_layout(fig, style, title, x_title, y_title + (" (log scale)" if use_log else ""))
    fig.update_layout(hovermode="closest")
    if log_x:
        fig.update_xaxes(type="log")
    if use_log:
        fig.update_yaxes(type="log", dtick=1, minor={"showgrid": True})
    return fig


def alt_text_for_curves(curves: pd.DataFrame, x: str = "step") -> str:
    """A one-line text description of a loss chart (for screen readers)."""
    parts = []
    for name, group in curves.groupby("series", sort=False):
        losses = group["loss"].to_numpy(float)
        finite = losses[np.isfinite(losses)]
        if not finite.size:
            parts.append(f"{name}: no finite loss")
            continue
        text = f"{name}: from {finite[0]:.4g} to {finite[-1]:.4g}"
        bad = np.flatnonzero(~np.isfinite(losses))
        if bad.size:
            text += f", non-finite at {x} {group[x].to_numpy()[bad[0]]}"
        parts.append(text)
    return "; ".join(parts)
