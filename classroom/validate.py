"""Checks for every value that reaches the store from a link, a form or the UI.

Each function returns the clean value or raises ``BadInput`` naming the field.
"""

from __future__ import annotations

import re
import unicodedata

from classroom.errors import BadInput

#: Room-code letters: digits and capitals without look-alikes (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
NAME_MAX_CHARS = 24
QUESTION_ID_MAX_CHARS = 100
#: ``secrets.token_urlsafe(16)``: 128 random bits in 22 URL-safe characters.
STUDENT_ID_BYTES = 16
MAX_CHOICES = 26

_CODE_RE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
_QUESTION_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*")
_STUDENT_ID_RE = re.compile(r"[A-Za-z0-9_\-]{22}")


def room_code(raw: object) -> str:
    """A room code as typed: case, spaces and dashes are forgiven ("abc-234" -> "ABC234")."""
    if not isinstance(raw, str):
        raise BadInput("Room code: expected text.")
    code = raw.strip().upper().replace(" ", "").replace("-", "")
    if not _CODE_RE.fullmatch(code):
        raise BadInput(f"Room code: {CODE_LENGTH} characters from {CODE_ALPHABET}.")
    return code


def question_id(raw: object) -> str:
    """A question id as in the bank (the TOML file stem, e.g. ``q1_adam_high_learning_rate``)."""
    if not isinstance(raw, str) or not 0 < len(raw) <= QUESTION_ID_MAX_CHARS or not _QUESTION_ID_RE.fullmatch(raw):
        raise BadInput(f"Question id: up to {QUESTION_ID_MAX_CHARS} letters, digits, '_' or '-'.")
    return raw


def display_name(raw: object) -> str | None:
    """An optional display name: stripped, at most 24 characters, no control characters.

    Stored as given otherwise: escaping it for HTML or Markdown is the UI's job.
    An empty name (or None) means "no name".
    """
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise BadInput("Name: expected text.")
    name = raw.strip()
    if not name:
        return None
    if len(name) > NAME_MAX_CHARS:
        raise BadInput(f"Name: at most {NAME_MAX_CHARS} characters (this one has {len(name)}).")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name):
        raise BadInput("Name: no control characters.")
    return name


def student_id(raw: object) -> str:
    if not isinstance(raw, str) or not _STUDENT_ID_RE.fullmatch(raw):
        raise BadInput("Student id: malformed (join the room again).")
    return raw


def whole_number(raw: object, field: str, low: int, high: int) -> int:
    """An int (not a bool, not a float) with ``low <= value <= high``."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise BadInput(f"{field}: expected a whole number.")
    if not low <= raw <= high:
        raise BadInput(f"{field}: {raw} is outside {low}..{high}.")
    return raw


def choice(raw: object, n_choices: object) -> int:
    """A choice index into the question's choices as stored in the bank (0-based, before any shuffle)."""
    n = whole_number(n_choices, "Number of choices", 1, MAX_CHOICES)
    return whole_number(raw, "Choice", 0, n - 1)
