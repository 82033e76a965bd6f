"""Plotly figures as pure functions of engine results (no streamlit here).

Colours are Okabe–Ito (safe for the common colour-vision deficiencies) and
every series also differs by dash or, where each point is marked, by marker
symbol, so a chart reads in greyscale and on a washed-out projector.

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

# Scales, ticks and label placement live in their own modules; the chart modules import them from here.
from charts.axes import Scale as Scale
from charts.axes import axis_for, use_log, with_room
from charts.axes import axis_ticks as axis_ticks
from charts.axes import scale_for as scale_for
from charts.labels import LABEL_BACKGROUND, StopNote, stop_annotations
from charts.labels import LineLabel as LineLabel
from charts.labels import hline_labels as hline_labels

# No plotly default template: each chart carries the few lines of
# `ChartStyle.template` instead (the Streamlit theme's look, drawn with
# theme=None). Plotly's own is ~6.5 kB in every chart's JSON that the server
# deep-copies, scans and sends on every slider move (measured: 1.5 -> 0.8 ms a
# chart in st.plotly_chart), and naming one in a layout re-validates it (~19 ms
# a figure).
pio.templates.default = "none"

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
MARKERS = ("circle", "square", "diamond", "triangle-up", "x", "star")


@dataclass(frozen=True)
class ChartStyle:
    """Sizes, text colour and label counts that change in projector mode.

    `text_colour` None keeps the Streamlit theme's grey (#808495). On a
    projector that grey on white is 3.6:1 and washes out, so there axis
    ticks and titles are near-black, and tick labels and legends grow from
    the theme's 18 px (at font size 24) to `tick_font_size`.

    Plotly never wraps a title, and a chart is as wide as its column: ~360 px
    on a 390-px phone, where a one-line title was cut off. The defaults wrap
    for that width; `title_chars` (chart and x-axis titles) and
    `axis_title_chars` (y-axis titles, which must fit the plot's height) are
    characters per line, None for one line.
    """

    font_size: int = 14
    line_width: float = 2.5
    height: int = 380
    text_colour: str | None = None
    tick_font_size: int | None = None
    title_size: int = 16
    title_chars: int | None = 38
    axis_title_chars: int | None = 30
    # Tick labels on a y axis and on an x axis (x labels are wide: fewer fit a phone's width).
    max_ticks: int = 8
    max_x_ticks: int = 6
    # The page's root font size in px (projector mode's style sheet sets 22): the house
    # template's paddings and small type follow it, as the Streamlit theme's did.
    rem: int = 16

    @classmethod
    def projector(cls) -> ChartStyle:
        # Line lengths for a 1024-px-wide projector page, where a chart stands beside the
        # sliders in three fifths of the width (~480 px wide).
        return cls(font_size=24, line_width=5.0, height=520, text_colour="#111111", tick_font_size=22,
                   title_size=28, title_chars=30, axis_title_chars=24, rem=22)

    def title_lines(self, text: str) -> int:
        return wrap(text, self.title_chars).count("<br>") + 1

    def title(self, text: str) -> dict[str, Any]:
        """A chart title, wrapped to `title_chars`, its first line `_TITLE_TOP` px under the chart's top.

        Plotly anchors a title by its first line and lets further lines hang
        below it, into the plot if the margin is short (measured in Chromium:
        with `yanchor` "top" the block's top sits at `pad.t` − 0.3 × the font
        size for one line, − 1.0 × for several, whatever their number).
        `top_margin` leaves room for every line.
        """
        pad = _TITLE_TOP + (0.3 if self.title_lines(text) == 1 else 1.0) * self.title_size
        return {"text": wrap(text, self.title_chars), "font": {"size": self.title_size},
                "x": 0, "xref": "container", "xanchor": "left", "y": 1, "yref": "container",
                "yanchor": "top", "pad": {"t": round(pad), "l": 10}}

    def top_margin(self, text: str, *, label_row: bool = False) -> int:
        """Room above the plot: the title's lines (1.31 × the font size each, as drawn), and a
        row for labels just over the plot (a vertical line's label there covers no label inside)."""
        title = self.title_lines(text) * self.title_size * 1.31
        return int(_TITLE_TOP + title + 12 + (self.font_size * 1.6 if label_row else 0))

    def title_room(self, text: str) -> int:
        """Extra top margin for the lines `title` adds to a one-line title."""
        return int((self.title_lines(text) - 1) * self.title_size * 1.3)

    def label_height(self, plot_px: float | None = None) -> float:
        """One line of annotation text as a fraction of the plot's height (estimated
        from `height` unless `plot_px` is given)."""
        return self.font_size * 1.45 / (plot_px if plot_px else self.height * 0.55)

    def category_ticks(self, labels: Sequence[str]) -> dict[str, Any]:
        """A category axis's labels, wrapped instead of slanted.

        Slanted, "SGD (momentum 0.9)" at 22 px takes ~150 px of a 520-px chart,
        and five of them slant on a phone too.
        """
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

    def annotation_font(self, colour: str | None = None) -> dict[str, Any]:
        colour = colour or self.text_colour
        return {"size": self.font_size} | ({"color": colour} if colour else {})

    def template(self) -> dict[str, Any]:
        """The look st.plotly_chart's Streamlit theme gave the charts, as a small plotly template.

        The charts are drawn with `theme=None`: the theme was merged into every
        figure by the browser at every slider move (one probe, 20 key presses: q1
        ~260 -> ~200 ms a press). Values read from the themed charts' `_fullLayout`
        (Streamlit 1.67), normal and projector mode.
        """
        small, grey, grid = round(0.75 * self.rem), "#808495", "#e6eaf1"
        text = self.text_colour or grey
        ticks = {"size": self.tick_font_size or small, "color": text}

        def axis(standoff: float, zeroline: bool) -> dict[str, Any]:
            return {"gridcolor": grid, "zeroline": zeroline, "zerolinecolor": grid, "tickfont": ticks,
                    "title": {"font": {"size": self.font_size, "color": text}, "standoff": standoff * self.rem}}

        return {"layout": {
            "font": {"family": FONT_FAMILY, "size": self.font_size, "color": text},
            # The theme made titles bold (<b> around each line).
            "title": {"font": {"family": FONT_FAMILY, "size": self.title_size, "color": "#111111", "weight": "bold"}},
            "paper_bgcolor": "#FFFFFF", "plot_bgcolor": "#FFFFFF",
            "legend": {"bgcolor": "#FFFFFF", "font": {"size": self.tick_font_size or small, "color": "#262730"}},
            "hoverlabel": {"bgcolor": "#FFFFFF", "bordercolor": "rgba(17, 17, 17, 0.2)",
                           "font": {"family": FONT_FAMILY, "size": small, "color": grey}},
            "margin": {"pad": self.rem // 2},
            "xaxis": axis(1.25, zeroline=False), "yaxis": axis(1.5, zeroline=True),
        }}

    def axis_text(self) -> dict[str, Any]:
        """Tick-label and axis-title font of an axis: merge it into every axis a chart adds."""
        if self.text_colour is None:
            return {}
        return {"tickfont": {"size": self.tick_font_size, "color": self.text_colour},
                "title": {"font": {"size": self.font_size, "color": self.text_colour}}}


# The app's body font (Streamlit 1.67 serves it with the app: no font from another host).
FONT_FAMILY = '"Source Sans", sans-serif'

# The title's first line: this far under the chart's top edge (px).
_TITLE_TOP = 6


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


def base_layout(style: ChartStyle, title: str, x_title: str, y_title: str, *, label_row: bool = False,
                **updates: Any) -> Layout:
    """Title, type sizes, legend under the plot and both axis titles; `updates` merged on top.

    `label_row`: room between the title and the plot for labels over the plot
    (`row_label`). A title that wraps adds its lines to the height, so the plot
    keeps its size.
    """
    layout: Layout = {
        "template": style.template(),
        "title": style.title(title),
        "font": style.font(),
        "height": style.height + style.title_room(title),
        "margin": {"l": 10, "r": 10, "t": style.top_margin(title, label_row=label_row), "b": 10},
        # Under the plot: in a half-width column a legend above it wraps over the title.
        # Anchored to the figure's bottom edge, not a fraction of the plot's height
        # below it: plotly then makes room under the axis title at any type size
        # (at y = -0.22 the projector's larger ticks pushed the axis title into it).
        "legend": {"orientation": "h", "x": 0, "yref": "container", "y": 0, "yanchor": "bottom",
                   **({"font": {"size": style.tick_font_size}} if style.tick_font_size else {})},
        "hovermode": "x unified",
        "xaxis": {"title": {"text": wrap(x_title, style.title_chars)}, "showgrid": True,
                  "exponentformat": "power", "automargin": True},
        # 10⁻⁴ rather than SI's "100µ": a loss is not measured in micro-units.
        "yaxis": {"title": {"text": wrap(y_title, style.axis_title_chars)}, "showgrid": True,
                  "exponentformat": "power", "automargin": True},
    }
    merge(layout["xaxis"], style.axis_text())
    merge(layout["yaxis"], style.axis_text())
    return merge(layout, updates)


def hline(y: float, line: dict[str, Any], *, yref: str = "y", xref: str = "x domain") -> dict[str, Any]:
    """A full-width horizontal line shape (what `fig.add_hline` adds)."""
    return {"type": "line", "x0": 0, "x1": 1, "xref": xref, "y0": y, "y1": y, "yref": yref, "line": line}


def vline(x: float, line: dict[str, Any], *, xref: str = "x", yref: str = "y domain") -> dict[str, Any]:
    """A full-height vertical line shape (what `fig.add_vline` adds)."""
    return {"type": "line", "x0": x, "x1": x, "xref": xref, "y0": 0, "y1": 1, "yref": yref, "line": line}


def row_label(text: str, x: float, fraction: float, style: ChartStyle, *, colour: str | None = None,
              xref: str = "x", yref: str = "y domain") -> dict[str, Any]:
    """A label in the row just over the plot (`base_layout(label_row=True)`), at axis coordinate `x`.

    Over the plot it crosses neither its own vertical line nor any label
    inside the plot. Centred on `x`, or starting (ending) there near the
    left (right) edge, where a centred label would run off the chart;
    `fraction` is how far along the x axis `x` is.
    """
    anchor = "left" if fraction < 0.2 else "right" if fraction > 0.8 else "center"
    return {"text": text, "showarrow": False, "x": x, "xref": xref, "xanchor": anchor, "y": 1, "yref": yref,
            "yanchor": "bottom", "yshift": 2, "font": style.annotation_font(colour)}


def finite_positive(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values) & (values > 0)]


def plottable(values: np.ndarray, log_axis: bool) -> np.ndarray:
    """Mask of the points a line can draw: finite, and positive on a log axis."""
    keep = np.isfinite(values)
    return keep & (values > 0) if log_axis else keep


def wants_log_axis(values: np.ndarray) -> bool:
    """Log y when finite positive values span more than two decades."""
    return use_log(values)


def curve_stop(
    steps: np.ndarray, values: np.ndarray, *, name: str, colour: str, x_scale: Scale, y_scale: Scale,
    x: str = "step", quantity: str = "loss", prefix: str = "", style: ChartStyle = DEFAULT_STYLE,
    axes: tuple[str, str] = ("x", "y"),
) -> tuple[StopNote, list[Trace]] | None:
    """Why a curve stops early, as a note at its last drawn point (and an ✕ where it
    went non-finite), or None if it runs to the end.

    A non-finite value stops a curve for good (the engines stop there): "overflow
    at step N" (Inf) or "NaN at step N". A value of exactly 0 cannot be drawn on a
    log axis: "loss reached 0 at step N".
    """
    bad = np.flatnonzero(~np.isfinite(values))
    zero = np.flatnonzero(values == 0) if y_scale.log else np.array([], int)
    if bad.size and (not zero.size or bad[0] < zero[0]):
        event = int(bad[0])
        text = f"{prefix}{'NaN' if np.isnan(values[event]) else 'overflow'} at {x} {steps[event]}"
    elif zero.size:
        event = int(zero[0])
        text = f"{prefix}{quantity} reached 0 at {x} {steps[event]}"
    else:
        return None
    drawn = np.flatnonzero(plottable(values[:event], y_scale.log))
    y = float(values[drawn[-1]]) if drawn.size else y_scale.value((y_scale.low + y_scale.high) / 2)
    markers: list[Trace] = []
    if not np.isfinite(values[event]):
        # An ✕ where the curve would go on, at the last value it had.
        at = steps[event]
        markers.append({
            "type": "scatter", "x": [at], "y": [y], "mode": "markers", "showlegend": False,
            "xaxis": axes[0], "yaxis": axes[1], "name": f"{name}: {text}", "cliponaxis": False,
            "marker": {"symbol": "x", "size": 10 + 2 * style.line_width, "color": colour,
                       "line": {"width": 2, "color": "#000000"}},
        })
    else:
        at = steps[drawn[-1]] if drawn.size else steps[event]
    note = StopNote(text, x=float(at), y=y_scale.coordinate(y), x_fraction=x_scale.fraction(float(at)),
                    y_fraction=y_scale.fraction(y), colour=colour)
    return note, markers


def loss_curve_parts(
    curves: pd.DataFrame,
    *,
    title: str,
    style: ChartStyle = DEFAULT_STYLE,
    x: str = "step",
    x_title: str = "Step",
    y_title: str = "Loss",
    log_y: bool | None = None,
    quantity: str = "loss",
    include: Sequence[float] = (),
    room_below: float = 0.0,
) -> tuple[list[Trace], Layout]:
    """The traces and layout of `loss_curves`, for a chart that adds to them.

    `log_y`: None picks a log axis when the values span more than two decades,
    True when they span one (`charts.axes.use_log`), False never. The y range
    also shows the values `include` (reference lines), with `room_below` (a
    fraction of the plot) under everything for a label.
    """
    traces: list[Trace] = []
    all_losses = curves["loss"].to_numpy(dtype=float)
    y_scale = scale_for(all_losses, list(include), log=use_log(all_losses, list(include), prefer=log_y),
                        include_zero=True)
    y_scale = with_room(y_scale, below=room_below)
    y_axis = axis_ticks(y_scale, style.max_ticks)
    x_scale, x_axis = axis_for(curves[x].to_numpy(float), log=False, max_ticks=style.max_x_ticks, pad=0.02,
                               integer=True)
    notes: list[StopNote] = []
    all_steps = curves[x].to_numpy()
    for i, (name, rows) in enumerate(series_rows(curves)):
        colour, dash = OKABE_ITO[i % len(OKABE_ITO)], DASHES[i % len(DASHES)]
        steps, losses = all_steps[rows], all_losses[rows]
        keep = plottable(losses, y_scale.log)
        traces.append({
            "type": "scatter", "x": steps[keep], "y": losses[keep], "name": name, "mode": "lines",
            "line": {"color": colour, "dash": dash, "width": style.line_width},
        })
        stop = curve_stop(steps, losses, name=name, colour=colour, x_scale=x_scale, y_scale=y_scale, x=x,
                          quantity=quantity, style=style)
        if stop is not None:
            notes.append(stop[0])
            traces.extend(stop[1])
    layout = base_layout(style, title, x_title, y_title + (" (log scale)" if y_scale.log else ""))
    merge(layout["xaxis"], x_axis)
    merge(layout["yaxis"], y_axis)
    if notes:
        layout["annotations"] = stop_annotations(notes, font_size=style.font_size)
    return traces, layout


def loss_curves(curves: pd.DataFrame, **options: Any) -> go.Figure:
    """One line per `series` of a (step, series, loss) frame.

    Where a line stops early, an arrow says why at its last point: "overflow
    at step N" (or NaN: non-finite losses are dropped, the first one marked
    with an ✕), or "loss reached 0 at step N" on a log axis, which cannot
    show 0. Options: those of `loss_curve_parts`.
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
    """Counts of `values` in `bins` equal bins; a shaded `band` and a `highlight` line, labelled.

    The highlight's label sits over the plot, so it crosses neither its line
    nor the band's label inside the plot; both stay within the chart.
    """
    values = np.asarray(values, float)
    finite = values[np.isfinite(values)]
    extra = [v for v in (*(band or ()), highlight) if v is not None]
    low, high = (float(min(finite.min(), *extra)), float(max(finite.max(), *extra))) if finite.size else (0.0, 1.0)
    size = (high - low) / bins if high > low else 1.0
    edges = low + size * np.arange(bins + 1)
    counts, _ = np.histogram(finite, bins=edges)
    traces = [{
        "type": "histogram", "x": values, "name": "seeds", "autobinx": False,
        "xbins": {"start": low, "end": high + size / 2, "size": size},
        "marker": {"color": OKABE_ITO[0], "line": {"color": "#ffffff", "width": 1}},
    }]
    x_scale, x_axis = axis_for(finite, extra, log=False, max_ticks=style.max_x_ticks, pad=0.03)
    y_scale, y_axis = axis_for([0, counts.max() * 1.1 if counts.size else 1], log=False, pad=0,
                               max_ticks=style.max_ticks, include_zero=True, integer=True)
    shapes, annotations = [], []
    if band is not None:
        shapes.append({"type": "rect", "x0": band[0], "x1": band[1], "xref": "x", "y0": 0, "y1": 1,
                       "yref": "y domain", "fillcolor": OKABE_ITO[1], "opacity": 0.35, "line": {"width": 0}})
        start, end = x_scale.fraction(band[0]), x_scale.fraction(band[1])
        # Inside the plot at the band's top, starting (ending) at the band near the left (right) edge.
        anchor, at = (("left", band[0]) if start < 0.3 else ("right", band[1]) if end > 0.7
                      else ("center", (band[0] + band[1]) / 2))
        annotations.append({"text": band_label, "showarrow": False, "x": at, "xref": "x", "xanchor": anchor,
                            "y": 1, "yref": "y domain", "yanchor": "top", "bgcolor": LABEL_BACKGROUND,
                            "font": style.annotation_font()})
    if highlight is not None:
        shapes.append(vline(highlight, {"color": OKABE_ITO[3], "width": style.line_width, "dash": "dash"}))
        annotations.append(row_label(highlight_label, highlight, x_scale.fraction(highlight), style,
                                     colour=OKABE_ITO[3]))
    layout = base_layout(style, title, x_title, "Number of seeds", hovermode="closest", showlegend=False,
                         shapes=shapes, annotations=annotations, label_row=highlight is not None,
                         xaxis=x_axis, yaxis=y_axis)
    return figure(traces, layout)


def series_rows(frame: pd.DataFrame, column: str = "series") -> list[tuple[str, np.ndarray]]:
    """Each series' name and row positions, in order of first appearance (as `groupby(sort=False)`).

    Positions into the columns' numpy arrays, not a DataFrame per series: pandas' groupby and
    row selection on the string column were ~2 ms of q4's chart at every slider move, and
    `alt_text_for_curves` and the loss charts split a frame this way on every page.
    """
    names = frame[column].to_numpy()
    return [(str(name), np.flatnonzero(names == name)) for name in pd.unique(names)]


def alt_text_for_curves(curves: pd.DataFrame, x: str = "step") -> str:
    """A one-line text description of a loss chart (for screen readers)."""
    parts = []
    all_losses, all_x = curves["loss"].to_numpy(float), curves[x].to_numpy()
    for name, rows in series_rows(curves):
        losses, xs = all_losses[rows], all_x[rows]
        finite = losses[np.isfinite(losses)]
        if not finite.size:
            parts.append(f"{name}: no finite loss")
            continue
        text = f"{name}: from {finite[0]:.4g} to {finite[-1]:.4g}"
        bad = np.flatnonzero(~np.isfinite(losses))
        zero = np.flatnonzero(losses == 0)
        if bad.size:
            text += f", non-finite at {x} {xs[bad[0]]}"
        elif zero.size:
            text += f", exactly 0 from {x} {xs[zero[0]]}"
        parts.append(text)
    return "; ".join(parts)
