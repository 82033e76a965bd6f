"""Where class mode keeps its data, and its limits.

By default one SQLite file, ``data/classroom.sqlite`` in the repository
(``data/`` is git-ignored); ``OPTIMIZER_EXPLORER_CLASSROOM_DB`` names
another file. SQLite serves one machine: several ``streamlit run`` processes
there may share the file (WAL mode and a busy timeout, see
``classroom.db``), but it must be on a local disk, not a network share.

Several servers (or machines) share a PostgreSQL database instead, named in
``.streamlit/secrets.toml`` (never committed)::

    [connections.classroom]
    url = "postgresql+psycopg://USER:PASSWORD@HOST:5432/DBNAME?connect_timeout=5"
    # Test pooled connections before use, so a database restart costs no failed request:
    create_engine_kwargs = { pool_pre_ping = true }

The app then uses ``st.connection("classroom", type="sql")``
(``streamlit_engine`` below); the store creates its tables on first use.
The database role needs CREATE on its schema the first time (or run
``ClassStore(engine).ensure_schema()`` once as the owner).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import URL, Engine, create_engine

from classroom.errors import StoreUnavailable

ROOT = Path(__file__).resolve().parents[1]
DB_PATH_ENV = "OPTIMIZER_EXPLORER_CLASSROOM_DB"
DEFAULT_SQLITE_PATH = ROOT / "data" / "classroom.sqlite"
#: The ``st.connection`` name, i.e. the ``[connections.classroom]`` table of secrets.toml.
CONNECTION_NAME = "classroom"

ROOM_TTL_SECONDS = 12 * 3600
MAX_OPEN_ROOMS = 200
MAX_STUDENTS_PER_ROOM = 500
MAX_ROUNDS = 2  # "vote again" opens round 2 beside round 1


def sqlite_path() -> Path:
    """The SQLite file: ``$OPTIMIZER_EXPLORER_CLASSROOM_DB`` or ``data/classroom.sqlite``."""
    configured = os.environ.get(DB_PATH_ENV, "").strip()
    return Path(configured).expanduser().resolve() if configured else DEFAULT_SQLITE_PATH


def sqlite_url(path: Path | None = None) -> URL:
    return URL.create("sqlite", database=str(path or sqlite_path()))


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreUnavailable(f"Cannot create the folder for the class-mode database ({error.strerror}).") from error


def make_engine(url: str | URL | None = None) -> Engine:
    """An engine outside Streamlit (scripts, tests): ``url`` or the default SQLite file (folder made)."""
    if url is None:
        path = sqlite_path()
        _make_parent(path)
        url = sqlite_url(path)
    return create_engine(url, pool_pre_ping=True)


def streamlit_engine() -> Engine:
    """The engine of ``st.connection("classroom", type="sql")`` (the only Streamlit import in this package).

    Uses ``[connections.classroom]`` from secrets.toml when it is there;
    otherwise the SQLite file. (A ``url=`` keyword would override secrets.toml,
    so it is passed only when secrets.toml has no such table.)
    """
    import streamlit as st

    configured = False
    if st.secrets.load_if_toml_exists():
        connections = st.secrets.get("connections", {})
        configured = CONNECTION_NAME in connections
    if configured:
        return st.connection(CONNECTION_NAME, type="sql").engine
    path = sqlite_path()
    _make_parent(path)
    return st.connection(CONNECTION_NAME, type="sql",
                         url=sqlite_url(path).render_as_string(hide_password=False)).engine
