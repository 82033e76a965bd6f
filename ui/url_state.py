"""Turn URL query values into safe control values (pure: no streamlit).

A shared link carries every control as a short key (`?lr=0.1&seed=3`).
Anything a visitor types there is untrusted: each value is parsed and
checked against its control's range, and a bad one becomes the control's
default plus a warning the page shows. Warnings quote the value escaped
and shortened, because it is user-supplied text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from classroom.qr import ROOM_QUERY_KEY
from content.questions import RESERVED_URL_KEYS, Control

PROJECTOR_KEY = "projector"
# The order of the choices: fixed for a given value, so a projector and a
# class that open the same link see the same order. Not `seed`: that is a
# control of several questions.
QUIZ_SEED_KEY = "quiz_seed"
MAX_QUIZ_SEED = 999_999
# Projector mode's stage of a question page (ui/stages.py).
STAGE_KEY = "stage"
STAGE_COUNT = 3
# Class mode's room code (ui/classroom.py): kept in the link while a question's controls are drawn.
ROOM_KEY = ROOM_QUERY_KEY
# Keys every page understands besides its controls; the bank refuses them as control keys.
APP_URL_KEYS = frozenset({PROJECTOR_KEY, QUIZ_SEED_KEY, STAGE_KEY, ROOM_KEY})
if not APP_URL_KEYS <= RESERVED_URL_KEYS:
    raise ImportError(f"content.questions.RESERVED_URL_KEYS lacks {sorted(APP_URL_KEYS - RESERVED_URL_KEYS)}")
MAX_SHOWN_CHARS = 40
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class UrlReading:
    values: dict[str, Any]  # control key -> safe value (only keys present in the URL)
    warnings: tuple[str, ...]


# Warnings are rendered as Markdown: every character that Markdown (or its
# HTML) could act on is backslash-escaped, so a value is only ever text.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&\"'=])")


def shown(raw: str) -> str:
    """A user-supplied value: shortened, quoted and inert in Markdown."""
    text = raw if len(raw) <= MAX_SHOWN_CHARS else raw[:MAX_SHOWN_CHARS] + "…"
    return _MARKDOWN_SPECIALS.sub(r"\\\1", repr(text))


def parse_control_value(control: Control, raw: str) -> tuple[Any, str | None]:
    """(value, None) for a good value, (control.default, warning) otherwise."""
    label = f"'{control.label}' ({control.key})"
    fallback = f"using the default {format_value(control, control.default)}"
    text = raw.strip()
    if control.kind == "toggle":
        if text.lower() in TRUE_WORDS:
            return True, None
        if text.lower() in FALSE_WORDS:
            return False, None
        return control.default, f"{label}: {shown(raw)} is not on/off; {fallback}."
    if control.kind == "choice":
        for option in control.options:
            if text.lower() == option.lower():
                return option, None
        return control.default, (
            f"{label}: {shown(raw)} is not one of {', '.join(control.options)}; {fallback}."
        )
    try:
        number = float(text)
    except ValueError:
        return control.default, f"{label}: {shown(raw)} is not a number; {fallback}."
    if not math.isfinite(number):
        return control.default, f"{label}: {shown(raw)} is not a finite number; {fallback}."
    if not control.min <= number <= control.max:
        return control.default, (
            f"{label}: {shown(raw)} is outside {format_value(control, control.min)}"
            f"…{format_value(control, control.max)}; {fallback}."
        )
    if control.kind == "log":
        # In range means positive (min > 0). Snap to the nearest grid value in
        # log space, so a hand-typed 0.0009 becomes the slider's 0.001.
        return min(control.grid(), key=lambda v: abs(math.log(v / number))), None
    if control.kind == "int":
        if not number.is_integer():
            return control.default, f"{label}: {shown(raw)} is not a whole number; {fallback}."
        return int(number), None
    steps = round((number - control.min) / control.step)
    return round(control.min + steps * control.step, 10), None


def read_url(
    controls: Sequence[Control], query: Mapping[str, Sequence[str]]
) -> UrlReading:
    """Validate a whole query (key -> all its values) against the controls."""
    by_key = {c.key: c for c in controls}
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for key, raws in query.items():
        if key in APP_URL_KEYS:
            continue
        if key not in by_key:
            warnings.append(f"Unknown link parameter {shown(key)} was ignored.")
            continue
        control = by_key[key]
        if len(raws) != 1:
            warnings.append(
                f"'{control.label}' ({key}) appears {len(raws)} times in the link; "
                "using the first value."
            )
        if not raws:
            continue
        value, warning = parse_control_value(control, raws[0])
        values[key] = value
        if warning:
            warnings.append(warning)
    return UrlReading(values, tuple(warnings))


def read_projector(raws: Sequence[str]) -> tuple[bool, str | None]:
    """`?projector=1` (or true/yes/on); anything else is off, with a warning."""
    if not raws:
        return False, None
    text = raws[0].strip().lower()
    if text in TRUE_WORDS:
        return True, None
    if text in FALSE_WORDS:
        return False, None
    return False, f"'Projector mode' ({PROJECTOR_KEY}): {shown(raws[0])} is not on/off; using off."


def read_quiz_seed(raws: Sequence[str]) -> tuple[int | None, str | None]:
    """`?quiz_seed=N`, a whole number 0…MAX_QUIZ_SEED; None (a session's own order) otherwise."""
    if not raws:
        return None, None
    text = raws[0].strip()
    if text.isdigit() and int(text) <= MAX_QUIZ_SEED:
        return int(text), None
    return None, (f"'Order of the choices' ({QUIZ_SEED_KEY}): {shown(raws[0])} is not a whole number "
                  f"from 0 to {MAX_QUIZ_SEED}; using this session's own order.")


def read_stage(raws: Sequence[str]) -> tuple[int, str | None]:
    """`?stage=N`, 1…STAGE_COUNT; the first stage otherwise."""
    if not raws:
        return 1, None
    text = raws[0].strip()
    if text.isdigit() and 1 <= int(text) <= STAGE_COUNT:
        return int(text), None
    return 1, f"'Stage' ({STAGE_KEY}): {shown(raws[0])} is not a whole number from 1 to {STAGE_COUNT}; using 1."


def format_value(control: Control, value: Any) -> str:
    """How a value is written in a link and on screen."""
    if control.kind == "toggle":
        return "1" if value else "0"
    if control.kind == "choice":
        return str(value)
    if control.kind == "int":
        return str(int(value))
    return f"{value:g}"


def clamp(control: Control, value: Any) -> tuple[Any, str | None]:
    """Bring a widget's value back into range (a forged value from a client)."""
    if control.kind in ("toggle", "choice", "log"):
        return parse_control_value(control, format_value(control, value) if value is not None else "")
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return control.default, f"'{control.label}' had an invalid value; using the default."
    if control.min <= value <= control.max:
        return value, None
    clamped = min(max(value, control.min), control.max)
    return (int(clamped) if control.kind == "int" else float(clamped)), (
        f"'{control.label}' {value!r} is outside its range; using {format_value(control, clamped)}."
    )
