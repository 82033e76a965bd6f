"""The question bank's sliders as value grids, to move them to values not seen before."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from content.questions import Control, Question, load_bank

SLIDER_KINDS = ("int", "float", "log")  # st.slider (int, float) and st.select_slider (log)


def question(question_id: str) -> Question:
    found = load_bank().by_id(question_id)
    if found is None:
        raise LookupError(f"no question {question_id!r} in assets/questions/")
    return found


def sliders(q: Question) -> list[Control]:
    return [control for control in q.controls if control.kind in SLIDER_KINDS]


def grid(control: Control) -> list[float]:
    """Every value the slider can take, in order (what ArrowRight walks through)."""
    if control.kind == "log":
        return list(control.grid())
    count = int(round((control.max - control.min) / control.step)) + 1
    if control.kind == "int":
        return [int(control.min + k * control.step) for k in range(count)]
    return [round(control.min + k * control.step, 10) for k in range(count)]


def default_index(control: Control) -> int:
    values = grid(control)
    return min(range(len(values)), key=lambda i: abs(values[i] - control.default))


def room_right(control: Control) -> int:
    """How many ArrowRight presses from the default before the slider is at its max."""
    return len(grid(control)) - 1 - default_index(control)


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


def pick_slider(q: Question, presses: int, preferred: str | None = None) -> Control:
    """A slider with room for `presses` ArrowRight presses from its default.

    The preferred label first (the slider the browser tests move), then
    "Seed" (same cost whatever its value), then the page's other sliders in
    order: a slider pushed against its max would stop changing the chart.
    """
    candidates = sliders(q)
    order = sorted(candidates, key=lambda c: (c.label != preferred, c.label != "Seed"))
    for control in order:
        if room_right(control) >= presses:
            return control
    raise LookupError(f"{q.id}: no slider has room for {presses} presses to the right")
