"""Class mode's storage (classroom/), on real databases: an SQLite file and a PostgreSQL server.

Every store test runs on both. PostgreSQL comes from
``OPTIMIZER_EXPLORER_TEST_POSTGRES_URL`` (``.ci/run`` starts a local server and
sets it); without it those runs are skipped, except in CI (``CI=true``), where
they fail. Each PostgreSQL test gets a schema of its own, dropped afterwards.
Nothing here mocks the database.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import URL, Engine, create_engine, func, make_url, select, update
from sqlalchemy.schema import CreateSchema, DropSchema

from classroom import (
    ActionRefused,
    BadInput,
    ClassStore,
    NotTeacher,
    RoomEnded,
    RoomExpired,
    RoomFull,
    RoomNotFound,
    SchemaTooNew,
    StoreUnavailable,
    TooManyRooms,
    VoteRefused,
    config,
    schema,
)
from classroom.limits import RateLimited, RateLimiter, code_try_limiter, write_limiter
from classroom.qr import join_url, qr_svg
from classroom.validate import CODE_ALPHABET, room_code

POSTGRES_URL_ENV = "OPTIMIZER_EXPLORER_TEST_POSTGRES_URL"
Q1, Q2 = "q1_adam_high_learning_rate", "q2_rmsprop_first_step"
N = 4  # choices per question in these tests


class Clock:
    """A clock the tests move forward (Unix seconds)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _postgres_url_or_skip() -> str:
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {POSTGRES_URL_ENV} is not set: .ci/run should have started PostgreSQL "
                    "and exported it.")
    pytest.skip(f"PostgreSQL run skipped: set {POSTGRES_URL_ENV}=postgresql+psycopg://USER:PASS@HOST:PORT/DB "
                "(.ci/run does) to run the class-mode store tests on PostgreSQL too.")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[URL]:
    """A fresh, empty database: an SQLite file, or a new schema in the test PostgreSQL database."""
    if request.param == "sqlite":
        yield config.sqlite_url(tmp_path / "classroom.sqlite")
        return
    base = make_url(_postgres_url_or_skip())
    name = "classroom_test_" + secrets.token_hex(6)
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(CreateSchema(name))
        yield base.update_query_dict({"options": f"-csearch_path={name}"})
        with admin.begin() as conn:
            conn.execute(DropSchema(name, cascade=True))
    finally:
        admin.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_store(db_url: URL, clock: Clock) -> Iterator[Callable[..., ClassStore]]:
    """New engine + ClassStore on the test database each call (a second call is a second server)."""
    engines: list[Engine] = []

    def make(**kwargs) -> ClassStore:
        engine = create_engine(db_url)
        engines.append(engine)
        kwargs.setdefault("clock", clock)
        return ClassStore(engine, **kwargs)

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def store(make_store) -> ClassStore:
    return make_store()


def count_rows(store: ClassStore, table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


# -- the basic flow -------------------------------------------------------------------------------


def test_create_join_vote_tally(store: ClassStore):
    code, key = store.create_room(Q1)
    assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
    assert len(key) >= 43  # token_urlsafe(32): 256 bits
    state = store.state(code)
    assert (state.question_id, state.phase, state.round, state.ended, state.joined) == (Q1, "voting", 1, False, 0)

    ann, bob, cem = store.join(code, "Ann"), store.join(code, None), store.join(code.lower(), "")
    assert len({ann, bob, cem}) == 3
    assert store.state(code).joined == 3
    store.vote(code, ann, Q1, 1, 2, N)
    store.vote(code, bob, Q1, 1, 2, N)
    store.vote(code, cem, Q1, 1, 0, N)

    tally = store.tallies(code, Q1, N)
    assert tally.question_id == Q1
    assert [(r.round, r.counts, r.voted) for r in tally.rounds] == [(1, (1, 0, 2, 0), 3)]
    assert store.my_vote(code, ann, Q1, 1) == 2
    assert store.my_vote(code, ann, Q1, 2) is None
    # Without n_choices the counts run up to the highest choice voted.
    assert store.tallies(code, Q1).rounds[0].counts == (1, 0, 2)
    # Another question: no votes yet, round 1 of zeros.
    assert store.tallies(code, Q2, 3).rounds[0].counts == (0, 0, 0)


def test_revote_in_same_round_replaces(store: ClassStore):
    code, _ = store.create_room(Q1)
    ann = store.join(code, "Ann")
    for choice in (0, 3, 1, 1):
        store.vote(code, ann, Q1, 1, choice, N)
    round_1 = store.tallies(code, Q1, N).round(1)
    assert round_1.counts == (0, 1, 0, 0) and round_1.voted == 1
    assert count_rows(store, schema.votes) == 1


def test_teacher_flow_reveal_vote_again_next_end(store: ClassStore):
    code, key = store.create_room(Q1)
    ann, bob = store.join(code, "Ann"), store.join(code, "Bob")
    store.vote(code, ann, Q1, 1, 0, N)
    store.vote(code, bob, Q1, 1, 1, N)

    assert store.reveal(code, key).phase == "revealed"
    assert store.reveal(code, key).phase == "revealed"  # a double click changes nothing
    with pytest.raises(VoteRefused) as refused:
        store.vote(code, ann, Q1, 1, 1, N)
    assert refused.value.reason == "revealed"

    state = store.vote_again(code, key)
    assert (state.round, state.phase) == (2, "voting")
    with pytest.raises(VoteRefused) as refused:
        store.vote(code, ann, Q1, 1, 3, N)  # round 1 is over
    assert refused.value.reason == "not_current_round"
    store.vote(code, ann, Q1, 2, 1, N)
    tally = store.tallies(code, Q1, N)
    assert [(r.round, r.counts, r.voted) for r in tally.rounds] == [(1, (1, 1, 0, 0), 2), (2, (0, 1, 0, 0), 1)]
    with pytest.raises(ActionRefused):
        store.vote_again(code, key)  # max_rounds = 2

    state = store.next_question(code, key, Q2)
    assert (state.question_id, state.round, state.phase) == (Q2, 1, "voting")
    with pytest.raises(VoteRefused) as refused:
        store.vote(code, bob, Q1, 2, 0, N)
    assert refused.value.reason == "not_current_question"
    store.vote(code, bob, Q2, 1, 2, 3)

    assert store.end(code, key).ended
    assert store.end(code, key).ended  # idempotent
    for action in (lambda: store.reveal(code, key), lambda: store.vote_again(code, key),
                   lambda: store.next_question(code, key, Q1), lambda: store.join(code, "Late"),
                   lambda: store.vote(code, bob, Q2, 1, 0, 3)):
        with pytest.raises(RoomEnded):
            action()
    # Results stay readable after the end.
    assert store.tallies(code, Q2, 3).round(1).counts == (0, 0, 1)
    assert "q2_rmsprop_first_step,1,2" in store.export_csv(code, key)


# -- who may do what -------------------------------------------------------------------------------


def test_wrong_teacher_key_cannot_reveal_advance_export_or_end(store: ClassStore):
    code, key = store.create_room(Q1)
    other_code, other_key = store.create_room(Q1)
    before = store.state(code)
    bad_keys = [other_key, key + "x", key[:-1], "", None, 12345, secrets.token_urlsafe(32), "k" * 10_000, "\ud800"]
    for bad in bad_keys:
        for action in (lambda k: store.reveal(code, k), lambda k: store.vote_again(code, k),
                       lambda k: store.next_question(code, k, Q2), lambda k: store.end(code, k),
                       lambda k: store.export_csv(code, k, include_names=True)):
            with pytest.raises(NotTeacher):
                action(bad)
        assert not store.is_teacher(code, bad)
    assert store.state(code) == before
    assert store.is_teacher(code, key) and store.is_teacher(other_code, other_key)


def test_teacher_key_is_stored_only_as_a_hash(store: ClassStore):
    code, key = store.create_room(Q1)
    with store.engine.connect() as conn:
        row = conn.execute(select(schema.rooms).where(schema.rooms.c.code == code)).one()
    assert key not in [str(v) for v in row]
    assert len(row.teacher_key_hash) == 64 and row.teacher_key_hash != key


def test_forged_student_id_cannot_vote(store: ClassStore):
    code, _ = store.create_room(Q1)
    other_code, _ = store.create_room(Q1)
    outsider = store.join(other_code, "Eve")
    for forged in (secrets.token_urlsafe(16), outsider):
        with pytest.raises(VoteRefused) as refused:
            store.vote(code, forged, Q1, 1, 0, N)
        assert refused.value.reason == "unknown_student"
    for malformed in ("", "x", "a" * 23, "a" * 21 + "!", None, 7):
        with pytest.raises(BadInput):
            store.vote(code, malformed, Q1, 1, 0, N)
    assert store.tallies(code, Q1, N).round(1).voted == 0


def test_names_are_stored_as_given_stripped_and_at_most_24_chars(store: ClassStore):
    code, key = store.create_room(Q1)
    given = ["<b>Ann</b> & 'co'", "  Bob  ", "x" * 24, "Zoë 🙂", '=HYPERLINK("x")']
    ids = [store.join(code, name) for name in given]
    for sid in ids:
        store.vote(code, sid, Q1, 1, 0, N)
    with store.engine.connect() as conn:
        stored = set(conn.execute(select(schema.students.c.name)).scalars())
    assert stored == {"<b>Ann</b> & 'co'", "Bob", "x" * 24, "Zoë 🙂", '=HYPERLINK("x")'}
    for bad in ("y" * 25, "  " + "y" * 25 + "  ", "a\nb", "tab\there", "nul\x00", 42):
        with pytest.raises(BadInput):
            store.join(code, bad)
    assert store.state(code).joined == len(given)
    assert store.join(code, "   ") and store.join(code, " " + "z" * 24 + " ")  # blank = no name; strip first


# -- refused votes, expiry, limits --------------------------------------------------------------------


def test_votes_refused_outside_the_current_question_round_and_phase(store: ClassStore, clock: Clock):
    code, key = store.create_room(Q1)
    ann = store.join(code, "Ann")
    with pytest.raises(VoteRefused) as refused:
        store.vote(code, ann, Q2, 1, 0, N)
    assert refused.value.reason == "not_current_question"
    with pytest.raises(VoteRefused) as refused:
        store.vote(code, ann, Q1, 2, 0, N)
    assert refused.value.reason == "not_current_round"
    for bad_choice, n_choices in ((4, 4), (-1, 4), (True, 4), (1.0, 4), ("1", 4), (0, 0), (0, 27), (0, None)):
        with pytest.raises(BadInput):
            store.vote(code, ann, Q1, 1, bad_choice, n_choices)
    for bad_round in (0, 3, True, "1"):
        with pytest.raises(BadInput):
            store.vote(code, ann, Q1, bad_round, 0, N)
    with pytest.raises(RoomNotFound):
        store.vote("ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY", ann, Q1, 1, 0, N)
    clock.now += store.room_ttl_seconds + 1
    with pytest.raises(RoomExpired):
        store.vote(code, ann, Q1, 1, 0, N)
    with pytest.raises(RoomExpired):
        store.tallies(code, Q1, N)
    with pytest.raises(RoomExpired):
        store.reveal(code, key)


def test_input_validation(store: ClassStore):
    for bad_code in ("", "ABC", "ABCDEFG", "ABC10O", "ABCIL2", None, 123456):
        with pytest.raises(BadInput):
            store.state(bad_code)
        with pytest.raises(BadInput):
            store.join(bad_code, "Ann")
    for bad_qid in ("", "has space", "semi;colon", "x" * 101, None, "'; DROP TABLE classroom_rooms; --"):
        with pytest.raises(BadInput):
            store.create_room(bad_qid)
    assert room_code(" abc-234 ") == "ABC234"
    with pytest.raises(RoomNotFound):
        store.state("ABC234")
    code, key = store.create_room(Q1)
    with pytest.raises(BadInput):
        store.next_question(code, key, "bad id")
    with pytest.raises(BadInput):
        store.export_csv(code, key, include_names="yes")
    with pytest.raises(BadInput):
        store.tallies(code, Q1, 0)


def test_expiry_and_purge(store: ClassStore, clock: Clock):
    old_code, _ = store.create_room(Q1)
    sid = store.join(old_code, "Ann")
    store.vote(old_code, sid, Q1, 1, 1, N)
    clock.now += 6 * 3600
    young_code, _ = store.create_room(Q1)
    store.join(young_code, "Bob")
    assert store.purge_expired() == 0

    clock.now += 6 * 3600 + 1  # the first room is 12 h + 1 s old, the second 6 h + 1 s
    with pytest.raises(RoomExpired):
        store.state(old_code)
    with pytest.raises(RoomExpired):
        store.join(old_code, "Late")
    assert store.state(young_code).joined == 1
    assert store.purge_expired() == 1
    with pytest.raises(RoomNotFound):
        store.state(old_code)
    assert (count_rows(store, schema.rooms), count_rows(store, schema.students), count_rows(store, schema.votes)) \
        == (1, 1, 0)

    clock.now += 6 * 3600
    store.create_room(Q2)  # purges on the way
    with pytest.raises(RoomNotFound):
        store.state(young_code)
    assert count_rows(store, schema.rooms) == 1 and count_rows(store, schema.students) == 0


def test_expiry_is_configurable(make_store, clock: Clock):
    store = make_store(room_ttl_seconds=60)
    code, _ = store.create_room(Q1)
    assert store.state(code).expires_at - store.state(code).created_at == 60
    clock.now += 61
    with pytest.raises(RoomExpired):
        store.state(code)


def test_open_room_limit(make_store, clock: Clock):
    store = make_store(max_open_rooms=2)
    first, first_key = store.create_room(Q1)
    store.create_room(Q1)
    with pytest.raises(TooManyRooms):
        store.create_room(Q1)
    store.end(first, first_key)  # an ended room no longer counts
    third, _ = store.create_room(Q1)
    with pytest.raises(TooManyRooms):
        store.create_room(Q1)
    clock.now += store.room_ttl_seconds + 1  # expired rooms don't count (and are purged)
    store.create_room(Q1)
    with pytest.raises(RoomNotFound):
        store.state(third)


def test_student_limit(make_store):
    store = make_store(max_students=3)
    code, _ = store.create_room(Q1)
    for i in range(3):
        store.join(code, f"S{i}")
    with pytest.raises(RoomFull):
        store.join(code, "One too many")
    assert store.state(code).joined == 3
    assert ClassStore.__init__.__kwdefaults__["max_students"] == 500


# -- concurrency and durability -------------------------------------------------------------------------


def test_concurrent_double_votes_never_double_count(store: ClassStore):
    code, _ = store.create_room(Q1)
    students = [store.join(code, f"S{i}") for i in range(12)]
    barrier = threading.Barrier(8)

    def double_click(sid: str, choice: int) -> None:
        barrier.wait(timeout=30)
        store.vote(code, sid, Q1, 1, choice, N)

    # One student "clicks" 8 times at once (like a retried request), with different choices.
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(double_click, [students[0]] * 8, [i % N for i in range(8)]))
    round_1 = store.tallies(code, Q1, N).round(1)
    assert round_1.voted == 1 and sum(round_1.counts) == 1

    # Twelve students, each voting three times, all at once.
    jobs = [(sid, (i + k) % N) for i, sid in enumerate(students) for k in range(3)]

    def vote(job: tuple[str, int]) -> None:
        store.vote(code, job[0], Q1, 1, job[1], N)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(vote, jobs))
    round_1 = store.tallies(code, Q1, N).round(1)
    assert round_1.voted == 12 and sum(round_1.counts) == 12
    assert count_rows(store, schema.votes) == 12
    # Each student's recorded choice is one of the ones they sent last.
    for i, sid in enumerate(students):
        assert store.my_vote(code, sid, Q1, 1) in {(i + k) % N for k in range(3)}


def test_concurrent_joins_respect_the_student_limit(make_store):
    store = make_store(max_students=5)
    code, _ = store.create_room(Q1)
    barrier = threading.Barrier(12)

    def join(i: int) -> str:
        barrier.wait(timeout=30)
        try:
            store.join(code, f"S{i}")
            return "joined"
        except RoomFull:
            return "full"

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(join, range(12)))
    assert outcomes.count("joined") == 5 and outcomes.count("full") == 7
    assert store.state(code).joined == 5


def test_acknowledged_vote_is_durable_for_a_second_server(make_store):
    first = make_store()
    code, key = first.create_room(Q1)
    ann = first.join(code, "Ann")
    first.vote(code, ann, Q1, 1, 3, N)
    first.engine.dispose()  # the first server goes away

    second = make_store()  # a new engine and store on the same database
    assert second.tallies(code, Q1, N).round(1).counts == (0, 0, 0, 1)
    assert second.my_vote(code, ann, Q1, 1) == 3
    second.vote(code, ann, Q1, 1, 0, N)  # the student's next request lands on the other server
    assert second.is_teacher(code, key)
    assert second.reveal(code, key).phase == "revealed"


# -- schema versioning ------------------------------------------------------------------------------------


def test_schema_version_recorded_and_reopen_does_not_recreate(make_store, monkeypatch):
    first = make_store()
    assert first.ensure_schema() == schema.latest_version() == 1
    code, _ = first.create_room(Q1)
    sid = first.join(code, "Ann")
    first.vote(code, sid, Q1, 1, 2, N)
    with first.engine.connect() as conn:
        assert conn.execute(select(schema.schema_version.c.id, schema.schema_version.c.version)).all() == [(1, 1)]

    def must_not_run(conn):
        raise AssertionError("migration 1 ran again on an existing database")

    monkeypatch.setitem(schema.MIGRATIONS, 1, must_not_run)
    reopened = make_store()
    assert reopened.state(code).joined == 1
    assert reopened.tallies(code, Q1, N).round(1).counts == (0, 0, 1, 0)
    assert count_rows(reopened, schema.schema_version) == 1


def test_a_later_migration_runs_once(make_store, monkeypatch):
    first = make_store()
    code, _ = first.create_room(Q1)
    calls: list[int] = []

    def to_2(conn):
        calls.append(2)
        conn.execute(update(schema.rooms).values(phase="revealed"))  # stands for a real data migration

    monkeypatch.setitem(schema.MIGRATIONS, 2, to_2)
    assert make_store().ensure_schema() == 2
    assert make_store().state(code).phase == "revealed"  # migrated
    assert calls == [2]  # the third store found version 2 and did nothing
    with first.engine.connect() as conn:
        assert conn.execute(select(schema.schema_version.c.version)).scalar_one() == 2


def test_a_database_from_a_newer_app_is_refused(make_store):
    store = make_store()
    store.ensure_schema()
    with store.engine.begin() as conn:
        conn.execute(update(schema.schema_version).values(version=99))
    with pytest.raises(SchemaTooNew):
        make_store().state("ABC234")


# -- export ------------------------------------------------------------------------------------------------


def test_export_csv_counts_per_question_round_and_names_only_when_asked(store: ClassStore, clock: Clock):
    code, key = store.create_room(Q2)
    ann, bob, anon = store.join(code, "Ann"), store.join(code, "=cmd|' /C calc'!A0"), store.join(code)
    store.vote(code, ann, Q2, 1, 0, 3)
    store.vote(code, bob, Q2, 1, 0, 3)
    store.vote(code, anon, Q2, 1, 2, 3)
    store.reveal(code, key)
    store.vote_again(code, key)
    store.vote(code, ann, Q2, 2, 1, 3)
    clock.now += 1
    store.next_question(code, key, Q1)
    store.vote(code, bob, Q1, 1, 3, N)

    choices = {Q2: ["Tiny step", "=SUM(A1)", "Huge step"], Q1: ["a", "b", "c", "d"]}
    plain = list(csv.reader(io.StringIO(store.export_csv(code, key, choices=choices))))
    assert plain[0] == ["question_id", "round", "choice_index", "choice_text", "votes", "voted_in_round"]
    assert plain[1:] == [
        [Q2, "1", "0", "Tiny step", "2", "3"],
        [Q2, "1", "1", "'=SUM(A1)", "0", "3"],
        [Q2, "1", "2", "Huge step", "1", "3"],
        [Q2, "2", "0", "Tiny step", "0", "1"],
        [Q2, "2", "1", "'=SUM(A1)", "1", "1"],
        [Q2, "2", "2", "Huge step", "0", "1"],
        [Q1, "1", "0", "a", "0", "1"],
        [Q1, "1", "1", "b", "0", "1"],
        [Q1, "1", "2", "c", "0", "1"],
        [Q1, "1", "3", "d", "1", "1"],
    ]
    text = store.export_csv(code, key)
    assert "Ann" not in text and "calc" not in text

    named = list(csv.reader(io.StringIO(store.export_csv(code, key, include_names=True))))
    assert named[0][-1] == "names"
    by_key = {(r[0], r[1], r[2]): r for r in named[1:]}
    assert len(named) == 1 + 4  # without choice texts: only the choices someone picked
    assert by_key[(Q2, "1", "0")][-1] == "'=cmd|' /C calc'!A0; Ann"
    assert by_key[(Q2, "1", "2")][-1] == ""  # the anonymous student is counted, not named
    assert by_key[(Q2, "2", "1")][-1] == "Ann"


# -- a database that is down ------------------------------------------------------------------------------


def test_sqlite_in_a_missing_folder_raises_store_unavailable(tmp_path):
    engine = create_engine(config.sqlite_url(tmp_path / "no" / "such" / "dir" / "classroom.sqlite"))
    store = ClassStore(engine)  # constructing never touches the database
    for action in (lambda: store.create_room(Q1), lambda: store.state("ABC234"), store.ensure_schema):
        with pytest.raises(StoreUnavailable, match="down, locked or not writable"):
            action()
    engine.dispose()


def test_locked_sqlite_raises_store_unavailable_after_the_busy_timeout(tmp_path):
    path = tmp_path / "classroom.sqlite"
    engine = create_engine(config.sqlite_url(path))
    store = ClassStore(engine)
    code, _ = store.create_room(Q1)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock for > 5 s
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            store.join(code, "Ann")
        assert time.monotonic() - started >= 4.5  # it waited the busy timeout first
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.join(code, "Ann")  # and works again once the lock is gone
    engine.dispose()


def test_postgresql_on_a_closed_port_raises_store_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free once closed: nothing listens there
    engine = create_engine(URL.create("postgresql+psycopg", username="nobody", password="x",
                                      host="127.0.0.1", port=port, database="nothing",
                                      query={"connect_timeout": "3"}))
    store = ClassStore(engine)
    with pytest.raises(StoreUnavailable):
        store.create_room(Q1)
    with pytest.raises(StoreUnavailable):
        store.state("ABC234")
    engine.dispose()


def test_only_sqlite_files_and_postgresql_are_accepted():
    with pytest.raises(BadInput):
        ClassStore(create_engine("sqlite://"))  # in-memory: one database per connection
    with pytest.raises(ValueError):
        ClassStore(create_engine("sqlite:////tmp/x.sqlite"), max_students=0)


# -- config, QR code, rate limits -----------------------------------------------------------------------------


def test_config_default_path_and_environment_override(tmp_path, monkeypatch):
    monkeypatch.delenv(config.DB_PATH_ENV, raising=False)
    assert config.sqlite_path() == config.ROOT / "data" / "classroom.sqlite"
    target = tmp_path / "elsewhere" / "class.sqlite"
    monkeypatch.setenv(config.DB_PATH_ENV, str(target))
    assert config.sqlite_path() == target
    engine = config.make_engine()
    try:
        assert target.parent.is_dir()
        store = ClassStore(engine)
        code, _ = store.create_room(Q1)
        assert store.state(code).joined == 0
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        engine.dispose()


_STREAMLIT_ENGINE_PROBE = """
from classroom.config import streamlit_engine
from classroom import ClassStore
engine = streamlit_engine()
store = ClassStore(engine)
code, _ = store.create_room("q1")
print("URL", engine.url.database, store.state(code).phase)
"""


@pytest.mark.parametrize("with_secrets", [False, True])
def test_streamlit_engine_uses_secrets_when_configured_else_the_sqlite_file(tmp_path, with_secrets):
    """In a fresh process (st.secrets is a process-wide singleton): secrets.toml wins over the default file."""
    default_file, configured_file = tmp_path / "default" / "c.sqlite", tmp_path / "configured.sqlite"
    if with_secrets:
        (tmp_path / ".streamlit").mkdir()
        (tmp_path / ".streamlit" / "secrets.toml").write_text(
            f'[connections.classroom]\nurl = "sqlite:///{configured_file}"\n')
    env = {**os.environ, config.DB_PATH_ENV: str(default_file), "PYTHONPATH": str(config.ROOT)}
    done = subprocess.run([sys.executable, "-c", _STREAMLIT_ENGINE_PROBE], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    expected = configured_file if with_secrets else default_file
    assert f"URL {expected} voting" in done.stdout
    assert expected.exists() and (default_file.exists() is not with_secrets)


def test_data_folder_is_git_ignored():
    ignored = (config.ROOT / ".gitignore").read_text().splitlines()
    assert "data/" in ignored


def test_join_url_and_qr_code():
    assert join_url("https://class.example.org:8501/", "abc-234") == "https://class.example.org:8501/?room=ABC234"
    assert join_url("http://localhost:8501/app/", "ABC234", path="join") == "http://localhost:8501/app/join?room=ABC234"
    for bad in ("javascript:alert(1)", "ftp://host/", "//host/", "https://user:pw@host/", "not a url", None):
        with pytest.raises(BadInput):
            join_url(bad, "ABC234")
    with pytest.raises(BadInput):
        join_url("https://host/", "ABC10O")
    svg = qr_svg(join_url("https://host/", "ABC234"))
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "http" not in svg.split(">", 1)[0] and "<script" not in svg and "href" not in svg
    responsive = qr_svg("https://host/?room=ABC234", responsive=True)
    assert "viewBox" in responsive and "width=" not in responsive.split(">", 1)[0]
    with pytest.raises(BadInput):
        qr_svg("")


def test_rate_limiter_token_buckets():
    clock = Clock()
    limiter = RateLimiter(rate=5, capacity=5, clock=clock)
    assert [limiter.allow("a") for _ in range(6)] == [True] * 5 + [False]
    assert limiter.allow("b")  # buckets are per key
    clock.now += 0.2  # one token back
    assert limiter.allow("a") and not limiter.allow("a")
    with pytest.raises(RateLimited) as limited:
        limiter.check("a")
    assert 0 < limited.value.retry_after <= 0.2
    limiter.forget("a")
    assert limiter.allow("a")

    tries = code_try_limiter(clock=clock)
    assert sum(tries.allow("s") for _ in range(20)) == 10
    clock.now += 6  # 10 per minute: one more after 6 s
    assert tries.allow("s") and not tries.allow("s")
    writes = write_limiter(clock=clock)
    assert sum(writes.allow("s") for _ in range(20)) == 5

    small = RateLimiter(rate=1, capacity=1, max_keys=3, clock=clock)
    for key in "wxyz":
        small.allow(key)
    assert len(small._buckets) == 3  # memory stays bounded
