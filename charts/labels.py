"""Where a chart's text labels go, so that none covers another.

Plotly places every annotation exactly where it is told, overlapping or
not. Labels of horizontal reference lines that lie close together (a
landscape's minima seen from a weight that flew to w = 80) are spread apart
here, each keeping a short leader to its line; notes at the ends of curves
that stop at the same place are merged into one.

Positions are fractions of the plot (0 at the bottom or left edge, 1 at the
top or right); sizes come from the type size and an estimate of the plot's
size in pixels. Pure numpy; no plotly, no streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from charts.axes import Scale

# Label backgrounds: the line or data under a label shows through a little.
LABEL_BACKGROUND = "rgba(255, 255, 255, 0.85)"


def spread(wanted: Sequence[float], height: float, low: float = 0.0, high: float = 1.0) -> list[float]:
    """Label centres at least `height` apart, each as near its `wanted` centre as can be,
    all within [low + height/2, high - height/2]. Returned in the order of `wanted`.

    Labels that would overlap form a block centred on their mean wanted position
    (pushed inside the bounds), and blocks that then touch merge, until none overlap.
    """
    if not wanted:
        return []
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    # Each block: [member indices in order, centre of the block].
    blocks: list[list[Any]] = []
    room = max(high - low, height * len(wanted))
    bottom, top = low, low + room

    def place(members: list[int]) -> float:
        span = height * len(members)
        centre = sum(wanted[i] for i in members) / len(members)
        return min(max(centre, bottom + span / 2), top - span / 2)

    for i in order:
        blocks.append([[i], place([i])])
        while len(blocks) > 1:
            (below, below_centre), (above, above_centre) = blocks[-2], blocks[-1]
            if below_centre + height * len(below) / 2 <= above_centre - height * len(above) / 2 + 1e-12:
                break
            members = below + above
            blocks[-2:] = [[members, place(members)]]
    centres = [0.0] * len(wanted)
    for members, centre in blocks:
        start = centre - height * len(members) / 2 + height / 2
        for k, i in enumerate(members):
            centres[i] = start + k * height
    return centres


@dataclass(frozen=True)
class LineLabel:
    """A horizontal reference line's label: its text and the line's value (data units)."""

    text: str
    value: float


def hline_labels(
    labels: Sequence[LineLabel], scale: Scale, *, height: float, end: Literal["left", "right"] = "right",
    side: Literal["above", "below"] = "above", font: dict[str, Any] | None = None, yref: str = "y",
    xref: str = "x domain", clearance_px: int = 0,
) -> list[dict[str, Any]]:
    """Annotations just above (below) each line's `end`; labels too close to fit are spread
    apart, each with a leader to its line. `height` is one label's height as a fraction of the
    plot; labels stay inside the plot, `clearance_px` off their line (markers drawn on it)."""
    shown = [label for label in labels if np.isfinite(label.value) and (label.value > 0 or not scale.log)
             and scale.low <= scale.coordinate(label.value) <= scale.high]
    # Wanted: the label's centre half a label above (below) its line.
    offset = height / 2 if side == "above" else -height / 2
    wanted = [scale.fraction(label.value) + offset for label in shown]
    centres = spread(wanted, height)
    annotations = []
    for label, want, centre in zip(shown, wanted, centres, strict=True):
        base = {"text": label.text, "x": 0 if end == "left" else 1, "xref": xref, "xanchor": end,
                "y": scale.coordinate(label.value), "yref": yref, "bgcolor": LABEL_BACKGROUND,
                **({"font": font} if font else {})}
        if abs(centre - want) < height * 0.1:
            annotations.append({**base, "yanchor": "bottom" if side == "above" else "top", "showarrow": False,
                                **({"yshift": clearance_px if side == "above" else -clearance_px}
                                   if clearance_px else {})})
        else:
            # Text centred at its spread position; a thin leader back to the line's end.
            annotations.append({**base, "yanchor": "middle", "showarrow": True, "arrowhead": 0,
                                "arrowwidth": 1, "arrowcolor": "#777777",
                                "ax": 4 if end == "left" else -4, "axref": "pixel",
                                "ay": scale.at_fraction(centre), "ayref": yref})
    return annotations


def label_centre(annotation: dict[str, Any], scale: Scale, height: float) -> float:
    """Where an `hline_labels` annotation's text is centred, as a fraction of the plot (for tests)."""
    if annotation.get("showarrow") and annotation.get("ayref") == annotation.get("yref"):
        return (annotation["ay"] - scale.low) / (scale.high - scale.low)
    y = (annotation["y"] - scale.low) / (scale.high - scale.low)
    return y + {"bottom": height / 2, "top": -height / 2}.get(annotation.get("yanchor"), 0.0)


@dataclass(frozen=True)
class StopNote:
    """Why a curve stops: `text` at its last drawn point (axis coordinates and plot fractions)."""

    text: str
    x: float
    y: float
    x_fraction: float
    y_fraction: float
    colour: str


def stop_annotations(notes: Sequence[StopNote], *, font_size: int, near: float = 0.12,
                     offset_px: int = 44) -> list[dict[str, Any]]:
    """An arrow annotation per note, its text towards the plot's centre (so it stays inside);
    notes within `near` of each other (both directions) merged into one.

    The text is offset less vertically than horizontally: at exactly 45° down and right
    plotly's test of whether the arrow's head lies inside the text box passes through
    the box's corner, and with the box's position rounded it drew no arrow at all.
    """
    groups: list[list[StopNote]] = []
    for note in notes:
        for group in groups:
            if any(abs(note.x_fraction - n.x_fraction) < near and abs(note.y_fraction - n.y_fraction) < near
                   for n in group):
                group.append(note)
                break
        else:
            groups.append([note])
    annotations = []
    for group in groups:
        first = group[0]
        texts = list(dict.fromkeys(n.text for n in group))
        if len(texts) > 1:
            text = "<br>".join(texts)
        elif len(group) > 1:
            text = texts[0] + (" (both)" if len(group) == 2 else f" (all {len(group)})")
        else:
            text = texts[0]
        right = first.x_fraction > 0.5
        high = first.y_fraction > 0.5
        annotations.append({
            "text": text, "x": first.x, "y": first.y, "xref": "x", "yref": "y",
            "showarrow": True, "arrowhead": 2, "arrowwidth": 1.5,
            "arrowcolor": first.colour if len(group) == 1 else "#333333",
            "ax": -offset_px if right else offset_px, "ay": (1 if high else -1) * round(offset_px * 0.7),
            "xanchor": "right" if right else "left", "yanchor": "top" if high else "bottom",
            "bgcolor": LABEL_BACKGROUND,
            "font": {"size": font_size, "color": first.colour if len(group) == 1 else "#333333"},
        })
    return annotations
