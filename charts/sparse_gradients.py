"""Figures for question 3 (sparse gradients): weight errors per step, per
optimizer, per learning rate and per seed. Pure functions of engine results.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts import (
    DASHES,
    MARKERS,
    OKABE_ITO,
    ChartStyle,
    Layout,
    LineLabel,
    Scale,
    Trace,
    axis_for,
    axis_ticks,
    base_layout,
    figure,
    hline,
    hline_labels,
    loss_curve_parts,
    merge,
    scale_for,
)
from charts.axes import with_room

FLOOR_COLOUR = "#000000"
# Rare and common bars differ by colour and by fill pattern (greyscale, projector).
BAR_KINDS = (
    ("rare_error", "rare weights", OKABE_ITO[3], ""),
    ("common_error", "common weights", OKABE_ITO[0], "/"),
)


def _legend_below(layout: Layout, style: ChartStyle) -> Layout:
    """Long series names in a half-width chart: a legend of three rows, under the plot."""
    return merge(layout, {"height": style.height + 90})


def tuned_loss_curves(curves: pd.DataFrame, *, title: str, style: ChartStyle = ChartStyle()) -> go.Figure:
    traces, layout = loss_curve_parts(curves, title=title, style=style)
    return figure(traces, _legend_below(layout, style))


def error_curves(curves: pd.DataFrame, *, floor: float, title: str, y_title: str,
                 style: ChartStyle = ChartStyle()) -> go.Figure:
    """One error line per optimizer (a step/series/loss frame whose `loss` is the error)."""
    finite_floor = bool(np.isfinite(floor) and floor > 0)
    height = style.label_height()
    traces, layout = loss_curve_parts(curves, title=title, style=style, y_title=y_title, log_y=True,
                                      quantity="error", include=[floor] if finite_floor else [],
                                      room_below=1.3 * height if finite_floor else 0.0)
    if finite_floor:
        # The curves close in on the floor from above: its label goes under it.
        y_axis = layout["yaxis"]
        scale = Scale(y_axis["type"] == "log", *y_axis["range"])
        line = {"color": FLOOR_COLOUR, "width": max(1.0, style.line_width / 2), "dash": "dot"}
        layout["shapes"] = [hline(floor, line)]
        layout.setdefault("annotations", []).extend(hline_labels(
            [LineLabel(f"least-squares floor {floor:.3f}", floor)], scale, height=height, side="below",
            font=style.annotation_font(FLOOR_COLOUR)))
    return figure(traces, _legend_below(layout, style))


def error_bars(summary: pd.DataFrame, *, floors: dict[str, float], title: str,
               columns: Sequence[str] = ("rare_error", "common_error"),
               style: ChartStyle = ChartStyle()) -> go.Figure:
    """Final RMS weight error per optimizer, rare next to common, with each floor."""
    traces: list[Trace] = []
    for column, name, colour, pattern in BAR_KINDS:
        if column not in columns:
            continue
        values = summary[column].to_numpy(float)
        traces.append({
            "type": "bar", "x": summary["label"], "y": np.where(np.isfinite(values), values, np.nan),
            "name": name,
            "marker": {"color": colour, "pattern": {"shape": pattern}, "line": {"color": "#000000", "width": 1}},
            "text": [f"{v:.3f}" if np.isfinite(v) else "n/a" for v in values], "textposition": "outside",
            "textfont": {"size": style.font_size},
        })
    # A bar's length is its value: a linear axis from 0 (on a log one 0.022 looked far from 0.028).
    # Room over the tallest bar for its label; the floors are in the range too.
    floor_values = np.array([floors.get(c, np.nan) for c in columns])
    shown = np.concatenate([summary[c].to_numpy(float) for c in columns] + [floor_values])
    y_axis = axis_ticks(with_room(scale_for(shown, log=False, include_zero=True, pad=0),
                                  above=1.6 * style.label_height()), style.max_ticks)
    layout = base_layout(style, title, "Optimizer (each at its tuned learning rate)", "RMS error",
                         barmode="group", hovermode="closest", yaxis=y_axis,
                         xaxis=style.category_ticks(summary["label"]))
    # Floors as full-width lines named in the legend (labels on the plot would cover bars).
    shapes = []
    for (column, name, colour, _), dash in zip(BAR_KINDS, ("dot", "dash"), strict=True):
        value = floors.get(column, float("nan"))
        if column in columns and np.isfinite(value) and value > 0:
            line = {"color": colour, "width": max(1.5, style.line_width / 2), "dash": dash}
            shapes.append(hline(value, line))
            traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines", "line": line,
                           "name": f"least-squares floor, {name}: {value:.3f}"})
    if shapes:
        layout["shapes"] = shapes
    layout["height"] += style.legend_room(len(traces))  # long entries: one a row
    return figure(traces, layout)


def sweep_chart(sweep: pd.DataFrame, *, y: str, y_title: str, title: str, cap: float,
                style: ChartStyle = ChartStyle()) -> go.Figure:
    """A value against the learning rate, one line per optimizer; the tuned rate is starred.

    Values above `cap` (runs blowing up, up to 1e30) would squash the axis: they are
    drawn at the cap with an ✕ and their real value in the hover text.
    """
    traces: list[Trace] = []
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
        traces.append({
            "type": "scatter", "x": rates[keep], "y": shown[keep], "name": str(name), "mode": "lines+markers",
            "customdata": values[keep],
            "hovertemplate": "lr %{x:g}: %{customdata:.4g}<extra>" + str(name) + "</extra>",
            "line": {"color": colour, "dash": dash, "width": style.line_width},
            "marker": {"symbol": [("x" if a else MARKERS[i % len(MARKERS)]) for a in above[keep]],
                       "size": 6 + style.line_width, "color": colour},
        })
        tuned = keep & group["tuned"].to_numpy(bool)
        if tuned.any():
            traces.append({
                "type": "scatter", "x": rates[tuned], "y": shown[tuned], "mode": "markers", "showlegend": False,
                "name": f"{name}: picked",
                "hovertemplate": f"{name} picked: lr %{{x:g}}, %{{y:.4g}}<extra></extra>",
                "marker": {"symbol": "star", "size": 12 + 2 * style.line_width, "color": colour,
                           "line": {"color": "#000000", "width": 1}},
            })
    height = style.label_height()
    # Room over the cap line for its label, inside the plot (over it is the title).
    y_scale = with_room(scale_for([low, cap], log=True, pad=0.03), above=1.3 * height)
    _, x_axis = axis_for(sweep["learning_rate"].to_numpy(float), log=True, max_ticks=style.max_x_ticks)
    layout = base_layout(
        style, title, "Learning rate (log scale)", f"{y_title} (log scale)", hovermode="closest",
        xaxis=x_axis, yaxis=axis_ticks(y_scale, style.max_ticks),
        shapes=[hline(cap, {"color": FLOOR_COLOUR, "width": 1, "dash": "dot"})],
        annotations=hline_labels([LineLabel("✕ = beyond this (blowing up)", cap)], y_scale, height=height,
                                 end="left", font=style.annotation_font(FLOOR_COLOUR)),
    )
    return figure(traces, layout)


def seed_strip(frame: pd.DataFrame, *, title: str, highlight_seed: int | None = None,
               style: ChartStyle = ChartStyle()) -> go.Figure:
    """Rare-weight error of every seed, one box of points per optimizer (log scale)."""
    traces: list[Trace] = []
    for i, (name, group) in enumerate(frame.groupby("label", sort=False)):
        values = group["rare_error"].to_numpy(float)
        keep = np.isfinite(values) & (values > 0)
        traces.append({
            "type": "box", "y": values[keep], "x": [name] * int(keep.sum()), "name": str(name),
            "boxpoints": "all", "jitter": 0.4, "pointpos": 0, "customdata": group["seed"].to_numpy()[keep],
            "hovertemplate": "seed %{customdata}: %{y:.3f}<extra>" + str(name) + "</extra>",
            "marker": {"color": OKABE_ITO[i % len(OKABE_ITO)], "symbol": MARKERS[i % len(MARKERS)],
                       "size": 5 + style.line_width},
            "line": {"color": OKABE_ITO[i % len(OKABE_ITO)], "width": max(1.0, style.line_width / 2)},
            "fillcolor": "rgba(0,0,0,0)",
        })
    if highlight_seed is not None:
        chosen = frame[frame["seed"] == highlight_seed]
        traces.append({
            "type": "scatter", "x": chosen["label"], "y": chosen["rare_error"], "mode": "markers",
            "name": f"seed {highlight_seed}",
            "marker": {"symbol": "circle-open", "size": 16 + 2 * style.line_width, "color": FLOOR_COLOUR,
                       "line": {"width": 2}},
        })
    y_scale, y_axis = axis_for(frame["rare_error"].to_numpy(float), log=True, max_ticks=style.max_ticks)
    layout = base_layout(style, title, "Optimizer (each tuned per seed)",
                         "Rare-weight RMS error" + (" (log scale)" if y_scale.log else ""),
                         xaxis=style.category_ticks(frame["label"].unique()),
                         yaxis=y_axis, hovermode="closest", showlegend=highlight_seed is not None)
    if highlight_seed is not None:
        layout["height"] += style.legend_room((len(traces) + 1) // 2)  # two entries a row
    return figure(traces, layout)


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


@cache
def _strips_layout(labels: tuple[str, ...]) -> Layout:
    """The axes and subplot titles of one strip per optimizer (make_subplots is slow: made once)."""
    layout = make_subplots(rows=len(labels), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                           subplot_titles=labels).to_dict()["layout"]
    layout.pop("template", None)
    return layout


def _axis_name(axis: str, row: int) -> str:
    """Plotly's name of subplot `row`'s axis: xaxis, xaxis2, ... (yaxis likewise)."""
    return f"{axis}axis" if row == 1 else f"{axis}axis{row}"


def update_map_chart(update_map: pd.DataFrame, *, n_common: int, title: str,
                     style: ChartStyle = ChartStyle()) -> go.Figure:
    """One strip per optimizer: weights (rows) × steps (columns), coloured by what happened."""
    labels = tuple(dict.fromkeys(update_map["label"]))
    layout = deepcopy(_strips_layout(labels))  # the cached one stays as made
    n = len(UPDATE_CATEGORIES)
    colourscale = []
    for i, (_, colour) in enumerate(UPDATE_CATEGORIES):
        colourscale += [[i / n, colour], [(i + 1) / n, colour]]
    traces: list[Trace] = []
    shapes: list[dict[str, Any]] = []
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
        x_ref, y_ref = ("x", "y") if row == 1 else (f"x{row}", f"y{row}")
        traces.append({
            "type": "heatmap", "x": steps, "y": weights, "z": category, "zmin": -0.5, "zmax": n - 0.5,
            "colorscale": colourscale, "showscale": False, "xgap": 1, "ygap": 1, "text": text,
            "customdata": np.repeat(names[:, None], len(steps), 1),
            "hovertemplate": "step %{x}, %{customdata}: %{text}<extra>" + label + "</extra>",
            "xaxis": x_ref, "yaxis": y_ref,
        })
        n_rare = len(weights) - n_common
        merge(layout[_axis_name("y", row)], {
            "autorange": "reversed", "showgrid": False, "zeroline": False,
            "tickvals": [(n_common - 1) / 2, n_common + (n_rare - 1) / 2], "ticktext": ["common", "rare"],
        })
        shapes.append(hline(n_common - 0.5, {"color": "#000000", "width": 1},
                            xref=f"{x_ref} domain", yref=y_ref))
    for name, colour in UPDATE_CATEGORIES[:3]:
        traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": name,
                       "marker": {"symbol": "square", "size": 12 + style.line_width, "color": colour,
                                  "line": {"color": "#000000", "width": 1}}})
    # The first strip's title sits over the plot: room for it under the chart's title. The
    # legend goes under the strips: over them, its rows wrapped into the titles on a phone.
    legend_rows = 3 if style.title_chars and style.title_chars < 50 else 1
    merge(layout, {
        "template": style.template(), "title": style.title(title), "font": style.font(),
        "height": 110 * len(labels) + 140 + (60 if style.font_size > 14 else 0) + style.title_room(title)
        + legend_rows * int(style.font_size * 1.6),
        "margin": {"l": 10, "r": 10, "t": style.top_margin(title, label_row=True), "b": 10},
        "hovermode": "closest",
        "legend": {"orientation": "h", "x": 0, "yref": "container", "y": 0, "yanchor": "bottom"},
        "shapes": shapes,
    })
    steps = update_map["step"].to_numpy(float)
    x_ticks = axis_ticks(Scale(False, steps.min() - 0.5, steps.max() + 0.5), style.max_x_ticks, integer=True)
    for row in range(1, len(labels) + 1):
        merge(layout[_axis_name("x", row)], {**style.axis_text(), **x_ticks, "automargin": True})
        merge(layout[_axis_name("y", row)], {**style.axis_text(), "automargin": True})
    merge(layout[_axis_name("x", len(labels))], {"title": {"text": "Step"}})
    for annotation in layout["annotations"]:  # the subplot titles
        annotation["font"] = style.font()
    return figure(traces, layout)
