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
from classroom.store import ClassStore, NewRoom, RoomState, RoundTally, Tally

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
