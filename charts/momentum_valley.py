"""Figures for question 4 (momentum): the valley's paths, the momentum
comparison and the bumpy 1-D landscape. Pure functions of engine results.

Each builds plain trace and layout dicts and wraps them once with
`charts.figure` (see `charts` for why not plotly's incremental API).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import DASHES, MARKERS, OKABE_ITO, ChartStyle, Trace, base_layout, figure, hline, vline

BASIN_COLOURS = {"shallow": OKABE_ITO[1], "deep": OKABE_ITO[2], "plateau": OKABE_ITO[3],
                 "diverged": OKABE_ITO[7]}
BASIN_SYMBOLS = {"shallow": "square", "deep": "circle", "plateau": "triangle-up", "diverged": "x"}

# The landscape's landmarks are faint dotted lines; the slider's line is loud.
LEVEL_LINE = {"color": "#999999", "dash": "dot", "width": 1}


def _slider_line(style: ChartStyle) -> dict[str, Any]:
    return {"color": OKABE_ITO[4], "dash": "dash", "width": style.line_width}


def _hline_label(y: float, text: str, end: Literal["left", "right"]) -> dict[str, Any]:
    """The label `add_hline(annotation_position="top <end>")` puts just above a line's end."""
    return {"text": text, "showarrow": False, "x": 0 if end == "left" else 1, "xref": "x domain",
            "xanchor": end, "y": y, "yref": "y", "yanchor": "bottom"}


def _vline_label(x: float, text: str, side: Literal["left", "right"]) -> dict[str, Any]:
    """The label `add_vline(annotation_position="top <side>")` puts at a line's top, on that side."""
    return {"text": text, "showarrow": False, "x": x, "xref": "x",
            "xanchor": "right" if side == "left" else "left", "y": 1, "yref": "y domain", "yanchor": "top"}


def _slider_label(momentum: float) -> dict[str, Any]:
    """The slider line's label, on the side with room (momentum axes run from 0 to 1)."""
    return _vline_label(momentum, f"slider: {momentum:g}", "left" if momentum > 0.5 else "right")


def _finite_rows(*columns: np.ndarray) -> np.ndarray:
    keep = np.ones(len(columns[0]), bool)
    for column in columns:
        keep &= np.isfinite(np.asarray(column, float))
    return keep


def valley_paths(
    curve: pd.DataFrame,
    *,
    loss: Callable[[np.ndarray, np.ndarray], np.ndarray],
    w1_range: tuple[float, float],
    w2_range: tuple[float, float],
    title: str,
    style: ChartStyle = ChartStyle(),
) -> go.Figure:
    """Contours of the valley with each series' path of (w1, w2), one point per step."""
    w1 = np.linspace(*w1_range, 161)
    w2 = np.linspace(*w2_range, 121)
    grid1, grid2 = np.meshgrid(w1, w2)
    # sqrt(loss) spaces a quadratic's ellipses evenly.
    z = np.sqrt(loss(grid1, grid2))
    traces: list[Trace] = [{
        "type": "contour", "x": w1, "y": w2, "z": z, "showscale": False, "ncontours": 18,
        "hoverinfo": "skip", "colorscale": [[0, "#f7f7f7"], [1, "#bdbdbd"]], "contours": {"coloring": "fill"},
        "line": {"color": "#969696", "width": 1}, "name": "loss",
    }]
    for i, (name, group) in enumerate(curve.groupby("series", sort=False)):
        keep = _finite_rows(group["w1"], group["w2"])
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        traces.append({
            "type": "scatter", "x": group["w1"].to_numpy()[keep], "y": group["w2"].to_numpy()[keep],
            "name": str(name), "mode": "lines+markers", "customdata": group["step"].to_numpy()[keep],
            "hovertemplate": "step %{customdata}: w1 %{x:.3f}, w2 %{y:.3f}<extra>" + str(name) + "</extra>",
            "line": {"color": colour, "dash": DASHES[i % len(DASHES)], "width": style.line_width},
            "marker": {"symbol": MARKERS[i % len(MARKERS)], "size": 3 + style.line_width, "color": colour},
        })
    start = curve.iloc[0]
    traces.append({
        "type": "scatter", "x": [start["w1"]], "y": [start["w2"]], "mode": "markers+text", "text": ["start"],
        "textposition": "top center", "showlegend": False, "hoverinfo": "skip",
        "marker": {"symbol": "circle-open", "size": 10 + 2 * style.line_width, "color": "#000000",
                   "line": {"width": 2}},
    })
    traces.append({
        "type": "scatter", "x": [0], "y": [0], "mode": "markers", "showlegend": False, "hoverinfo": "skip",
        "marker": {"symbol": "x", "size": 10 + 2 * style.line_width, "color": "#000000"},
    })
    # Every path ends at the minimum, so a label beside the marker sat under them: it
    # points from below, on a background of its own.
    minimum = {"x": 0, "y": 0, "xref": "x", "yref": "y", "text": "minimum", "showarrow": True,
               "arrowhead": 0, "ax": 0, "ay": 3 * style.font_size, "bgcolor": "rgba(255, 255, 255, 0.85)"}
    layout = base_layout(style, title, "w1 (along the valley floor)", "w2 (across the valley)",
                         hovermode="closest", xaxis={"range": list(w1_range)}, yaxis={"range": list(w2_range)},
                         annotations=[minimum])
    return figure(traces, layout)


def steps_to_converge_chart(
    sweep: pd.DataFrame,
    *,
    horizon: int,
    converged_fraction: float,
    current_momentum: float,
    title: str,
    style: ChartStyle = ChartStyle(),
) -> go.Figure:
    """Steps to converge against momentum; runs that did not converge sit on the horizon line."""
    done = sweep[sweep["converged"]]
    traces: list[Trace] = [{
        "type": "scatter", "x": done["momentum"], "y": done["steps_to_converge"], "name": "converged",
        "mode": "lines+markers", "line": {"color": OKABE_ITO[0], "width": style.line_width},
        "marker": {"symbol": "circle", "size": 8 + style.line_width},
        "hovertemplate": "momentum %{x:g}: %{y} steps<extra></extra>",
    }]
    for label, rows, symbol, colour in (
        (f"not within {horizon} steps", sweep[~sweep["converged"] & ~sweep["diverged"]], "triangle-up-open",
         OKABE_ITO[1]),
        ("diverged (non-finite loss)", sweep[sweep["diverged"]], "x", OKABE_ITO[3]),
    ):
        if len(rows):
            traces.append({
                "type": "scatter", "x": rows["momentum"], "y": np.full(len(rows), horizon), "name": label,
                "mode": "markers",
                "marker": {"symbol": symbol, "size": 10 + style.line_width, "color": colour,
                           "line": {"width": 2, "color": colour}},
                "hovertemplate": "momentum %{x:g}: " + label + "<extra></extra>",
            })
    layout = base_layout(
        style, title, "Momentum", f"Steps until the loss stays below {converged_fraction:g} of its start",
        hovermode="closest", showlegend=True,
        xaxis={"range": [-0.03, 1.02]}, yaxis={"rangemode": "tozero"},
        shapes=[hline(horizon, {"color": "#777777", "dash": "dot", "width": 1}),
                vline(current_momentum, _slider_line(style))],
        annotations=[_hline_label(horizon, f"horizon: {horizon} steps", "left"),
                     _slider_label(current_momentum)],
    )
    return figure(traces, layout)


def landscape_chart(
    landscape: pd.DataFrame,
    *,
    loss: Callable[[np.ndarray], np.ndarray],
    x_range: tuple[float, float],
    title: str,
    style: ChartStyle = ChartStyle(),
) -> go.Figure:
    """The 1-D loss with each series' visited positions (w, loss) drawn on it.

    Positions right of the range are summarised in a note at the right edge.
    """
    left, right = x_range
    w = np.linspace(left, right, 800)
    traces: list[Trace] = [{
        "type": "scatter", "x": w, "y": loss(w), "name": "loss f(w)", "mode": "lines", "hoverinfo": "skip",
        "line": {"color": "#555555", "width": style.line_width},
    }]
    for i, (name, group) in enumerate(landscape.groupby("series", sort=False)):
        keep = _finite_rows(group["w"], group["loss"])
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        traces.append({
            "type": "scatter", "x": group["w"].to_numpy()[keep], "y": group["loss"].to_numpy()[keep],
            "name": str(name), "mode": "markers", "customdata": group["step"].to_numpy()[keep],
            "hovertemplate": "step %{customdata}: w %{x:.3f}, loss %{y:.3f}<extra>" + str(name) + "</extra>",
            "marker": {"symbol": MARKERS[i % len(MARKERS)], "size": 4 + style.line_width, "color": colour,
                       "opacity": 0.6},
        })
    annotations = []
    positions = landscape["w"].to_numpy(float)
    positions = positions[np.isfinite(positions)]
    if positions.size and positions.max() > right:
        annotations.append({"x": right, "y": 0, "xanchor": "right", "yanchor": "bottom", "showarrow": False,
                            "text": f"→ off the chart: w reaches {positions.max():.1f}",
                            "font": {"size": style.font_size}})
    layout = base_layout(style, title, "w", "Loss", hovermode="closest", xaxis={"range": [left, right]})
    if annotations:
        layout["annotations"] = annotations
    return figure(traces, layout)


def position_chart(
    landscape: pd.DataFrame,
    *,
    levels: Sequence[tuple[str, float]],
    title: str,
    style: ChartStyle = ChartStyle(),
) -> go.Figure:
    """w against step per series, with the landscape's landmarks as horizontal lines."""
    traces: list[Trace] = []
    for i, (name, group) in enumerate(landscape.groupby("series", sort=False)):
        keep = _finite_rows(group["w"])
        traces.append({
            "type": "scatter", "x": group["step"].to_numpy()[keep], "y": group["w"].to_numpy()[keep],
            "name": str(name), "mode": "lines",
            "line": {"color": OKABE_ITO[i % len(OKABE_ITO)], "dash": DASHES[i % len(DASHES)],
                     "width": style.line_width},
        })
    layout = base_layout(style, title, "Step", "w")
    if levels:
        layout["shapes"] = [hline(level, LEVEL_LINE) for _, level in levels]
        layout["annotations"] = [_hline_label(level, label, "right") for label, level in levels]
    return figure(traces, layout)


def basin_map_chart(
    frame: pd.DataFrame,
    *,
    current_momentum: float,
    levels: Sequence[tuple[str, float]],
    title: str,
    style: ChartStyle = ChartStyle(),
) -> go.Figure:
    """Final loss against momentum, coloured by the basin the weight ends in."""
    traces: list[Trace] = []
    for basin, rows in frame.groupby("basin", sort=False):
        keep = _finite_rows(rows["final_loss"])
        traces.append({
            "type": "scatter", "x": rows["momentum"].to_numpy()[keep], "y": rows["final_loss"].to_numpy()[keep],
            "name": str(basin), "customdata": rows["final_w"].to_numpy()[keep], "mode": "markers",
            "hovertemplate": "momentum %{x:.2f}: loss %{y:.3f} at w %{customdata:.3f}<extra>" + str(basin)
            + "</extra>",
            "marker": {"symbol": BASIN_SYMBOLS.get(str(basin), "circle"), "size": 7 + style.line_width,
                       "color": BASIN_COLOURS.get(str(basin), OKABE_ITO[7])},
        })
    layout = base_layout(
        style, title, "Momentum", "Final loss", hovermode="closest",
        shapes=[*(hline(level, LEVEL_LINE) for _, level in levels), vline(current_momentum, _slider_line(style))],
        annotations=[*(_hline_label(level, label, "left") for label, level in levels),
                     _slider_label(current_momentum)],
    )
    return figure(traces, layout)
