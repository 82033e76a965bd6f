"""Class mode's storage: rooms, students and votes (pure Python; no Streamlit, no plotly).

See ``classroom.store.ClassStore`` for the operations, ``classroom.config``
for where the data lives, ``classroom.limits`` for the per-session rate
limits the UI applies, ``classroom.qr`` for the join link's QR code.
"""

from classroom.errors import (
    ActionRefused,
    BadInput,
    ClassroomError,
    NotTeacher,
    RoomEnded,
    RoomExpired,
    RoomFull,
    RoomNotFound,
    SchemaTooNew,
    StoreUnavailable,
    TooManyRooms,
    VoteRefused,
)

# The store (SQLAlchemy, ~0.3 s to import) loads on first use: a question page reads only
# `classroom.qr`'s query key, and a fresh server's first visit should not pay for it.
_FROM_STORE = frozenset({"ClassStore", "NewRoom", "RoomState", "RoundTally", "Tally"})


def __getattr__(name: str) -> object:
    if name in _FROM_STORE:
        from classroom import store

        return getattr(store, name)
    raise AttributeError(f"module 'classroom' has no attribute {name!r}")


__all__ = [
    "ActionRefused",
    "BadInput",
    "ClassStore",
    "ClassroomError",
    "NewRoom",
    "NotTeacher",
    "RoomEnded",
    "RoomExpired",
    "RoomFull",
    "RoomNotFound",
    "RoomState",
    "RoundTally",
    "SchemaTooNew",
    "StoreUnavailable",
    "Tally",
    "TooManyRooms",
    "VoteRefused",
]
