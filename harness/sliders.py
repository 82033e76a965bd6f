"""The question bank's sliders as the values a key press walks through.

ArrowRight moves a focused slider one notch up (one option of a
select_slider), ArrowLeft one notch down; at an end the key does nothing.
"""

from __future__ import annotations

from typing import Any

from content.questions import SLIDER_KINDS, Control, Question


def sliders(question: Question) -> list[Control]:
    """The question's controls drawn as sliders, in page order."""
    return [control for control in question.controls if control.kind in SLIDER_KINDS]


def grid(control: Control) -> list[float]:
    """Every value the slider can take, in order (what ArrowRight walks through)."""
    return list(control.notches())


def default_index(control: Control) -> int:
    return control.notch_index(control.default)


def room_right(control: Control) -> int:
    """How many ArrowRight presses from the default before the slider is at its max."""
    return len(grid(control)) - 1 - default_index(control)


def arrow_with_room(control: Control, presses: int = 1) -> str:
    """The key that moves the slider `presses` times from its default: ArrowRight unless it would hit the max."""
    return "ArrowRight" if room_right(control) >= presses else "ArrowLeft"


def value_after(control: Control, key: str, presses: int = 1) -> Any:
    """The slider's value after `presses` presses of `key` from its default (stopping at an end)."""
    values = grid(control)
    step = presses if key == "ArrowRight" else -presses
    return values[min(max(default_index(control) + step, 0), len(values) - 1)]
