"""The class-mode tables and their versioned migrations.

The database records its schema version in ``classroom_schema_version`` (one
row). ``MIGRATIONS[v]`` takes a database at version ``v - 1`` to version
``v``; ``ensure_schema`` runs the missing ones in order, in one transaction,
under a lock, so two servers starting together migrate once.

To change the schema later: edit the table definitions below to the new
shape, add ``MIGRATIONS[2] = _migrate_to_2`` that alters a version-1 database
into it (SQLAlchemy DDL constructs, no formatted SQL), and leave
``_migrate_to_1`` creating the version-1 tables exactly as they were (copy
their old definitions into it if they change).

Times are Unix seconds (floats), the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Double,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
    insert,
    select,
    update,
)

from classroom.errors import SchemaTooNew
from classroom.validate import CODE_LENGTH, NAME_MAX_CHARS, QUESTION_ID_MAX_CHARS

PHASES = ("voting", "revealed")
# The PostgreSQL advisory lock every schema check takes (any constant; "CLAS" in ASCII).
_PG_SCHEMA_LOCK = 0x434C4153

version_metadata = MetaData()
metadata = MetaData()

schema_version = Table(
    "classroom_schema_version",
    version_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1: one row
    Column("version", Integer, nullable=False),
    CheckConstraint("id = 1", name="ck_classroom_schema_version_one_row"),
)

rooms = Table(
    "classroom_rooms",
    metadata,
    Column("code", String(CODE_LENGTH), primary_key=True),
    Column("teacher_key_hash", String(64), nullable=False),  # hex SHA-256 of the teacher key
    Column("created_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("question_id", String(QUESTION_ID_MAX_CHARS), nullable=False),  # the current question
    Column("phase", String(16), nullable=False),
    Column("round", Integer, nullable=False),
    Column("ended", Boolean, nullable=False),
    CheckConstraint("phase IN ('voting', 'revealed')", name="ck_classroom_rooms_phase"),
    CheckConstraint("round >= 1", name="ck_classroom_rooms_round"),
    Index("ix_classroom_rooms_expires_at", "expires_at"),
)

students = Table(
    "classroom_students",
    metadata,
    Column("room", String(CODE_LENGTH), nullable=False),
    Column("student_id", String(32), nullable=False),
    Column("name", String(NAME_MAX_CHARS), nullable=True),
    Column("joined_at", Double, nullable=False),
    PrimaryKeyConstraint("room", "student_id", name="pk_classroom_students"),
    ForeignKeyConstraint(["room"], ["classroom_rooms.code"], name="fk_classroom_students_room"),
)

votes = Table(
    "classroom_votes",
    metadata,
    Column("room", String(CODE_LENGTH), nullable=False),
    Column("question_id", String(QUESTION_ID_MAX_CHARS), nullable=False),
    Column("round", Integer, nullable=False),
    Column("student_id", String(32), nullable=False),
    Column("choice", Integer, nullable=False),
    Column("updated_at", Double, nullable=False),
    # One vote per (room, question, round, student): the upsert's conflict target.
    PrimaryKeyConstraint("room", "question_id", "round", "student_id", name="uq_classroom_votes_one_per_round"),
    ForeignKeyConstraint(["room", "student_id"], ["classroom_students.room", "classroom_students.student_id"],
                         name="fk_classroom_votes_student"),
    CheckConstraint("choice >= 0", name="ck_classroom_votes_choice"),
    CheckConstraint("round >= 1", name="ck_classroom_votes_round"),
)

#: Conflict target of the vote upsert.
VOTE_KEY = ("room", "question_id", "round", "student_id")


def _migrate_to_1(conn: Connection) -> None:
    """Version 1: rooms, students, votes."""
    metadata.create_all(conn, checkfirst=True)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _migrate_to_1,
}


def latest_version() -> int:
    return max(MIGRATIONS)


def ensure_schema(conn: Connection) -> int:
    """Bring the database to ``latest_version()`` inside the caller's (write) transaction; return it.

    Takes a lock first (PostgreSQL: a transaction advisory lock; SQLite: the
    caller's ``BEGIN IMMEDIATE``), so concurrent servers migrate one at a time
    and the second one finds the work done.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_PG_SCHEMA_LOCK)))
    version_metadata.create_all(conn, checkfirst=True)
    found = conn.execute(select(schema_version.c.version).where(schema_version.c.id == 1)).scalar_one_or_none()
    if found is None:
        conn.execute(insert(schema_version).values(id=1, version=0))
        found = 0
    target = latest_version()
    if found > target:
        raise SchemaTooNew(f"The class-mode database has schema version {found}; this app knows up to {target}. "
                           "Update the app, or point it at another database.")
    for version in range(found + 1, target + 1):
        MIGRATIONS[version](conn)
        conn.execute(update(schema_version).where(schema_version.c.id == 1).values(version=version))
    return target
