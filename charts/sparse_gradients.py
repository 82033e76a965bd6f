"""Figures for question 3 (sparse gradients): weight errors per step, per
optimizer, per learning rate and per seed. Pure functions of engine results.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts import DASHES, MARKERS, OKABE_ITO, ChartStyle, apply_layout, loss_curves

FLOOR_COLOUR = "#000000"
# Rare and common bars differ by colour and by fill pattern (greyscale, projector).
BAR_KINDS = (
    ("rare_error", "rare weights", OKABE_ITO[3], ""),
    ("common_error", "common weights", OKABE_ITO[0], "/"),
)


def _floor_line(fig: go.Figure, value: float, label: str, style: ChartStyle, *, log_y: bool,
                above: bool = True) -> None:
    """A dotted horizontal reference line with its label.

    The label is a separate annotation: `add_hline`'s own annotation lands at
    10^value on a log axis (plotly places it in axis units, i.e. log10).
    """
    if not (np.isfinite(value) and value > 0):
        return
    line = {"color": FLOOR_COLOUR, "width": max(1.0, style.line_width / 2), "dash": "dot"}
    fig.add_hline(y=value, line=line)
    fig.add_annotation(
        x=1, xref="paper", xanchor="right", y=float(np.log10(value)) if log_y else value, yref="y",
        yanchor="bottom" if above else "top", text=label, showarrow=False,
        font={"size": style.font_size, "color": FLOOR_COLOUR}, bgcolor="rgba(255,255,255,0.7)",
    )


def _legend_below(fig: go.Figure, style: ChartStyle) -> go.Figure:
    """Long series names in a half-width chart: the legend goes under the plot, not over the title."""
    fig.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        height=style.height + 90,
    )
    return fig


def tuned_loss_curves(curves: pd.DataFrame, *, title: str, style: ChartStyle = ChartStyle()) -> go.Figure:
    return _legend_below(loss_curves(curves, title=title, style=style), style)


def error_curves(curves: pd.DataFrame, *, floor: float, title: str, y_title: str,
                 style: ChartStyle = ChartStyle()) -> go.Figure:
    """One error line per optimizer (a step/series/loss frame whose `loss` is the error)."""
    fig = loss_curves(curves, title=title, style=style, y_title=y_title, log_y=True)
    _floor_line(fig, floor, f"least-squares floor {floor:.3f}", style, log_y=True, above=False)
    return _legend_below(fig, style)


def error_bars(summary: pd.DataFrame, *, floors: dict[str, float], title: str,
               columns: Sequence[str] = ("rare_error", "common_error"),
               style: ChartStyle = ChartStyle()) -> go.Figure:
    """Final RMS weight error per optimizer, rare next to common, with each floor."""
    fig = go.Figure()
    for column, name, colour, pattern in BAR_KINDS:
        if column not in columns:
            continue
        values = summary[column].to_numpy(float)
        fig.add_trace(go.Bar(
            x=summary["label"], y=np.where(np.isfinite(values), values, np.nan), name=name,
            marker={"color": colour, "pattern": {"shape": pattern}, "line": {"color": "#000000", "width": 1}},
            text=[f"{v:.3f}" if np.isfinite(v) else "n/a" for v in values], textposition="outside",
            textfont={"size": style.font_size},
        ))
    fig = apply_layout(fig, style, title, "Optimizer (each at its tuned learning rate)", "RMS error (log scale)")
    fig.update_yaxes(type="log")
    fig.update_layout(barmode="group", hovermode="closest")
    # Autorange ignores the floor lines: make room for them and for the bar labels.
    floor_values = np.array([floors.get(c, np.nan) for c in columns])
    shown = np.concatenate([summary[c].to_numpy(float) for c in columns] + [floor_values])
    shown = shown[np.isfinite(shown) & (shown > 0)]
    if shown.size:
        fig.update_yaxes(range=[np.log10(shown.min()) - 0.3, np.log10(shown.max()) + 0.3])
    # Floors as full-width lines named in the legend (labels on the plot would cover bars).
    for (column, name, colour, _), dash in zip(BAR_KINDS, ("dot", "dash"), strict=True):
        value = floors.get(column, float("nan"))
        if column in columns and np.isfinite(value) and value > 0:
            line = {"color": colour, "width": max(1.5, style.line_width / 2), "dash": dash}
            fig.add_hline(y=value, line=line)
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=line,
                                     name=f"least-squares floor, {name}: {value:.3f}"))
    return fig


def sweep_chart(sweep: pd.DataFrame, *, y: str, y_title: str, title: str, cap: float,
                style: ChartStyle = ChartStyle()) -> go.Figure:
    """A value against the learning rate, one line per optimizer; the tuned rate is starred.

    Values above `cap` (runs blowing up, up to 1e30) would squash the axis: they are
    drawn at the cap with an ✕ and their real value in the hover text.
    """
    fig = go.Figure()
    finite = sweep[y].to_numpy(float)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    low = max(float(finite.min()) if finite.size else cap / 1e3, cap * 1e-6)
    for i, (name, group) in enumerate(sweep.groupby("label", sort=False)):
        colour, dash = OKABE_ITO[i % len(OKABE_ITO)], DASHES[i % len(DASHES)]
        rates = group["learning_rate"].to_numpy(float)
        values = group[y].to_numpy(float)
        keep = np.isfinite(values) & (values > 0)
        above = keep & (values > cap)
        shown = np.where(above, cap, values)
        fig.add_trace(go.Scatter(
            x=rates[keep], y=shown[keep], name=str(name), mode="lines+markers",
            customdata=values[keep],
            hovertemplate="lr %{x:g}: %{customdata:.4g}<extra>" + str(name) + "</extra>",
            line={"color": colour, "dash": dash, "width": style.line_width},
            marker={"symbol": [("x" if a else MARKERS[i % len(MARKERS)]) for a in above[keep]],
                    "size": 6 + style.line_width, "color": colour},
        ))
        tuned = keep & group["tuned"].to_numpy(bool)
        if tuned.any():
            fig.add_trace(go.Scatter(
                x=rates[tuned], y=shown[tuned], mode="markers", showlegend=False, name=f"{name}: picked",
                hovertemplate=f"{name} picked: lr %{{x:g}}, %{{y:.4g}}<extra></extra>",
                marker={"symbol": "star", "size": 12 + 2 * style.line_width, "color": colour,
                        "line": {"color": "#000000", "width": 1}},
            ))
    fig = apply_layout(fig, style, title, "Learning rate (log scale)", f"{y_title} (log scale)")
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(type="log")
    fig.update_yaxes(type="log", range=[np.log10(low) - 0.2, np.log10(cap) + 0.2])
    line = {"color": FLOOR_COLOUR, "width": 1, "dash": "dot"}
    fig.add_hline(y=cap, line=line)
    fig.add_annotation(x=0, xref="paper", xanchor="left", y=float(np.log10(cap)), yref="y", yanchor="bottom",
                       text="✕ = beyond this (blowing up)", showarrow=False,
                       font={"size": style.font_size, "color": FLOOR_COLOUR})
    return fig


def seed_strip(frame: pd.DataFrame, *, title: str, highlight_seed: int | None = None,
               style: ChartStyle = ChartStyle()) -> go.Figure:
    """Rare-weight error of every seed, one box of points per optimizer (log scale)."""
    fig = go.Figure()
    for i, (name, group) in enumerate(frame.groupby("label", sort=False)):
        values = group["rare_error"].to_numpy(float)
        keep = np.isfinite(values) & (values > 0)
        fig.add_trace(go.Box(
            y=values[keep], x=[name] * int(keep.sum()), name=str(name), boxpoints="all", jitter=0.4,
            pointpos=0, customdata=group["seed"].to_numpy()[keep],
            hovertemplate="seed %{customdata}: %{y:.3f}<extra>" + str(name) + "</extra>",
            marker={"color": OKABE_ITO[i % len(OKABE_ITO)], "symbol": MARKERS[i % len(MARKERS)],
                    "size": 5 + style.line_width},
            line={"color": OKABE_ITO[i % len(OKABE_ITO)], "width": max(1.0, style.line_width / 2)},
            fillcolor="rgba(0,0,0,0)",
        ))
    if highlight_seed is not None:
        chosen = frame[frame["seed"] == highlight_seed]
        fig.add_trace(go.Scatter(
            x=chosen["label"], y=chosen["rare_error"], mode="markers", name=f"seed {highlight_seed}",
            marker={"symbol": "circle-open", "size": 16 + 2 * style.line_width, "color": FLOOR_COLOUR,
                    "line": {"width": 2}},
        ))
    fig = apply_layout(fig, style, title, "Optimizer (each tuned per seed)", "Rare-weight RMS error (log scale)")
    fig.update_yaxes(type="log")
    fig.update_layout(hovermode="closest", showlegend=highlight_seed is not None)
    return fig


def describe_errors(summary: pd.DataFrame, column: str) -> str:
    """Each optimizer's value for alt texts, smallest first: "Adam 0.022, Adagrad 0.039, …"."""
    ordered = summary.sort_values(column, kind="stable")
    return ", ".join(f"{row.label} {getattr(row, column):.3f}" for row in ordered.itertuples())



# Which weights changed at a step: (has a gradient, changed) -> category.
UPDATE_CATEGORIES = (
    ("zero gradient, unchanged", "#FFFFFF"),
    ("gradient, changed", OKABE_ITO[0]),
    ("zero gradient, still changed", OKABE_ITO[3]),
    ("gradient, unchanged", "#999999"),
)


def update_map_chart(update_map: pd.DataFrame, *, n_common: int, title: str,
                     style: ChartStyle = ChartStyle()) -> go.Figure:
    """One strip per optimizer: weights (rows) × steps (columns), coloured by what happened."""
    labels = list(dict.fromkeys(update_map["label"]))
    fig = make_subplots(rows=len(labels), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=labels)
    n = len(UPDATE_CATEGORIES)
    colourscale = []
    for i, (_, colour) in enumerate(UPDATE_CATEGORIES):
        colourscale += [[i / n, colour], [(i + 1) / n, colour]]
    for row, label in enumerate(labels, start=1):
        group = update_map[update_map["label"] == label]
        steps = np.sort(group["step"].unique())
        weights = np.sort(group["weight"].unique())
        grad = group.pivot(index="weight", columns="step", values="has_gradient").to_numpy(bool)
        moved = group.pivot(index="weight", columns="step", values="moved").to_numpy(bool)
        category = np.select([~grad & ~moved, grad & moved, ~grad & moved], [0, 1, 2], default=3)
        names = np.array([f"common weight {w + 1}" if w < n_common else f"rare weight {w - n_common + 1}"
                          for w in weights])
        text = np.array([name for name, _ in UPDATE_CATEGORIES])[category]
        fig.add_trace(go.Heatmap(
            x=steps, y=weights, z=category, zmin=-0.5, zmax=n - 0.5, colorscale=colourscale,
            showscale=False, xgap=1, ygap=1, text=text, customdata=np.repeat(names[:, None], len(steps), 1),
            hovertemplate="step %{x}, %{customdata}: %{text}<extra>" + label + "</extra>",
        ), row=row, col=1)
        n_rare = len(weights) - n_common
        fig.update_yaxes(row=row, col=1, autorange="reversed", showgrid=False, zeroline=False,
                         tickvals=[(n_common - 1) / 2, n_common + (n_rare - 1) / 2],
                         ticktext=["common", "rare"])
        fig.add_hline(y=n_common - 0.5, line={"color": "#000000", "width": 1}, row=row, col=1)
    for name, colour in UPDATE_CATEGORIES[:3]:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name,
                                 marker={"symbol": "square", "size": 12 + style.line_width, "color": colour,
                                         "line": {"color": "#000000", "width": 1}}))
    fig.update_layout(
        title={"text": title, "font": {"size": style.font_size + 4}}, font={"size": style.font_size},
        height=110 * len(labels) + 140 + (60 if style.font_size > 14 else 0),
        margin={"l": 10, "r": 10, "t": 90, "b": 10}, hovermode="closest",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.04, "x": 0},
    )
    fig.update_xaxes(title={"text": "Step"}, row=len(labels), col=1)
    for annotation in fig.layout.annotations:
        annotation.font = {"size": style.font_size}
    return fig
