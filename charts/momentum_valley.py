"""Figures for question 4 (momentum): the valley's paths, the momentum
comparison and the bumpy 1-D landscape. Pure functions of engine results.

Each builds plain trace and layout dicts and wraps them once with
`charts.figure` (see `charts` for why not plotly's incremental API).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import (
    DASHES,
    LABEL_BACKGROUND,
    MARKERS,
    OKABE_ITO,
    ChartStyle,
    LineLabel,
    Scale,
    Trace,
    axis_for,
    axis_ticks,
    base_layout,
    figure,
    hline,
    hline_labels,
    row_label,
    scale_for,
    vline,
    wrap,
)
from charts.axes import with_room

BASIN_COLOURS = {"shallow": OKABE_ITO[1], "deep": OKABE_ITO[2], "plateau": OKABE_ITO[3],
                 "diverged": OKABE_ITO[7]}
BASIN_SYMBOLS = {"shallow": "square", "deep": "circle", "plateau": "triangle-up", "diverged": "x"}

# The landscape's landmarks are faint dotted lines; the slider's line is loud.
LEVEL_LINE = {"color": "#999999", "dash": "dot", "width": 1}


def _slider_line(style: ChartStyle) -> dict[str, Any]:
    return {"color": OKABE_ITO[4], "dash": "dash", "width": style.line_width}


def _slider_label(momentum: float, x_scale: Scale, style: ChartStyle) -> dict[str, Any]:
    """The slider line's label, over the plot (`label_row`), where no reference label can be."""
    return row_label(f"slider: {momentum:g}", momentum, x_scale.fraction(momentum), style, colour=OKABE_ITO[4])


# Momentum axes: the slider's 0 to 0.99 with room for the markers at both ends.
MOMENTUM_SCALE = Scale(False, -0.03, 1.02)


def _finite_rows(*columns: np.ndarray) -> np.ndarray:
    keep = np.ones(len(columns[0]), bool)
    for column in columns:
        keep &= np.isfinite(np.asarray(column, float))
    return keep


# A step that lies within a marker's radius of the last point drawn, on both axes of a plot
# this many pixels wide and high, is left out: its marker would sit mostly under that one (the
# page's plot is ~700 px wide, a phone's ~300). Each marker is an SVG element the browser builds
# anew at every slider move, ~0.2 ms each (without markers a q4 press took ~60 ms less, one
# probe). At the page's defaults this draws 182 of 402 points; within a pixel it drew 266.
PLOT_PIXELS = 1000


def path_marker_size(style: ChartStyle) -> float:
    return 3 + style.line_width


def hidden_share(style: ChartStyle) -> float:
    """How close to the last point drawn, as a share of an axis's span, a step is left out."""
    return path_marker_size(style) / 2 / PLOT_PIXELS


def _distinct_points(w1: np.ndarray, w2: np.ndarray, w1_range: tuple[float, float],
                     w2_range: tuple[float, float], share: float) -> np.ndarray:
    """Which points of a path to draw: the first, the last, and each one `share` of a span from the last drawn."""
    tolerance1 = share * (w1_range[1] - w1_range[0])
    tolerance2 = share * (w2_range[1] - w2_range[0])
    drawn = np.zeros(len(w1), bool)
    last = None
    for i, (a, b) in enumerate(zip(w1, w2, strict=True)):
        if last is None or abs(a - w1[last]) > tolerance1 or abs(b - w2[last]) > tolerance2:
            drawn[i], last = True, i
    if len(drawn):
        drawn[-1] = True
    return drawn


def valley_paths(
    curve: pd.DataFrame,
    *,
    loss: Callable[[np.ndarray, np.ndarray], np.ndarray],
    w1_range: tuple[float, float],
    w2_range: tuple[float, float],
    title: str,
    style: ChartStyle = ChartStyle(),
) -> go.Figure:
    """The valley shaded by its loss, with each series' path of (w1, w2), one point per step
    (a step that would hide its marker under the last one drawn is left out: `hidden_share`)."""
    # A shaded image, not contour lines: a filled contour of 161 x 121 points was ~400 kB of SVG
    # paths that the browser redrew at every slider move. A heatmap is one image; "fast" makes
    # it 81 x 61 pixels that the browser scales ("best" made a ~150 kB image of the plot's size).
    w1 = np.linspace(*w1_range, 81)
    w2 = np.linspace(*w2_range, 61)
    grid1, grid2 = np.meshgrid(w1, w2)
    # sqrt(loss) spaces a quadratic's ellipses evenly.
    z = np.sqrt(loss(grid1, grid2))
    traces: list[Trace] = [{
        "type": "heatmap", "x": w1, "y": w2, "z": z, "showscale": False, "zsmooth": "fast",
        "hoverinfo": "skip", "colorscale": [[0, "#ffffff"], [1, "#9a9a9a"]], "name": "loss",
    }, {
        # A few level lines over it, on a coarser grid: the ellipses' shape at a glance.
        "type": "contour", "x": w1[::2], "y": w2[::2], "z": z[::2, ::2], "showscale": False, "ncontours": 8,
        "hoverinfo": "skip", "contours": {"coloring": "none"}, "line": {"color": "#7a7a7a", "width": 1},
        "name": "loss levels", "showlegend": False,
    }]
    for i, (name, group) in enumerate(curve.groupby("series", sort=False)):
        keep = _finite_rows(group["w1"], group["w2"])
        keep[keep] = _distinct_points(group["w1"].to_numpy()[keep], group["w2"].to_numpy()[keep],
                                      w1_range, w2_range, hidden_share(style))
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        traces.append({
            "type": "scatter", "x": group["w1"].to_numpy()[keep], "y": group["w2"].to_numpy()[keep],
            "name": str(name), "mode": "lines+markers", "customdata": group["step"].to_numpy()[keep],
            "hovertemplate": "step %{customdata}: w1 %{x:.3f}, w2 %{y:.3f}<extra>" + str(name) + "</extra>",
            "line": {"color": colour, "dash": DASHES[i % len(DASHES)], "width": style.line_width},
            "marker": {"symbol": MARKERS[i % len(MARKERS)], "size": path_marker_size(style), "color": colour},
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
                         hovermode="closest",
                         xaxis=axis_ticks(Scale(False, *w1_range), style.max_x_ticks),
                         yaxis=axis_ticks(Scale(False, *w2_range), style.max_ticks),
                         annotations=[minimum, *_overflow_note(curve, style)])
    return figure(traces, layout)


def _overflow_note(curve: pd.DataFrame, style: ChartStyle) -> list[dict[str, Any]]:
    """Where paths overflow they fly off the chart and stop: a note in its lower right corner says when."""
    stops = {}
    for name, group in curve.groupby("series", sort=False):
        # The loss overflows first (float32), a step before the weights.
        columns = [group[c] for c in ("w1", "w2", "loss") if c in group]
        bad = np.flatnonzero(~_finite_rows(*columns))
        if bad.size:
            stops[str(name)] = int(group["step"].to_numpy()[bad[0]])
    if not stops:
        return []
    if len(set(stops.values())) == 1:
        step = next(iter(stops.values()))
        text = (f"overflow at step {step}: the path leaves the chart" if len(stops) == 1
                else f"overflow at step {step} ({'both' if len(stops) == 2 else 'all'}): the paths leave the chart")
    else:
        text = "; ".join(f"{name}: overflow at step {step}" for name, step in stops.items())
    return [{"text": wrap(text, 30), "showarrow": False, "x": 1, "xref": "x domain", "xanchor": "right",
             "y": 0, "yref": "y domain", "yanchor": "bottom", "align": "right", "bgcolor": LABEL_BACKGROUND,
             "font": style.annotation_font()}]


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
    # Room over the horizon line for its label (the unconverged runs sit on the line).
    y_scale, y_axis = axis_for([0, horizon * (1 + 1.3 * style.label_height())], log=False, pad=0,
                               max_ticks=style.max_ticks, include_zero=True, integer=True)
    layout = base_layout(
        style, title, "Momentum", f"Steps until the loss stays below {converged_fraction:g} of its start",
        hovermode="closest", showlegend=True, label_row=True,
        xaxis=axis_ticks(MOMENTUM_SCALE, style.max_x_ticks), yaxis=y_axis,
        shapes=[hline(horizon, {"color": "#777777", "dash": "dot", "width": 1}),
                vline(current_momentum, _slider_line(style))],
        # At the end away from the slider's line (which would cross it), clear of the markers on the line.
        annotations=[*hline_labels([LineLabel(f"horizon: {horizon} steps", horizon)], y_scale,
                                   end="right" if current_momentum < 0.5 else "left",
                                   height=style.label_height(), font=style.annotation_font(),
                                   clearance_px=round((10 + style.line_width) / 2)),
                     _slider_label(current_momentum, MOMENTUM_SCALE, style)],
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
        # Top right: the loss curve is low there (the plateau), so nothing is under it.
        annotations.append({"x": right, "xref": "x", "y": 1, "yref": "y domain", "xanchor": "right",
                            "yanchor": "top", "showarrow": False,
                            "text": f"→ off the chart: w reaches {positions.max():.1f}",
                            "bgcolor": LABEL_BACKGROUND, "font": style.annotation_font()})
    inside = landscape[(landscape["w"] >= left) & (landscape["w"] <= right)]
    _, y_axis = axis_for(traces[0]["y"], inside["loss"].to_numpy(float), log=False, max_ticks=style.max_ticks)
    layout = base_layout(style, title, "w", "Loss", hovermode="closest",
                         xaxis=axis_ticks(Scale(False, left, right), style.max_x_ticks), yaxis=y_axis)
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
    # Room over the highest line for its label.
    y_scale = with_room(scale_for(landscape["w"].to_numpy(float), [level for _, level in levels], log=False),
                        above=style.label_height() if levels else 0.0)
    y_axis = axis_ticks(y_scale, style.max_ticks)
    _, x_axis = axis_for(landscape["step"].to_numpy(float), log=False, pad=0.02, integer=True,
                         max_ticks=style.max_x_ticks)
    layout = base_layout(style, title, "Step", "w", xaxis=x_axis, yaxis=y_axis)
    if levels:
        # A weight that flies to w = 80 puts the four landmarks within a few % of the axis:
        # their labels are spread apart, each with a leader to its line.
        layout["shapes"] = [hline(level, LEVEL_LINE) for _, level in levels]
        layout["annotations"] = hline_labels([LineLabel(label, level) for label, level in levels], y_scale,
                                             end="right", height=style.label_height(),
                                             font=style.annotation_font())
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
    # Room over the highest line (the plateau, at 0) for its label.
    y_scale = with_room(scale_for(frame["final_loss"].to_numpy(float), [level for _, level in levels],
                                  log=False, pad=0.05), above=1.2 * style.label_height())
    y_axis = axis_ticks(y_scale, style.max_ticks)
    layout = base_layout(
        style, title, "Momentum", "Final loss", hovermode="closest", label_row=True,
        xaxis=axis_ticks(MOMENTUM_SCALE, style.max_x_ticks), yaxis=y_axis,
        shapes=[*(hline(level, LEVEL_LINE) for _, level in levels), vline(current_momentum, _slider_line(style))],
        # Clear of the markers drawn on the lines (every run ends on one).
        annotations=[*hline_labels([LineLabel(label, level) for label, level in levels], y_scale, end="left",
                                   height=style.label_height(), font=style.annotation_font(),
                                   clearance_px=round((7 + style.line_width) / 2)),
                     _slider_label(current_momentum, MOMENTUM_SCALE, style)],
    )
    return figure(traces, layout)
