"""A voting class from start to end: servers up, the teacher's projector, students join, vote, follow; the count.

One scenario = N protocol students on S servers sharing one class database
(SQLite file for one server, PostgreSQL for several), the teacher's
projector in Chromium on server A. The teacher walks the whole question
bank: round 1, "Vote again", round 2, "Reveal to class", "Next question"
(the last: "End class"). The teacher moves on only when every student
still in class has had their vote acknowledged and the projector shows
them all: the class waits for its slowest student, as a real one does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import async_playwright
from sqlalchemy import and_, create_engine, select

from benchmarks import _proc
from benchmarks.classroom.fleet_sampler import FleetSampler
from benchmarks.classroom.projector import PHONE_NAME, Phone, Projector, pull_forever
from benchmarks.classroom.protocol_client import ProtocolClient
from benchmarks.classroom.vote_records import ClassRun, ClassStudent, Follow, TeacherAction
from benchmarks.classroom.vote_student import student_session
from classroom import config
from classroom.schema import students as students_table
from classroom.schema import votes as votes_table
from content.questions import Question
from harness.browser import launch_options
from harness.server import start_server, stop_server

QUIET_SHARE, QUIET_WINDOWS, QUIET_LIMIT_S = 0.15, 6, 150.0
HEALTH_EVERY_S = 5.0
WAIT_STEP_S = 0.1


@dataclass(frozen=True)
class Scenario:
    name: str
    students: int
    servers: int
    db: str  # sqlite | postgresql


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """`harness.server.start_server` passes this process's environment to the server."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def db_environment(scenario: Scenario, folder: Path, postgres_url: str) -> tuple[dict[str, str], str]:
    """The servers' environment for the class database, and the SQLAlchemy URL to count the votes with."""
    if scenario.db == "sqlite":
        path = folder / "classroom.sqlite"
        return {config.DB_PATH_ENV: str(path)}, config.sqlite_url(path).render_as_string(hide_password=False)
    secrets = folder / "secrets.toml"
    secrets.write_text(f'[connections.classroom]\nurl = "{postgres_url}"\n'
                       'create_engine_kwargs = { pool_pre_ping = true }\n')
    # As tests/e2e/test_classroom_browser.py: were the secrets ignored, this file would appear.
    return {"STREAMLIT_SECRETS_FILES": str(secrets),
            config.DB_PATH_ENV: str(folder / "must-not-be-used.sqlite")}, postgres_url


async def open_home(url: str, timeout: float) -> None:
    """Someone opened the app before class: the server's warm-up (TensorFlow, compiled loops) has started."""
    client = ProtocolClient(url, "", "")
    try:
        async with asyncio.timeout(timeout):
            await client.open()
    finally:
        await client.close()


def plan(args: argparse.Namespace, scenario: Scenario, servers: dict[str, str]) -> list[ClassStudent]:
    """Student i goes to server i mod S (labels A, B, ...) and arrives at a random time within the ramp."""
    labels = list(servers)
    rng = random.Random(args.seed)
    return [ClassStudent(i, f"Student {i + 1:03d}", labels[i % len(labels)], servers[labels[i % len(labels)]],
                         arrive_at=rng.uniform(0, args.ramp_seconds)) for i in range(scenario.students)]


def _active(run: ClassRun) -> list[ClassStudent]:
    return [s for s in run.students if s.left_t is None]


async def _until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(WAIT_STEP_S)
    return condition()


def _first_votes_acked(run: ClassRun, question: Question, round_: int) -> int:
    return sum(1 for v in run.votes if v.question == question.id and v.round == round_ and not v.change
               and v.outcome == "ack")


def _everyone_voted(run: ClassRun, question: Question, round_: int) -> bool:
    here = {s.index for s in _active(run) if s.joined_t is not None}
    done = {v.student for v in run.votes if v.question == question.id and v.round == round_ and not v.change
            and v.outcome != "pending"}
    # A vote still in flight holds the round; a student who left does not.
    pending = any(v.outcome == "pending" and v.student in here for v in run.votes)
    return here <= done and not pending and all(s.joined_t is not None for s in _active(run))


def _shows(view: tuple[float, int | None, int, str], number: int | None, round_: int, phase: str) -> bool:
    """A student's page (a `ClassStudent.views` entry) is in that state.

    Only a voting page names its round ("Round 2: vote again."); after the reveal the phone shows the
    question's answer, whatever the round (`ui.classroom.student_view`), and an ended class no question.
    """
    _, q, r, p = view
    if p != phase:
        return False
    if phase == "ended":
        return True
    return q == number and (phase != "voting" or r == round_)


def _everyone_sees(run: ClassRun, number: int | None, round_: int, phase: str, since: float) -> bool:
    """Every student still in class has a page, drawn after `since`, in that state (checked in their views)."""
    return all(any(v[0] >= since and _shows(v, number, round_, phase) for v in s.views) for s in _active(run))


async def teacher_walks_the_bank(run: ClassRun, projector: Projector, questions: list[Question],
                                 shots: Path | None, phone: Phone | None) -> None:
    args = run.args

    async def press(kind: str, label: str, number: int, round_: int, phase: str) -> TeacherAction:
        action = TeacherAction(kind, label, number, round_, phase, 0.0)
        action.t = await projector.press(label)
        run.actions.append(action)
        return action

    async def projector_shows(number: int, round_: int, voted: int | None, revealed: bool | None,
                              since: float) -> float | None:
        def seen() -> float | None:
            return next((s.t for s in run.tally if s.t >= since and s.question_number == number
                         and s.round == round_ and (voted is None or s.voted >= voted)
                         and (revealed is None or s.revealed == revealed)), None)
        ok = await _until(lambda: seen() is not None, args.projector_timeout)
        if not ok:
            run.error(-1, "A", "timeout", f"projector never showed question {number} round {round_}"
                                          f" voted>={voted} revealed={revealed} within {args.projector_timeout:g} s")
        return seen()

    start = TeacherAction("start", "Start a class", questions[0].number, 1, "voting", run.started)
    run.actions.append(start)
    if not await _until(lambda: all(s.joined_t is not None or s.left_t is not None for s in run.students),
                        args.ramp_seconds + args.load_timeout):
        run.error(-1, "A", "timeout", "not every student joined in time")
    if phone is not None and shots is not None:
        first = questions[0]
        await phone.join_and_vote(first.choices[first.correct_choice].text, shots)
    for qi, question in enumerate(questions):
        for round_ in (1, 2):
            if round_ == 2:
                action = await press("again", "Vote again", question.number, 2, "voting")
                action.t_projector = await projector_shows(question.number, 2, None, False, action.t)
            if not await _until(lambda q=question, r=round_: _everyone_voted(run, q, r), args.round_timeout):
                run.error(-1, "A", "timeout", f"{question.id} round {round_}: not every vote came in"
                                              f" within {args.round_timeout:g} s")
            await projector_shows(question.number, round_, _first_votes_acked(run, question, round_), False,
                                  run.started)
            if shots is not None and qi == 0:
                await projector.screenshot(shots / f"class-vote-load-projector-q1-round{round_}.png")
            await asyncio.sleep(args.discussion_seconds)
        action = await press("reveal", "Reveal to class", question.number, 2, "revealed")
        action.t_projector = await projector_shows(question.number, 2, None, True, action.t)
        if not await _until(lambda a=action, q=question: _everyone_sees(run, q.number, 2, "revealed", a.t),
                            args.follow_timeout):
            run.error(-1, "A", "timeout", f"{question.id}: the reveal did not reach every student")
        if shots is not None and qi == 0:
            await projector.screenshot(shots / "class-vote-load-projector-q1-revealed.png")
            if phone is not None:
                await phone.after_reveal(shots)
        await asyncio.sleep(args.discussion_seconds)
        if qi + 1 < len(questions):
            following = questions[qi + 1]
            action = await press("next", "Next question", following.number, 1, "voting")
            action.t_projector = await projector_shows(following.number, 1, None, False, action.t)
        else:
            action = await press("end", "End class", question.number, 2, "ended")
            if not await _until(lambda a=action: _everyone_sees(run, None, 0, "ended", a.t), args.follow_timeout):
                run.error(-1, "A", "timeout", "not every student saw the class end")


async def _watch_projector(run: ClassRun, projector: Projector, stop: asyncio.Event) -> None:
    reported: set[str] = set()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), HEALTH_EVERY_S)
        for problem in await projector.health() + projector.page_errors:
            if problem not in reported:
                reported.add(problem)
                run.error(-1, "A", "exception" if "badge" not in problem else "disconnect", problem)


def count_in_database(run: ClassRun, db_url: str) -> dict:
    """Votes in the database for this room vs the votes acknowledged: per question and round, and per student."""
    expected: dict[tuple[str, str, int], int] = {}  # (name, question, round) -> last acknowledged choice
    names = {s.index: s.name for s in run.students}
    acked_at: dict[tuple[str, str, int], float] = {}
    for vote in sorted((v for v in run.votes if v.outcome == "ack"), key=lambda v: v.t_ack):
        key = (names[vote.student], vote.question, vote.round)
        expected[key], acked_at[key] = vote.choice, vote.t_ack
    # A vote sent as the teacher closed its round ("closed": the page moved on, no acknowledgement) may have
    # been stored just before the round closed, or not at all: either choice is right for that student.
    also_right: dict[tuple[str, str, int], set[int]] = {}
    for vote in run.votes:
        key = (names[vote.student], vote.question, vote.round)
        if vote.outcome == "closed" and vote.t_sent >= acked_at.get(key, 0.0):
            also_right.setdefault(key, set()).add(vote.choice)
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(students_table.c.name, votes_table.c.question_id, votes_table.c.round, votes_table.c.choice)
                .join(students_table, and_(students_table.c.room == votes_table.c.room,
                                           students_table.c.student_id == votes_table.c.student_id))
                .where(votes_table.c.room == run.code)).all()
            joined = conn.execute(select(students_table.c.name).where(students_table.c.room == run.code)).all()
    finally:
        engine.dispose()
    rows = [r for r in rows if r.name != PHONE_NAME]
    joined = [r for r in joined if r.name != PHONE_NAME]
    found = {(r.name, r.question_id, r.round): r.choice for r in rows}
    keys = sorted({(q, r) for _, q, r in expected} | {(q, r) for _, q, r in found})
    per_round = {f"{q} r{r}": {"acknowledged": sum(1 for k in expected if k[1:] == (q, r)),
                               "in_database": sum(1 for k in found if k[1:] == (q, r))} for q, r in keys}
    lost = sorted(k for k in expected if k not in found)
    extra = sorted(k for k in found if k not in expected and found[k] not in also_right.get(k, ()))
    wrong = sorted(k for k in expected if k in found and found[k] != expected[k]
                   and found[k] not in also_right.get(k, ()))
    return {"rows": len(rows), "acknowledged": len(expected), "per_round": per_round,
            "students_joined_in_database": len(joined),
            "lost": [list(k) for k in lost], "extra": [list(k) for k in extra],
            "wrong_choice": [list(k) for k in wrong],
            "duplicate_rows": len(rows) - len(found),
            "equal": not lost and not extra and not wrong and len(rows) == len(found)}


def match_projector(run: ClassRun, questions: list[Question]) -> None:
    """Each first vote: when did the projector first show a voted count that includes it?

    The voted count of a round is the number of committed votes. Votes of a
    round are ranked by acknowledgement (a vote is committed before it is
    acknowledged); vote k is taken as shown at the first tally change, at or
    after its send, that shows the vote's question and round with count >= k.
    """
    numbers = {q.id: q.number for q in questions}
    tally = sorted(run.tally, key=lambda s: s.t)
    for question in questions:
        for round_ in (1, 2):
            firsts = sorted((v for v in run.votes if v.question == question.id and v.round == round_
                             and not v.change and v.outcome == "ack"), key=lambda v: v.t_ack)
            shown = [s for s in tally if s.question_number == numbers[question.id] and s.round == round_]
            for rank, vote in enumerate(firsts, start=1):
                vote.rank = rank
                hit = next((s for s in shown if s.t >= vote.t_sent and s.voted >= rank), None)
                if hit is not None:
                    vote.t_projector, vote.projector_s = hit.t, round(hit.t - vote.t_sent, 4)


def follows(run: ClassRun) -> None:
    """For each teacher action after the start: when each student's page first showed the new state."""
    for i, action in enumerate(run.actions):
        if action.kind == "start":
            continue
        for student in run.students:
            if student.joined_t is None:
                continue
            seen = next((v[0] for v in student.views if v[0] >= action.t
                         and _shows(v, action.question_number, action.round, action.phase)), None)
            run.follows.append(Follow(student.index, student.server, i, action.kind,
                                      None if seen is None else round(seen - action.t, 4)))


async def run_scenario(args: argparse.Namespace, scenario: Scenario, questions: list[Question],
                       results: Path, stamp: str) -> tuple[ClassRun, dict]:
    """Run one class; returns the run and the resources (the report summarizes both)."""
    folder = Path(tempfile.mkdtemp(prefix=f"class-vote-{scenario.name}-"))
    env, db_url = db_environment(scenario, folder, args.postgres_url)
    labels = [chr(ord("A") + i) for i in range(scenario.servers)]
    processes: dict[str, object] = {}
    servers: dict[str, str] = {}
    resources: dict = {"loadavg_before": os.getloadavg(), "db": scenario.db, "server_logs": {}}
    sampler: FleetSampler | None = None
    run = ClassRun(args=args, scenario=scenario.name, servers=servers)
    try:
        with _environment(env):
            for label in labels:
                log = results / f"class_vote_load-{stamp}-{scenario.name}-server{label}.log"
                process, url = start_server(log)
                processes[label], servers[label] = process, url
                resources["server_logs"][label] = str(log)
        sampler = FleetSampler({label: p.pid for label, p in processes.items()}, postgres=scenario.db == "postgresql")
        sampler.start()
        sampler.phase = "warm-up"
        print(f"[{scenario.name}] servers {servers}; opening their home pages, waiting for the warm-up…",
              flush=True)
        await asyncio.gather(*(open_home(url, args.load_timeout) for url in servers.values()))
        waited = await asyncio.gather(*(asyncio.to_thread(
            _proc.wait_until_quiet, p.pid, window=0.5, busy_share=QUIET_SHARE, windows=QUIET_WINDOWS,
            timeout=QUIET_LIMIT_S) for p in processes.values()))
        resources["warm_up_s"] = dict(zip(labels, waited, strict=True))
        resources["rss_baseline"] = {label: _proc.status_bytes(p.pid, "VmRSS") for label, p in processes.items()}
        resources["loadavg_class_start"] = os.getloadavg()
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**launch_options())
            projector = Projector(browser, servers["A"], run, args.load_timeout)
            phone: Phone | None = None
            stop = asyncio.Event()
            class_over = asyncio.Event()
            tasks: list[asyncio.Task] = []
            try:
                sampler.phase = "class"
                run.started = time.time()
                try:
                    run.code = await projector.start_class()
                except Exception:
                    if projector.page is not None:
                        await projector.screenshot(results / f"class_vote_load-{stamp}-{scenario.name}-failed.png")
                    raise
                print(f"[{scenario.name}] class {run.code} on {servers['A']}; {scenario.students} students"
                      f" arrive within {args.ramp_seconds:g} s…", flush=True)
                watchers = [asyncio.create_task(pull_forever(projector, stop)),
                            asyncio.create_task(_watch_projector(run, projector, stop)),
                            asyncio.create_task(_progress(run, stop))]
                run.students = plan(args, scenario, servers)
                for student in run.students:
                    student.arrive_at += run.now()
                by_id = {q.id: q for q in questions}
                if args.screenshots is not None:
                    phone = Phone(browser, servers[list(servers)[-1]], run.code, args.load_timeout)
                tasks = [asyncio.create_task(student_session(run, s, by_id, class_over)) for s in run.students]
                try:
                    await asyncio.wait_for(
                        teacher_walks_the_bank(run, projector, questions, args.screenshots, phone),
                        args.class_timeout)
                except TimeoutError:
                    run.error(-1, "A", "timeout", f"the class did not finish within {args.class_timeout:g} s")
                class_over.set()
                done, pending = await asyncio.wait(tasks, timeout=args.follow_timeout + 30)
                for task in pending:
                    task.cancel()
                for task in done:
                    if task.exception() is not None:
                        run.error(-3, "-", "driver", f"{type(task.exception()).__name__}: {task.exception()}")
                stop.set()
                await asyncio.gather(*watchers, return_exceptions=True)
            finally:
                class_over.set()
                stop.set()
                for task in tasks:
                    task.cancel()
                if phone is not None:
                    await phone.close()
                await projector.close()
                await browser.close()
        resources["class_window"] = (run.started, time.time())
        resources["loadavg_class_end"] = os.getloadavg()
        sampler.phase = "after"
        resources["vm_hwm"] = {label: _proc.status_bytes(p.pid, "VmHWM") for label, p in processes.items()}
        resources["rss_end"] = {label: _proc.status_bytes(p.pid, "VmRSS") for label, p in processes.items()}
    finally:
        if sampler is not None:
            sampler.stop()
        for process in processes.values():
            stop_server(process)
    if scenario.db == "postgresql" and Path(env[config.DB_PATH_ENV]).exists():
        run.error(-2, "db", "driver", "a server used the SQLite file: the PostgreSQL secrets were ignored")
    match_projector(run, questions)
    follows(run)
    resources["database"] = count_in_database(run, db_url) if run.code else {"equal": False, "rows": 0}
    resources["samples"] = sampler.samples if sampler is not None else []
    return run, resources


async def _progress(run: ClassRun, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 15)
        acked = sum(1 for v in run.votes if v.outcome == "ack")
        last = run.actions[-1] if run.actions else None
        print(f"  t={run.now():5.0f}s joined {sum(1 for s in run.students if s.joined_t):>3}"
              f"  votes acked {acked:>4}/{len(run.votes):<4} errors {len(run.errors):>3}"
              f"  teacher: {last.kind if last else '-'} q{last.question_number if last else '-'}"
              f" r{last.round if last else '-'}  load {os.getloadavg()[0]:.2f}", flush=True)
