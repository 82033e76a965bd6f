"""``ClassStore``: rooms, students and votes of class mode, on SQLAlchemy Core.

Pure Python (no Streamlit): the UI passes the engine of
``st.connection("classroom", type="sql")`` (see ``classroom.config``), tests
pass ``sqlalchemy.create_engine(...)``. Works on SQLite (one file, shared by
several server processes on one machine) and PostgreSQL (several servers).

Every operation is one short transaction; every value is validated first
(``classroom.validate``) and bound as a parameter, never formatted into SQL.
Write transactions lock what they read before they decide (PostgreSQL:
``SELECT … FOR UPDATE`` / ``FOR SHARE`` on the room row; SQLite:
``BEGIN IMMEDIATE``), so limits hold and no vote lands after a reveal.
A vote is an upsert (``INSERT … ON CONFLICT DO UPDATE`` on the one-vote-per-
(room, question, round, student) key): a retry or a double click replaces,
never adds. When ``vote`` returns, the vote is committed.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update
from sqlalchemy import exc as sa_exc

from classroom import config, validate
from classroom.db import dialect_insert, prepare, unavailable_as_store_error
from classroom.errors import (
    ActionRefused,
    BadInput,
    NotTeacher,
    RoomEnded,
    RoomExpired,
    RoomFull,
    RoomNotFound,
    StoreUnavailable,
    TooManyRooms,
    VoteRefused,
)
from classroom.schema import ensure_schema, rooms, schema_version, students, votes

Phase = Literal["voting", "revealed"]

_CODE_ATTEMPTS = 20
_TEACHER_KEY_BYTES = 32  # 256 bits; secrets.token_urlsafe -> 43 characters
_TEACHER_KEY_MAX_CHARS = 200


class NewRoom(NamedTuple):
    """What ``create_room`` hands the teacher: the public code and the secret key (shown once, never stored)."""

    code: str
    teacher_key: str


@dataclass(frozen=True)
class RoomState:
    """What every screen polls: the teacher's current question, phase and round."""

    code: str
    question_id: str
    phase: Phase
    round: int
    ended: bool
    joined: int
    created_at: float  # Unix seconds
    expires_at: float


@dataclass(frozen=True)
class RoundTally:
    round: int
    counts: tuple[int, ...]  # counts[i]: votes for choice i (bank order, before any shuffle)
    voted: int  # students who voted in this round (= sum(counts))


@dataclass(frozen=True)
class Tally:
    question_id: str
    rounds: tuple[RoundTally, ...]  # round 1 first; a round with no vote yet has zero counts

    def round(self, number: int) -> RoundTally | None:
        return next((r for r in self.rounds if r.round == number), None)


def hash_teacher_key(teacher_key: str) -> str:
    """Hex SHA-256. The key has 256 random bits, so a fast hash is enough: no guessing list helps."""
    return hashlib.sha256(teacher_key.encode("utf-8", "surrogatepass")).hexdigest()


def _csv_cell(text: str) -> str:
    """Keep spreadsheets from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class ClassStore:
    """Class-mode storage on one SQLAlchemy engine (SQLite file or PostgreSQL).

    Thread-safe: share one instance per engine across sessions (e.g. in
    ``st.cache_resource``). The schema is created or migrated on first use.
    ``clock`` returns Unix seconds (tests move it forward to test expiry).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        room_ttl_seconds: float = config.ROOM_TTL_SECONDS,
        max_open_rooms: int = config.MAX_OPEN_ROOMS,
        max_students: int = config.MAX_STUDENTS_PER_ROOM,
        max_rounds: int = config.MAX_ROUNDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not room_ttl_seconds > 0:
            raise ValueError("room_ttl_seconds must be positive")
        for name, value in (("max_open_rooms", max_open_rooms), ("max_students", max_students),
                            ("max_rounds", max_rounds)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        self._read_engine, self._write_engine = prepare(engine)
        self.room_ttl_seconds = float(room_ttl_seconds)
        self.max_open_rooms = max_open_rooms
        self.max_students = max_students
        self.max_rounds = max_rounds
        self._clock = clock
        self._ready = False
        self._ready_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        return self._read_engine

    # -- plumbing ---------------------------------------------------------------------------

    def ensure_schema(self) -> int:
        """Create or migrate the schema now (otherwise done on first use); return its version."""
        with self._ready_lock, unavailable_as_store_error():
            try:
                with self._write_engine.begin() as conn:
                    version = ensure_schema(conn)
            except sa_exc.ProgrammingError as error:  # e.g. PostgreSQL: no CREATE privilege on the schema
                raise StoreUnavailable("The class-mode tables cannot be created or migrated with this database "
                                       f"user ({type(error.orig).__name__}).") from error
            self._ready = True
            return version

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Connection]:
        if not self._ready:
            self.ensure_schema()
        with unavailable_as_store_error(), (self._write_engine if write else self._read_engine).begin() as conn:
            yield conn

    def _room(self, conn: Connection, code: str, *, lock: Literal["none", "share", "update"] = "none") -> Any:
        """The room's row, locked as asked (PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the write lock)."""
        query = select(rooms).where(rooms.c.code == code)
        if lock == "update":
            query = query.with_for_update()
        elif lock == "share":
            query = query.with_for_update(read=True)
        row = conn.execute(query).one_or_none()
        if row is None:
            raise RoomNotFound(f"No class has the code {code}. Check it on the projector.")
        if row.expires_at <= self._clock():
            raise RoomExpired(f"Class {code} has expired.")
        return row

    def _teacher_room(self, conn: Connection, code: str, teacher_key: object, *,
                      lock: Literal["none", "update"] = "update") -> Any:
        row = self._room(conn, code, lock=lock)
        if not isinstance(teacher_key, str) or not 0 < len(teacher_key) <= _TEACHER_KEY_MAX_CHARS:
            raise NotTeacher("Only the teacher's link can do that.")
        if not hmac.compare_digest(hash_teacher_key(teacher_key), row.teacher_key_hash):
            raise NotTeacher("Only the teacher's link can do that.")
        return row

    def _joined(self, conn: Connection, code: str) -> int:
        return conn.execute(select(func.count()).select_from(students).where(students.c.room == code)).scalar_one()

    def _state(self, conn: Connection, row: Any) -> RoomState:
        return RoomState(code=row.code, question_id=row.question_id, phase=row.phase, round=row.round,
                         ended=bool(row.ended), joined=self._joined(conn, row.code),
                         created_at=row.created_at, expires_at=row.expires_at)

    # -- rooms ------------------------------------------------------------------------------

    def purge_expired(self) -> int:
        """Delete expired rooms with their students and votes; return how many rooms went."""
        now = self._clock()
        with self._transaction(write=True) as conn:
            expired = select(rooms.c.code).where(rooms.c.expires_at <= now).scalar_subquery()
            conn.execute(delete(votes).where(votes.c.room.in_(expired)))
            conn.execute(delete(students).where(students.c.room.in_(expired)))
            return conn.execute(delete(rooms).where(rooms.c.expires_at <= now)).rowcount

    def create_room(self, question_id: str) -> NewRoom:
        """Open a room on ``question_id`` (round 1, voting). Purges expired rooms first.

        Raises ``TooManyRooms`` when ``max_open_rooms`` rooms are open (not
        ended, not expired). The teacher key is returned once: only its hash is kept.
        """
        question_id = validate.question_id(question_id)
        self.purge_expired()
        teacher_key = secrets.token_urlsafe(_TEACHER_KEY_BYTES)
        with self._transaction(write=True) as conn:
            now = self._clock()
            # One room creation at a time (PostgreSQL row lock; SQLite holds the write lock already).
            conn.execute(select(schema_version.c.id).where(schema_version.c.id == 1).with_for_update())
            open_rooms = conn.execute(select(func.count()).select_from(rooms).where(
                and_(rooms.c.ended.is_(False), rooms.c.expires_at > now))).scalar_one()
            if open_rooms >= self.max_open_rooms:
                raise TooManyRooms(f"This server already runs {open_rooms} classes, its limit; "
                                   "end a class or try again later.")
            for _ in range(_CODE_ATTEMPTS):
                code = "".join(secrets.choice(validate.CODE_ALPHABET) for _ in range(validate.CODE_LENGTH))
                if conn.execute(select(rooms.c.code).where(rooms.c.code == code)).first() is None:
                    break
            else:  # pragma: no cover - 31**6 codes; needs ~max_open_rooms**20 bad luck
                raise TooManyRooms("No free room code found; try again.")
            conn.execute(insert(rooms).values(
                code=code, teacher_key_hash=hash_teacher_key(teacher_key), created_at=now,
                expires_at=now + self.room_ttl_seconds, question_id=question_id, phase="voting",
                round=1, ended=False))
        return NewRoom(code, teacher_key)

    def state(self, code: str) -> RoomState:
        """The room's current question, phase, round, ended flag and number joined."""
        code = validate.room_code(code)
        with self._transaction(write=False) as conn:
            return self._state(conn, self._room(conn, code))

    def is_teacher(self, code: str, teacher_key: object) -> bool:
        """Whether ``teacher_key`` is this room's (constant-time compare of hashes)."""
        code = validate.room_code(code)
        with self._transaction(write=False) as conn:
            row = self._room(conn, code)
        return (isinstance(teacher_key, str) and 0 < len(teacher_key) <= _TEACHER_KEY_MAX_CHARS
                and hmac.compare_digest(hash_teacher_key(teacher_key), row.teacher_key_hash))

    # -- students ---------------------------------------------------------------------------

    def join(self, code: str, name: str | None = None) -> str:
        """Add a student; return their new random id (keep it in the student's session only)."""
        code = validate.room_code(code)
        name = validate.display_name(name)
        student_id = secrets.token_urlsafe(validate.STUDENT_ID_BYTES)
        with self._transaction(write=True) as conn:
            row = self._room(conn, code, lock="update")
            if row.ended:
                raise RoomEnded(f"Class {code} has ended.")
            if self._joined(conn, code) >= self.max_students:
                raise RoomFull(f"Class {code} is full ({self.max_students} students).")
            conn.execute(insert(students).values(room=code, student_id=student_id, name=name,
                                                 joined_at=self._clock()))
        return student_id

    # -- votes ------------------------------------------------------------------------------

    def vote(self, code: str, student_id: str, question_id: str, round: int, choice: int, n_choices: int) -> None:
        """Record (or replace) the student's vote for this question and round.

        ``choice`` indexes the question's choices in bank order (0-based,
        before any display shuffle); ``n_choices`` is how many it has.
        Refused (``VoteRefused``) unless ``question_id``/``round`` are the
        room's current ones and the phase is voting; ``RoomEnded`` /
        ``RoomExpired`` / ``RoomNotFound`` for rooms that take no votes.
        Returns once the vote is committed.
        """
        code = validate.room_code(code)
        student_id = validate.student_id(student_id)
        question_id = validate.question_id(question_id)
        round = validate.whole_number(round, "Round", 1, self.max_rounds)
        choice = validate.choice(choice, n_choices)
        with self._transaction(write=True) as conn:
            room = self._room(conn, code, lock="share")  # a reveal waits for votes in flight, and vice versa
            if room.ended:
                raise RoomEnded(f"Class {code} has ended.")
            if question_id != room.question_id:
                raise VoteRefused("not_current_question", "The teacher has moved to another question.")
            if round != room.round:
                raise VoteRefused("not_current_round", f"Voting is on round {room.round} now.")
            if room.phase != "voting":
                raise VoteRefused("revealed", "The answer is revealed: voting on this round is closed.")
            known = conn.execute(select(students.c.student_id).where(
                and_(students.c.room == code, students.c.student_id == student_id))).first()
            if known is None:
                raise VoteRefused("unknown_student", "This phone is not in the class: join again.")
            upsert = dialect_insert(conn)(votes).values(room=code, question_id=question_id, round=round,
                                                        student_id=student_id, choice=choice,
                                                        updated_at=self._clock())
            conn.execute(upsert.on_conflict_do_update(
                index_elements=[votes.c.room, votes.c.question_id, votes.c.round, votes.c.student_id],
                set_={"choice": upsert.excluded.choice, "updated_at": upsert.excluded.updated_at}))

    def my_vote(self, code: str, student_id: str, question_id: str, round: int) -> int | None:
        """The student's recorded choice for this question and round, or None."""
        code = validate.room_code(code)
        student_id = validate.student_id(student_id)
        question_id = validate.question_id(question_id)
        round = validate.whole_number(round, "Round", 1, self.max_rounds)
        with self._transaction(write=False) as conn:
            self._room(conn, code)
            return conn.execute(select(votes.c.choice).where(and_(
                votes.c.room == code, votes.c.question_id == question_id, votes.c.round == round,
                votes.c.student_id == student_id))).scalar_one_or_none()

    def tallies(self, code: str, question_id: str, n_choices: int | None = None) -> Tally:
        """Votes per choice per round for one question, and how many voted in each round.

        Counts run over ``n_choices`` choices when given (zeros included),
        else up to the highest choice voted. Rounds: 1 up to the highest
        round voted or, on the current question, the current round.
        """
        code = validate.room_code(code)
        question_id = validate.question_id(question_id)
        if n_choices is not None:
            validate.whole_number(n_choices, "Number of choices", 1, validate.MAX_CHOICES)
        with self._transaction(write=False) as conn:
            room = self._room(conn, code)
            rows = conn.execute(
                select(votes.c.round, votes.c.choice, func.count().label("n"))
                .where(and_(votes.c.room == code, votes.c.question_id == question_id))
                .group_by(votes.c.round, votes.c.choice)).all()
        last_round = max([r.round for r in rows] + [room.round if room.question_id == question_id else 1])
        width = max([r.choice + 1 for r in rows] + [n_choices or 0])
        counts = {(r.round, r.choice): r.n for r in rows}
        return Tally(question_id, tuple(
            RoundTally(rnd, tuple(counts.get((rnd, c), 0) for c in range(width)),
                       sum(n for (r, _), n in counts.items() if r == rnd))
            for rnd in range(1, last_round + 1)))

    # -- teacher ----------------------------------------------------------------------------

    def _teacher_update(self, code: str, teacher_key: str,
                        change: Callable[[Any], dict[str, Any] | None]) -> RoomState:
        code = validate.room_code(code)
        with self._transaction(write=True) as conn:
            row = self._teacher_room(conn, code, teacher_key)
            values = change(row)
            if values:
                conn.execute(update(rooms).where(rooms.c.code == code).values(**values))
                row = self._room(conn, code)
            return self._state(conn, row)

    @staticmethod
    def _not_ended(row: Any) -> None:
        if row.ended:
            raise RoomEnded(f"Class {row.code} has ended.")

    def reveal(self, code: str, teacher_key: str) -> RoomState:
        """Close voting on the current round and show the answer (a second call changes nothing)."""
        def change(row: Any) -> dict[str, Any] | None:
            self._not_ended(row)
            return {"phase": "revealed"} if row.phase != "revealed" else None
        return self._teacher_update(code, teacher_key, change)

    def vote_again(self, code: str, teacher_key: str) -> RoomState:
        """Open the next round of the current question (round 2 sits beside round 1)."""
        def change(row: Any) -> dict[str, Any]:
            self._not_ended(row)
            if row.round >= self.max_rounds:
                raise ActionRefused(f"This question is already on its last round ({self.max_rounds}).")
            return {"round": row.round + 1, "phase": "voting"}
        return self._teacher_update(code, teacher_key, change)

    def next_question(self, code: str, teacher_key: str, question_id: str) -> RoomState:
        """Move the class to ``question_id``, round 1, voting (earlier votes on it, if any, stay)."""
        question_id = validate.question_id(question_id)

        def change(row: Any) -> dict[str, Any]:
            self._not_ended(row)
            return {"question_id": question_id, "round": 1, "phase": "voting"}
        return self._teacher_update(code, teacher_key, change)

    def end(self, code: str, teacher_key: str) -> RoomState:
        """End the class (no more joins or votes; tallies and export still work until it expires)."""
        return self._teacher_update(code, teacher_key, lambda row: None if row.ended else {"ended": True})

    def export_csv(self, code: str, teacher_key: str, *, include_names: bool = False,
                   choices: Mapping[str, Sequence[str]] | None = None) -> str:
        """The class's results as CSV: one row per question, round and choice.

        Columns: ``question_id, round, choice_index, choice_text, votes,
        voted_in_round`` and, only when ``include_names``, ``names`` (the
        named students who chose it, "; "-separated). Questions come in the
        order the class first voted on them. ``choices`` (question id -> the
        bank's choice texts) fills ``choice_text`` and adds the choices
        nobody picked. Cells that a spreadsheet would run as a formula get a
        leading apostrophe.
        """
        code = validate.room_code(code)
        if not isinstance(include_names, bool):
            raise BadInput("include_names: expected True or False.")
        with self._transaction(write=False) as conn:
            self._teacher_room(conn, code, teacher_key, lock="none")
            rows = conn.execute(
                select(votes.c.question_id, votes.c.round, votes.c.choice, votes.c.updated_at, students.c.name)
                .join(students, and_(students.c.room == votes.c.room, students.c.student_id == votes.c.student_id))
                .where(votes.c.room == code)).all()
        first_vote: dict[str, float] = {}
        per_choice: dict[tuple[str, int, int], list[str | None]] = {}
        per_round: dict[tuple[str, int], int] = {}
        for r in rows:
            first_vote[r.question_id] = min(first_vote.get(r.question_id, r.updated_at), r.updated_at)
            per_choice.setdefault((r.question_id, r.round, r.choice), []).append(r.name)
            per_round[(r.question_id, r.round)] = per_round.get((r.question_id, r.round), 0) + 1

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["question_id", "round", "choice_index", "choice_text", "votes", "voted_in_round"]
                        + (["names"] if include_names else []))
        for qid in sorted(first_vote, key=lambda q: (first_vote[q], q)):
            texts = list((choices or {}).get(qid, ()))
            for rnd in sorted({r for (q, r) in per_round if q == qid}):
                voted = {c for (q, r, c) in per_choice if q == qid and r == rnd}
                for c in sorted(voted | set(range(len(texts)))):
                    names = per_choice.get((qid, rnd, c), [])
                    line = [qid, rnd, c, _csv_cell(texts[c]) if c < len(texts) else "", len(names),
                            per_round[(qid, rnd)]]
                    if include_names:
                        line.append(_csv_cell("; ".join(sorted(n for n in names if n))))
                    writer.writerow(line)
        return out.getvalue()
