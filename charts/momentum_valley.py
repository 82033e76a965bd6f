"""Figures for question 4 (momentum): the valley's paths, the momentum
comparison and the bumpy 1-D landscape. Pure functions of engine results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts import DASHES, MARKERS, OKABE_ITO, ChartStyle, apply_layout

BASIN_COLOURS = {"shallow": OKABE_ITO[1], "deep": OKABE_ITO[2], "plateau": OKABE_ITO[3],
                 "diverged": OKABE_ITO[7]}
BASIN_SYMBOLS = {"shallow": "square", "deep": "circle", "plateau": "triangle-up", "diverged": "x"}


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
    fig = go.Figure(go.Contour(
        x=w1, y=w2, z=z, showscale=False, ncontours=18, hoverinfo="skip",
        colorscale=[[0, "#f7f7f7"], [1, "#bdbdbd"]], contours={"coloring": "fill"},
        line={"color": "#969696", "width": 1}, name="loss",
    ))
    for i, (name, group) in enumerate(curve.groupby("series", sort=False)):
        keep = _finite_rows(group["w1"], group["w2"])
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        fig.add_trace(go.Scatter(
            x=group["w1"].to_numpy()[keep], y=group["w2"].to_numpy()[keep], name=str(name),
            mode="lines+markers", customdata=group["step"].to_numpy()[keep],
            hovertemplate="step %{customdata}: w1 %{x:.3f}, w2 %{y:.3f}<extra>" + str(name) + "</extra>",
            line={"color": colour, "dash": DASHES[i % len(DASHES)], "width": style.line_width},
            marker={"symbol": MARKERS[i % len(MARKERS)], "size": 3 + style.line_width, "color": colour},
        ))
    start = curve.iloc[0]
    fig.add_trace(go.Scatter(
        x=[start["w1"]], y=[start["w2"]], mode="markers+text", text=["start"],
        textposition="top center", showlegend=False, hoverinfo="skip",
        marker={"symbol": "circle-open", "size": 10 + 2 * style.line_width, "color": "#000000",
                "line": {"width": 2}},
    ))
    fig.add_trace(go.Scatter(
        x=[0], y=[0], mode="markers+text", text=["minimum"], textposition="bottom center",
        showlegend=False, hoverinfo="skip",
        marker={"symbol": "x", "size": 10 + 2 * style.line_width, "color": "#000000"},
    ))
    fig = apply_layout(fig, style, title, "w1 (along the valley floor)", "w2 (across the valley)")
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(range=list(w1_range))
    fig.update_yaxes(range=list(w2_range))
    return fig


def steps_to_converge_chart(
    sweep: pd.DataFrame,
    *,
    horizon: int,
    current_momentum: float,
    title: str,
    style: ChartStyle = ChartStyle(),
) -> go.Figure:
    """Steps to converge against momentum; runs that did not converge sit on the horizon line."""
    fig = go.Figure()
    done = sweep[sweep["converged"]]
    fig.add_trace(go.Scatter(
        x=done["momentum"], y=done["steps_to_converge"], name="converged", mode="lines+markers",
        line={"color": OKABE_ITO[0], "width": style.line_width},
        marker={"symbol": "circle", "size": 8 + style.line_width},
        hovertemplate="momentum %{x:g}: %{y} steps<extra></extra>",
    ))
    for label, rows, symbol, colour in (
        (f"not within {horizon} steps", sweep[~sweep["converged"] & ~sweep["diverged"]], "triangle-up-open",
         OKABE_ITO[1]),
        ("diverged (non-finite loss)", sweep[sweep["diverged"]], "x", OKABE_ITO[3]),
    ):
        if len(rows):
            fig.add_trace(go.Scatter(
                x=rows["momentum"], y=np.full(len(rows), horizon), name=label, mode="markers",
                marker={"symbol": symbol, "size": 10 + style.line_width, "color": colour,
                        "line": {"width": 2, "color": colour}},
                hovertemplate="momentum %{x:g}: " + label + "<extra></extra>",
            ))
    fig.add_hline(y=horizon, line={"color": "#777777", "dash": "dot", "width": 1},
                  annotation_text=f"horizon: {horizon} steps", annotation_position="top left")
    fig.add_vline(x=current_momentum, line={"color": OKABE_ITO[4], "dash": "dash", "width": style.line_width},
                  annotation_text=f"slider: {current_momentum:g}", annotation_position="top right")
    fig = apply_layout(fig, style, title, "Momentum", "Steps until the loss stays below 1/1000 of its start")
    fig.update_layout(hovermode="closest", showlegend=True)
    fig.update_xaxes(range=[-0.03, 1.02])
    fig.update_yaxes(rangemode="tozero")
    return fig


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
    fig = go.Figure(go.Scatter(
        x=w, y=loss(w), name="loss f(w)", mode="lines", hoverinfo="skip",
        line={"color": "#555555", "width": style.line_width},
    ))
    for i, (name, group) in enumerate(landscape.groupby("series", sort=False)):
        keep = _finite_rows(group["w"], group["loss"])
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        fig.add_trace(go.Scatter(
            x=group["w"].to_numpy()[keep], y=group["loss"].to_numpy()[keep], name=str(name),
            mode="markers", customdata=group["step"].to_numpy()[keep],
            hovertemplate="step %{customdata}: w %{x:.3f}, loss %{y:.3f}<extra>" + str(name) + "</extra>",
            marker={"symbol": MARKERS[i % len(MARKERS)], "size": 4 + style.line_width, "color": colour,
                    "opacity": 0.6},
        ))
    positions = landscape["w"].to_numpy(float)
    positions = positions[np.isfinite(positions)]
    if positions.size and positions.max() > right:
        fig.add_annotation(x=right, y=0, xanchor="right", yanchor="bottom", showarrow=False,
                           text=f"→ off the chart: w reaches {positions.max():.1f}",
                           font={"size": style.font_size})
    fig = apply_layout(fig, style, title, "w", "Loss")
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(range=[left, right])
    return fig


def position_chart(
    landscape: pd.DataFrame,
    *,
    levels: Sequence[tuple[str, float]],
    title: str,
    style: ChartStyle = ChartStyle(),
) -> go.Figure:
    """w against step per series, with the landscape's landmarks as horizontal lines."""
    fig = go.Figure()
    for i, (name, group) in enumerate(landscape.groupby("series", sort=False)):
        keep = _finite_rows(group["w"])
        fig.add_trace(go.Scatter(
            x=group["step"].to_numpy()[keep], y=group["w"].to_numpy()[keep], name=str(name), mode="lines",
            line={"color": OKABE_ITO[i % len(OKABE_ITO)], "dash": DASHES[i % len(DASHES)],
                  "width": style.line_width},
        ))
    for label, level in levels:
        fig.add_hline(y=level, line={"color": "#999999", "dash": "dot", "width": 1},
                      annotation_text=label, annotation_position="top right")
    return apply_layout(fig, style, title, "Step", "w")


def basin_map_chart(
    frame: pd.DataFrame,
    *,
    current_momentum: float,
    levels: Sequence[tuple[str, float]],
    title: str,
    style: ChartStyle = ChartStyle(),
) -> go.Figure:
    """Final loss against momentum, coloured by the basin the weight ends in."""
    fig = go.Figure()
    for basin, rows in frame.groupby("basin", sort=False):
        keep = _finite_rows(rows["final_loss"])
        fig.add_trace(go.Scatter(
            x=rows["momentum"].to_numpy()[keep], y=rows["final_loss"].to_numpy()[keep], name=str(basin),
            customdata=rows["final_w"].to_numpy()[keep], mode="markers",
            hovertemplate="momentum %{x:.2f}: loss %{y:.3f} at w %{customdata:.3f}<extra>" + str(basin)
            + "</extra>",
            marker={"symbol": BASIN_SYMBOLS.get(str(basin), "circle"), "size": 7 + style.line_width,
                    "color": BASIN_COLOURS.get(str(basin), OKABE_ITO[7])},
        ))
    for label, level in levels:
        fig.add_hline(y=level, line={"color": "#999999", "dash": "dot", "width": 1},
                      annotation_text=label, annotation_position="top left")
    fig.add_vline(x=current_momentum, line={"color": OKABE_ITO[4], "dash": "dash", "width": style.line_width},
                  annotation_text=f"slider: {current_momentum:g}", annotation_position="top left")
    fig = apply_layout(fig, style, title, "Momentum", "Final loss")
    fig.update_layout(hovermode="closest")
    return fig
