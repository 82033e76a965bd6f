"""Engine plumbing shared by the store: SQLite set-up, dialect upserts, error mapping.

SQLite, so that two server processes can share one file:

- ``PRAGMA busy_timeout``: a writer waits up to 5 s for another's lock
  instead of failing at once with "database is locked";
- ``PRAGMA journal_mode = WAL``: readers never block the writer nor it them;
- ``PRAGMA foreign_keys = ON``: the schema's foreign keys are enforced;
- SQLAlchemy emits ``BEGIN`` itself (the recipe in SQLAlchemy's SQLite docs),
  ``BEGIN IMMEDIATE`` for the store's write transactions: a writer takes the
  write lock before it reads, so "read the count, then insert" cannot race
  and never dead-ends in SQLITE_BUSY half-way through a transaction.

The listeners go on whatever engine the store is given (also one that
``st.connection`` made), once per engine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Connection, Engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from classroom.errors import BadInput, StoreUnavailable

SQLITE_BUSY_TIMEOUT_MS = 5000
#: Execution option that marks a store write transaction (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "classroom_write"
SUPPORTED_DIALECTS = ("sqlite", "postgresql")


def _sqlite_on_connect(dbapi_connection, _connection_record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (see _sqlite_on_begin)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 5000")  # = SQLITE_BUSY_TIMEOUT_MS
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def prepare(engine: Engine) -> tuple[Engine, Engine]:
    """Check the dialect, install the SQLite listeners once; return (read engine, write engine)."""
    name = engine.dialect.name
    if name not in SUPPORTED_DIALECTS:
        raise BadInput(f"Class mode needs SQLite or PostgreSQL, not {name!r}.")
    if name == "sqlite":
        if engine.url.database in (None, "", ":memory:"):
            raise BadInput("Class mode needs an SQLite file (an in-memory database is one per connection).")
        if not event.contains(engine, "connect", _sqlite_on_connect):
            event.listen(engine, "connect", _sqlite_on_connect)
        if not event.contains(engine, "begin", _sqlite_on_begin):
            event.listen(engine, "begin", _sqlite_on_begin)
    return engine, engine.execution_options(**{WRITE_OPTION: True})


def dialect_insert(engine_or_conn: Engine | Connection):
    """The dialect's ``insert`` (which has ``on_conflict_do_update``)."""
    return postgresql.insert if engine_or_conn.dialect.name == "postgresql" else sqlite.insert


@contextlib.contextmanager
def unavailable_as_store_error() -> Iterator[None]:
    """Turn "cannot reach / open / lock / write the database" into ``StoreUnavailable``.

    OperationalError: down, refused, locked, read-only file, disk full;
    InterfaceError: connection lost; InternalError: e.g. a read-only
    PostgreSQL standby. Integrity and programming errors are bugs: they pass.
    """
    try:
        yield
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.InternalError) as error:
        raise StoreUnavailable(
            "The class-mode database is down, locked or not writable; try again in a moment. "
            f"({type(error.orig).__name__ if error.orig is not None else type(error).__name__})"
        ) from error
    except sa_exc.TimeoutError as error:  # the connection pool is exhausted
        raise StoreUnavailable("The class-mode database is busy; try again in a moment.") from error
