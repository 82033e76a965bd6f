"""Plotly figures as pure functions of engine results (no streamlit here).

Colours are Okabe–Ito (safe for the common colour-vision deficiencies) and
every series also differs by dash, so a chart reads in greyscale and on a
washed-out projector.

Figures are written as plain dicts (traces, layout) and wrapped once by
`figure()`. Building them through plotly's incremental API (`add_trace`,
`update_layout`, `add_hline`, ...) re-validates the whole tree at each call:
10-15 ms a figure here, against ~2 ms for one validated `go.Figure(data,
layout)` and less unvalidated; a page redraws up to eight figures on every
slider move. The tests validate every chart the pages draw.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

# No plotly template: st.plotly_chart's Streamlit theme styles the charts in
# the browser (screenshots with plotly_white and with none differ by one row
# of pixels of a zero line). A template is ~6.5 kB in every chart's JSON that
# the server deep-copies, scans and sends on every slider move (measured:
# 1.5 -> 0.8 ms a chart in st.plotly_chart), and naming one in a layout
# re-validates it (~19 ms a figure).
pio.templates.default = "none"

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
MARKERS = ("circle", "square", "diamond", "triangle-up", "x", "star")


@dataclass(frozen=True)
class ChartStyle:
    """Sizes and text colour that change in projector mode.

    `text_colour` None keeps the Streamlit theme's grey (#808495). On a
    projector that grey on white is 3.6:1 and washes out, so there axis
    ticks and titles are near-black, and tick labels and legends grow from
    the theme's 18 px (at font size 24) to `tick_font_size`.
    """

    font_size: int = 14
    line_width: float = 2.5
    height: int = 380
    text_colour: str | None = None
    tick_font_size: int | None = None
    # Plotly never wraps a title: at projector sizes a long one runs off the
    # chart. Characters per line before a break (None: one line).
    title_chars: int | None = None
    axis_title_chars: int | None = None

    @classmethod
    def projector(cls) -> ChartStyle:
        # Line lengths measured on a 1024-px-wide projector page (a chart 784 px wide, ~300 px high).
        return cls(font_size=24, line_width=5.0, height=520, text_colour="#111111", tick_font_size=22,
                   title_chars=54, axis_title_chars=26)

    def title(self, text: str) -> dict[str, Any]:
        """A chart title, wrapped to `title_chars` (add `title_room` to the top margin)."""
        return {"text": wrap(text, self.title_chars), "font": {"size": self.font_size + 4}}

    def title_room(self, text: str) -> int:
        """Extra top margin for the lines `title` adds to a title."""
        return int(wrap(text, self.title_chars).count("<br>") * (self.font_size + 4) * 1.3)

    def category_ticks(self, labels: Sequence[str]) -> dict[str, Any]:
        """A category axis's labels, wrapped at projector sizes instead of slanted.

        Slanted, "SGD (momentum 0.9)" at 22 px takes ~150 px of a 520-px chart.
        """
        if self.title_chars is None:
            return {}
        labels = list(labels)
        return {"tickmode": "array", "tickvals": labels, "ticktext": [wrap(label, 10) for label in labels],
                "tickangle": 0}

    def legend_room(self, rows: int) -> int:
        """Extra height for a legend that wraps to `rows` rows at projector sizes.

        Plotly takes the legend's room from the plot: without it, four rows
        squeeze a projector chart's plot to a strip.
        """
        return 0 if self.tick_font_size is None else int(rows * self.tick_font_size * 1.6)

    def font(self) -> dict[str, Any]:
        """The chart-wide font (legend, annotations and anything without its own)."""
        return {"size": self.font_size} | ({"color": self.text_colour} if self.text_colour else {})

    def axis_text(self) -> dict[str, Any]:
        """Tick-label and axis-title font of an axis: merge it into every axis a chart adds."""
        if self.text_colour is None:
            return {}
        return {"tickfont": {"size": self.tick_font_size, "color": self.text_colour},
                "title": {"font": {"size": self.font_size, "color": self.text_colour}}}


DEFAULT_STYLE = ChartStyle()


Trace = dict[str, Any]
Layout = dict[str, Any]


def figure(traces: list[Trace], layout: Layout) -> go.Figure:
    """The figure, not validated by plotly here.

    Validation costs more than building the dicts (1.6 against 0.65 ms for
    a five-line chart), on every slider move, for specs that only change in
    their numbers. tests/test_app.py validates every chart the pages draw,
    so a typo in a trace or layout key fails there.
    """
    return go.Figure(data=traces, layout=layout, _validate=False)


def merge(base: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `updates` into `base` (in place), like plotly's `update_layout`."""
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = deepcopy(value) if isinstance(value, dict) else value
    return base


def wrap(text: str, width: int | None) -> str:
    """`text` broken at spaces into as few lines of at most `width` characters as it
    needs (plotly's <br>), the longest as short as can be: no lone last word."""
    if width is None or len(text) <= width:
        return text

    def lines_of(at_most: int) -> list[str]:  # never inside a word, nor after its hyphen
        return textwrap.wrap(text, at_most, break_long_words=False, break_on_hyphens=False)

    fewest = len(lines_of(width))
    for even in range(-(-len(text) // fewest), width):
        if len(parts := lines_of(even)) <= fewest:
            return "<br>".join(parts)
    return "<br>".join(lines_of(width))


def base_layout(style: ChartStyle, title: str, x_title: str, y_title: str, **updates: Any) -> Layout:
    """Title, type sizes, legend under the plot and both axis titles; `updates` merged on top."""
    layout: Layout = {
        "title": style.title(title),
        "font": style.font(),
        "height": style.height,
        "margin": {"l": 10, "r": 10, "t": 60 + style.title_room(title), "b": 10},
        # Under the plot: in a half-width column a legend above it wraps over the title.
        # Anchored to the figure's bottom edge, not a fraction of the plot's height
        # below it: plotly then makes room under the axis title at any type size
        # (at y = -0.22 the projector's larger ticks pushed the axis title into it).
        "legend": {"orientation": "h", "x": 0, "yref": "container", "y": 0, "yanchor": "bottom",
                   **({"font": {"size": style.tick_font_size}} if style.tick_font_size else {})},
        "hovermode": "x unified",
        "xaxis": {"title": {"text": wrap(x_title, style.title_chars)}, "showgrid": True,
                  "exponentformat": "power"},
        # 10⁻⁴ rather than SI's "100µ": a loss is not measured in micro-units.
        "yaxis": {"title": {"text": wrap(y_title, style.axis_title_chars)}, "showgrid": True,
                  "exponentformat": "power"},
    }
    merge(layout["xaxis"], style.axis_text())
    merge(layout["yaxis"], style.axis_text())
    return merge(layout, updates)


# A log y axis with a tick per decade and minor grid lines between.
LOG_AXIS: dict[str, Any] = {"type": "log", "dtick": 1, "minor": {"showgrid": True}}


def hline(y: float, line: dict[str, Any], *, yref: str = "y", xref: str = "x domain") -> dict[str, Any]:
    """A full-width horizontal line shape (what `fig.add_hline` adds)."""
    return {"type": "line", "x0": 0, "x1": 1, "xref": xref, "y0": y, "y1": y, "yref": yref, "line": line}


def vline(x: float, line: dict[str, Any], *, xref: str = "x", yref: str = "y domain") -> dict[str, Any]:
    """A full-height vertical line shape (what `fig.add_vline` adds)."""
    return {"type": "line", "x0": x, "x1": x, "xref": xref, "y0": 0, "y1": 1, "yref": yref, "line": line}


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


def loss_curve_parts(
    curves: pd.DataFrame,
    *,
    title: str,
    style: ChartStyle = DEFAULT_STYLE,
    x: str = "step",
    x_title: str = "Step",
    y_title: str = "Loss",
    log_y: bool | None = None,
) -> tuple[list[Trace], Layout]:
    """The traces and layout of `loss_curves`, for a chart that adds to them."""
    traces: list[Trace] = []
    all_losses = curves["loss"].to_numpy(dtype=float)
    use_log = wants_log_axis(all_losses) if log_y is None else log_y
    for i, (name, group) in enumerate(curves.groupby("series", sort=False)):
        colour, dash = OKABE_ITO[i % len(OKABE_ITO)], DASHES[i % len(DASHES)]
        steps = group[x].to_numpy()
        losses = group["loss"].to_numpy(dtype=float)
        keep = plottable(losses, use_log)
        traces.append({
            "type": "scatter", "x": steps[keep], "y": losses[keep], "name": str(name), "mode": "lines",
            "line": {"color": colour, "dash": dash, "width": style.line_width},
        })
        bad = np.flatnonzero(~np.isfinite(losses))
        if bad.size:
            first = int(bad[0])
            finite_before = losses[:first][np.isfinite(losses[:first])]
            y = finite_before[-1] if finite_before.size else (1.0 if use_log else 0.0)
            traces.append({
                "type": "scatter", "x": [steps[first]], "y": [y], "mode": "markers+text",
                "showlegend": False, "name": f"{name}: non-finite",
                "marker": {"symbol": "x", "size": 10 + 2 * style.line_width, "color": colour,
                           "line": {"width": 2, "color": "#000000"}},
                "text": [f"{'NaN' if np.isnan(losses[first]) else 'Inf'} at {x} {steps[first]}"],
                "textposition": "bottom center", "cliponaxis": False,
                "textfont": {"size": style.font_size, "color": colour},
            })
    layout = base_layout(style, title, x_title, y_title + (" (log scale)" if use_log else ""))
    if use_log:
        merge(layout["yaxis"], LOG_AXIS)
    return traces, layout


def loss_curves(curves: pd.DataFrame, **options: Any) -> go.Figure:
    """One line per `series` of a (step, series, loss) frame.

    Non-finite losses are dropped from the line (plotly would draw nothing
    or break a log axis), and the first one of each series is marked with
    an ✕ at the last finite value and labelled with its step. Options: those
    of `loss_curve_parts`.
    """
    return figure(*loss_curve_parts(curves, **options))


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
    traces = [{
        "type": "histogram", "x": np.asarray(values, float), "nbinsx": bins, "name": "seeds",
        "marker": {"color": OKABE_ITO[0], "line": {"color": "#ffffff", "width": 1}},
    }]
    shapes, annotations = [], []
    if band is not None:
        shapes.append({"type": "rect", "x0": band[0], "x1": band[1], "xref": "x", "y0": 0, "y1": 1,
                       "yref": "y domain", "fillcolor": OKABE_ITO[1], "opacity": 0.35, "line": {"width": 0}})
        annotations.append({"text": band_label, "showarrow": False, "x": band[1], "xref": "x",
                            "xanchor": "right", "y": 1, "yref": "y domain", "yanchor": "top"})
    if highlight is not None:
        shapes.append(vline(highlight, {"color": OKABE_ITO[3], "width": style.line_width, "dash": "dash"}))
        annotations.append({"text": highlight_label, "showarrow": False, "x": highlight, "xref": "x",
                            "xanchor": "right", "y": 0, "yref": "y domain", "yanchor": "bottom"})
    layout = base_layout(style, title, x_title, "Number of seeds", hovermode="closest", showlegend=False,
                         shapes=shapes, annotations=annotations)
    return figure(traces, layout)


def scatter_lines(
    frame: pd.DataFrame, *, x: str, y: str, series: str, title: str, x_title: str,
    y_title: str, log_x: bool = False, log_y: bool | None = None,
    style: ChartStyle = DEFAULT_STYLE,
) -> go.Figure:
    """Lines with markers, one per `series` (sweeps: a value against a setting)."""
    traces: list[Trace] = []
    use_log = wants_log_axis(frame[y].to_numpy(float)) if log_y is None else log_y
    for i, (name, group) in enumerate(frame.groupby(series, sort=False)):
        values = group[y].to_numpy(float)
        keep = plottable(values, use_log)
        traces.append({
            "type": "scatter", "x": group[x].to_numpy()[keep], "y": values[keep], "name": str(name),
            "mode": "lines+markers",
            "line": {"color": OKABE_ITO[i % len(OKABE_ITO)], "dash": DASHES[i % len(DASHES)],
                     "width": style.line_width},
            "marker": {"symbol": MARKERS[i % len(MARKERS)], "size": 6 + style.line_width},
        })
    layout = base_layout(style, title, x_title, y_title + (" (log scale)" if use_log else ""),
                         hovermode="closest")
    if log_x:
        layout["xaxis"]["type"] = "log"
    if use_log:
        merge(layout["yaxis"], LOG_AXIS)
    return figure(traces, layout)


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
