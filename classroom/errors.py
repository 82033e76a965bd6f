"""What can go wrong in class mode, one exception class per thing the UI says.

Every error is a ``ClassroomError``, whose message is a plain sentence the UI
may show as it is (it never contains a teacher key, a student id or SQL).
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "ActionRefused",
    "BadInput",
    "ClassroomError",
    "NotTeacher",
    "RoomEnded",
    "RoomExpired",
    "RoomFull",
    "RoomNotFound",
    "SchemaTooNew",
    "StoreUnavailable",
    "TooManyRooms",
    "VoteRefused",
    "VoteRefusedReason",
]


class ClassroomError(Exception):
    """Base class: anything the class-mode store refuses or cannot do."""


class BadInput(ClassroomError, ValueError):
    """A value from a link, a form or the UI's code is malformed (the message names the field)."""


class RoomNotFound(ClassroomError):
    """No room has this code (never existed, or was purged after it expired)."""


class RoomExpired(ClassroomError):
    """The room is past its lifetime; its rows go at the next purge."""


class RoomEnded(ClassroomError):
    """The teacher ended the class: no joining, voting or advancing (export and tallies still work)."""


class RoomFull(ClassroomError):
    """The room already has the maximum number of students."""


class TooManyRooms(ClassroomError):
    """The server already holds the maximum number of open rooms."""


class NotTeacher(ClassroomError):
    """The teacher key is missing or does not match this room's."""


class ActionRefused(ClassroomError):
    """A teacher action that the room's state does not allow (e.g. a third round)."""


VoteRefusedReason = Literal["not_current_question", "not_current_round", "revealed", "unknown_student"]


class VoteRefused(ClassroomError):
    """The vote does not count. ``reason`` tells why, for the UI to pick its wording.

    - ``not_current_question`` / ``not_current_round``: the teacher has moved on
      (the phone shows a stale question: refresh it);
    - ``revealed``: the answer is out, voting on this round is closed;
    - ``unknown_student``: the student id is not one this room handed out.
    """

    def __init__(self, reason: VoteRefusedReason, message: str) -> None:
        super().__init__(message)
        self.reason: VoteRefusedReason = reason


class StoreUnavailable(ClassroomError):
    """The database cannot be reached, opened or written (down, locked, read-only, full)."""


class SchemaTooNew(StoreUnavailable):
    """The database was written by a newer version of the app (its schema version is unknown here)."""
