"""Figures for question 4 (momentum): the valley's paths, the momentum
comparison and the bumpy 1-D landscape. Pure functions of engine results.

Each builds plain trace and layout dicts and wraps them once with
`charts.figure` (see `charts` for why not plotly's incremental API).
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Callable, Sequence
from functools import lru_cache
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
    series_rows,
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


# A marker every `marker_interval(steps)` steps, up to this many a path, on a line through every
# step: the markers' spacing shows how far each stretch of k steps went. Each marker is an SVG
# element the browser builds anew at every slider move: a marker at every step that stood clear
# of the last one (182 at the defaults, 402 steps) cost ~50 ms a move (q4 with and without
# them, 15 key presses each: 266 and 218 ms, the floor app 136 ms).
MARKERS_PER_PATH = 20


def marker_interval(steps: int) -> int:
    """Steps between two markers of a path: 1, 2 or 5 times a power of ten, for at most MARKERS_PER_PATH."""
    scale = 1
    while True:
        for mantissa in (1, 2, 5):
            if steps <= MARKERS_PER_PATH * mantissa * scale:
                return mantissa * scale
        scale *= 10


def path_marker_size(style: ChartStyle) -> float:
    return 3 + style.line_width


# The valley's map under the paths: its shading is one small PNG that the browser stretches
# (smoothly) over the plot, its level lines one trace of ellipses. Traced by plotly instead (a
# heatmap and 8 contour lines), the same map was ~75 kB of every slider move's message and
# ~70 ms of the browser's redraw (q4 with and without it, 15 key presses each: 252 and 178 ms,
# the floor app ~100 ms); a 512 x 256 PNG with the lines drawn in, 32 kB, still cost ~35 ms.
SHADING_PIXELS = (64, 32)  # w1 x w2
LEVELS = 8
SHADE_LOW, SHADE_HIGH = 255, 0x9a  # white at the minimum, #9a9a9a where the plot's loss is highest
LEVEL_LINE_COLOUR = "#7a7a7a"
ELLIPSE_POINTS = 73  # every 5 degrees


@lru_cache(maxsize=32)
def valley_map(
    curvatures: tuple[float, float], w1_range: tuple[float, float], w2_range: tuple[float, float],
) -> tuple[str, np.ndarray, np.ndarray]:
    """The loss ½·(a·w1² + b·w2²) of curvatures (a, b) over the plot: its shading (a PNG data URI,
    white to grey by sqrt(loss)) and `LEVELS` level lines (x, y of ellipses, NaN between them: a
    gap in plotly's line). Arrays, read-only (they are cached), not lists: plotly copies a figure's
    traces when it is made, and the 600 points as Python floats were ~1.2 ms of q4's slider move.

    sqrt(loss) spaces a quadratic's ellipses evenly: the levels are evenly spaced in it, up to
    the highest loss in the plot's corners (as the shading), so a steeper valley shows more
    ellipses within the same plot.
    """
    a, b = curvatures

    def root_loss(w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
        return np.sqrt(0.5 * (a * np.square(w1) + b * np.square(w2)))

    width, height = SHADING_PIXELS
    # Pixel centres; the image's first row is the top of the plot (the largest w2).
    w1 = w1_range[0] + (np.arange(width) + 0.5) * (w1_range[1] - w1_range[0]) / width
    w2 = w2_range[1] - (np.arange(height) + 0.5) * (w2_range[1] - w2_range[0]) / height
    top = float(root_loss(np.array(max(map(abs, w1_range))), np.array(max(map(abs, w2_range)))))
    grey = SHADE_LOW - (SHADE_LOW - SHADE_HIGH) * root_loss(*np.meshgrid(w1, w2)) / top
    angle = np.append(np.linspace(0.0, 2.0 * np.pi, ELLIPSE_POINTS), np.nan)  # NaN: the gap to the next
    loss = (np.arange(1, LEVELS + 1)[:, None] * top / (LEVELS + 1)) ** 2  # sqrt(loss) = level * spacing
    # float32: the same line on the screen, half the bytes of float64 in the chart's message.
    xs = (np.sqrt(2 * loss / a) * np.cos(angle)).astype(np.float32).ravel()
    ys = (np.sqrt(2 * loss / b) * np.sin(angle)).astype(np.float32).ravel()
    xs.flags.writeable = ys.flags.writeable = False
    return png_data_uri(np.round(grey).astype(np.uint8)), xs, ys


def png_data_uri(grey: np.ndarray) -> str:
    """An 8-bit greyscale image (rows top to bottom) as a `data:image/png;base64,` URI."""
    height, width = grey.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # PNG's "Sub" filter on every row (each byte minus the one on its left): a smooth shade then
    # compresses to a third less than unfiltered.
    grey = grey.astype(np.uint8)
    left = np.hstack([np.zeros((height, 1), np.uint8), grey[:, :-1]])
    rows = np.hstack([np.ones((height, 1), np.uint8), grey - left])  # uint8: modulo 256, as PNG wants
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def valley_paths(
    curve: pd.DataFrame,
    *,
    curvatures: tuple[float, float],
    w1_range: tuple[float, float],
    w2_range: tuple[float, float],
    title: str,
    style: ChartStyle = ChartStyle(),
) -> go.Figure:
    """Each series' path of (w1, w2) through every step, with a marker every `marker_interval` steps,
    over the valley's map (`valley_map`)."""
    shading, level_x, level_y = valley_map(tuple(map(float, curvatures)), w1_range, w2_range)
    images = [{
        "source": shading, "xref": "x", "yref": "y", "x": w1_range[0], "y": w2_range[1],
        "sizex": w1_range[1] - w1_range[0], "sizey": w2_range[1] - w2_range[0],
        "sizing": "stretch", "layer": "below",
    }]
    traces: list[Trace] = [{
        "type": "scatter", "x": level_x, "y": level_y, "mode": "lines", "name": "loss levels",
        "showlegend": False, "hoverinfo": "skip", "line": {"color": LEVEL_LINE_COLOUR, "width": 1},
    }]
    every = marker_interval(int(curve["step"].max()))
    for i, (label, rows) in enumerate(series_rows(curve)):
        w1, w2, step = (curve[column].to_numpy()[rows] for column in ("w1", "w2", "step"))
        finite = _finite_rows(w1, w2)
        w1, w2, step = w1[finite], w2[finite], step[finite]
        marked = step % every == 0
        colour, symbol = OKABE_ITO[i % len(OKABE_ITO)], MARKERS[i % len(MARKERS)]
        # Solid lines: the paths differ by colour and marker symbol already, and a dashed path
        # makes plotly measure the whole path to lay out its dashes.
        line = {"color": colour, "width": style.line_width}
        marker = {"symbol": symbol, "size": path_marker_size(style), "color": colour}
        traces += [{
            "type": "scatter", "x": w1, "y": w2, "name": label,
            "legendgroup": label, "showlegend": False, "mode": "lines", "line": line, "customdata": step,
            "hovertemplate": "step %{customdata}: w1 %{x:.3f}, w2 %{y:.3f}<extra>" + label + "</extra>",
        }, {
            "type": "scatter", "x": w1[marked], "y": w2[marked], "name": label,
            "legendgroup": label, "showlegend": False, "mode": "markers", "marker": marker, "hoverinfo": "skip",
        }, {
            # The legend's entry, line and marker together; it draws nothing on the plot.
            "type": "scatter", "x": [None], "y": [None], "name": label, "legendgroup": label,
            "mode": "lines+markers", "line": line, "marker": marker, "hoverinfo": "skip",
        }]
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
                         annotations=[minimum, *_overflow_note(curve, style)], images=images)
    return figure(traces, layout)


def _overflow_note(curve: pd.DataFrame, style: ChartStyle) -> list[dict[str, Any]]:
    """Where paths overflow they fly off the chart and stop: a note in its lower right corner says when."""
    stops = {}
    for name, rows in series_rows(curve):
        # The loss overflows first (float32), a step before the weights.
        columns = [curve[c].to_numpy()[rows] for c in ("w1", "w2", "loss") if c in curve]
        bad = np.flatnonzero(~_finite_rows(*columns))
        if bad.size:
            stops[name] = int(curve["step"].to_numpy()[rows][bad[0]])
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
