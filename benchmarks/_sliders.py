"""Slider walks for the benchmarks: values not seen before (`rerun`), the main slider to and fro (`browser`).

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


def main_slider(q: Question) -> Control:
    """The question's main control (the slider the browser tests move), else its first slider."""
    controls = sliders(q)
    if not controls:
        raise LookupError(f"{q.id}: no slider on the page")
    return next((c for c in controls if c.key == q.main_control_key), controls[0])


def bounce_keys(control: Control, presses: int) -> list[str]:
    """`presses` arrow keys that walk the slider one notch each, turning round at its ends.

    From the default, first towards the end with more room, so that as many
    presses as the slider allows are values not seen before; then back and
    forth over its range (a student moving a slider to and fro). Every press
    moves the slider, so every press changes its value.
    """
    values = grid(control)
    if len(values) < 2:
        raise LookupError(f"{control.label}: a slider with one value cannot move")
    index = default_index(control)
    step = 1 if room_right(control) >= index else -1
    keys = []
    for _ in range(presses):
        if not 0 <= index + step < len(values):
            step = -step
        index += step
        keys.append("ArrowRight" if step > 0 else "ArrowLeft")
    return keys
