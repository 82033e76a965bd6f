"""Slider walks for the benchmarks: values not seen before, on the slider with room.

The sliders' value grids themselves are `harness.sliders` (shared with the
browser tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from content.questions import Control, Question, load_bank
from harness.sliders import default_index, grid, room_right, sliders


def questions(ids: list[str] | None = None) -> list[Question]:
    """The bank's questions in order, or only those named (a part's `--pages`)."""
    bank = load_bank().questions
    if not ids:
        return list(bank)
    unknown = sorted(set(ids) - {q.id for q in bank})
    if unknown:
        raise SystemExit(f"no question {', '.join(unknown)} in the question bank")
    return [q for q in bank if q.id in ids]


@dataclass(frozen=True)
class Move:
    control: Control
    value: float


def upward_walk(q: Question) -> Iterator[Move]:
    """Endless one-notch moves up, round-robin over the page's sliders, from the defaults.

    Each move raises one slider by one notch and no slider ever goes down,
    so every configuration along the walk is new (no `st.cache_data` hit on
    the page's run). A slider at its max is passed over; when all are at
    their max the walk ends.
    """
    controls = sliders(q)
    position = {c.key: default_index(c) for c in controls}
    while True:
        moved = False
        for control in controls:
            values = grid(control)
            if position[control.key] + 1 < len(values):
                position[control.key] += 1
                moved = True
                yield Move(control, values[position[control.key]])
        if not moved:
            return


def pick_slider(q: Question, presses: int) -> Control:
    """A slider with room for `presses` ArrowRight presses from its default.

    The question's main control first (the slider the browser tests move),
    then "Seed" (same cost whatever its value), then the page's other
    sliders in order: a slider pushed against its max would stop changing
    the chart.
    """
    order = sorted(sliders(q), key=lambda c: (c.key != q.main_control_key, c.label != "Seed"))
    for control in order:
        if room_right(control) >= presses:
            return control
    raise LookupError(f"{q.id}: no slider has room for {presses} presses to the right")
