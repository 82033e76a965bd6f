"""ui/fragment_rerun_race.py: a fragment rerun that finds the last runner finished waits for that runner's end.

Driven through Streamlit's own `AppSession.request_rerun` on a session with
stand-in runners (a real ScriptRunner would run a script): the race itself
is timing (see the module), the order of what the session does is not.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.runtime.app_session import AppSession, AppSessionState

from ui import fragment_rerun_race

FRAGMENT = "follow-fragment-id"


class FinishedRunner:
    """A ScriptRunner whose last run has ended: it refuses more work (its messages may still be on the loop)."""

    def request_rerun(self, rerun_data) -> bool:
        return False

    def request_stop(self) -> None:
        pass


class RunningRunner:
    """A ScriptRunner still running: it queues what it is given."""

    def __init__(self) -> None:
        self.queued = []

    def request_rerun(self, rerun_data) -> bool:
        self.queued.append(rerun_data)
        return True

    def request_stop(self) -> None:
        pass


@pytest.fixture()
def created(monkeypatch) -> list:
    """Install the module; Streamlit's own runner creation is replaced by a record of its calls."""
    calls: list = []

    def create(session, rerun_data) -> None:
        calls.append(rerun_data)
        session._scriptrunner = RunningRunner()

    monkeypatch.setattr(fragment_rerun_race, "_ORIGINAL", create)
    monkeypatch.setattr(AppSession, "_create_scriptrunner", AppSession._create_scriptrunner)  # restored after
    assert fragment_rerun_race.install()
    return calls


class _Session(AppSession):
    """Streamlit's AppSession methods, without the server behind them (no __init__, nothing to shut down)."""

    def __del__(self) -> None:
        pass


def _session(runner) -> AppSession:
    session = object.__new__(_Session)
    session._state = AppSessionState.APP_NOT_RUNNING
    session._event_loop = asyncio.get_running_loop()
    session._client_state = ClientState()
    session._scriptrunner = runner
    session.has_fragment = lambda fragment_id: True
    return session


async def _until(condition, bound_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound_s
    while not condition() and loop.time() < deadline:
        await asyncio.sleep(0.005)


def _poll() -> ClientState:
    return ClientState(fragment_id=FRAGMENT, is_auto_rerun=True)


def _run(scenario) -> None:
    """asyncio.run on a thread of its own: the browser tests' sync Playwright leaves an event loop
    running on the main thread of the same pytest process, where asyncio.run refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, scenario()).result()


def test_a_poll_waits_until_the_finished_runner_has_shut_down(created):
    async def scenario() -> None:
        finished = FinishedRunner()
        session = _session(finished)
        session.request_rerun(_poll())
        for _ in range(5):  # the old runner's messages are still being sent: no new runner yet
            await asyncio.sleep(0.01)
            assert created == [] and session._scriptrunner is finished
        session._scriptrunner = None  # what handling the old runner's SHUTDOWN does, after all its messages
        await _until(lambda: created)
        assert [data.fragment_id for data in created] == [FRAGMENT]

    _run(scenario)


def test_a_full_rerun_meanwhile_starts_at_once_and_takes_the_poll_after_it(created):
    async def scenario() -> None:
        session = _session(FinishedRunner())
        session.request_rerun(_poll())
        # A click (a full rerun) arrives: with runner.fastReruns the session drops the old runner itself.
        session.request_rerun(ClientState())
        assert [data.fragment_id for data in created] == [None]
        new_runner = session._scriptrunner
        await _until(lambda: new_runner.queued)
        assert len(created) == 1 and [data.fragment_id for data in new_runner.queued] == [FRAGMENT]

    _run(scenario)


def test_a_runner_that_never_shuts_down_is_replaced_after_the_bound(created, monkeypatch):
    monkeypatch.setattr(fragment_rerun_race, "MAX_WAIT_S", 0.05)

    async def scenario() -> None:
        session = _session(FinishedRunner())
        session.request_rerun(_poll())
        await _until(lambda: created)
        assert [data.fragment_id for data in created] == [FRAGMENT]  # Streamlit's own behaviour, late

    _run(scenario)


def test_nothing_is_created_for_a_session_shutting_down(created):
    async def scenario() -> None:
        session = _session(FinishedRunner())
        session.request_rerun(_poll())
        session._state = AppSessionState.SHUTDOWN_REQUESTED
        session._scriptrunner = None
        await asyncio.sleep(0.05)
        assert created == []

    _run(scenario)


def test_the_app_installs_it(monkeypatch):
    from apptest_helpers import errors, open_page

    monkeypatch.setattr(AppSession, "_create_scriptrunner", fragment_rerun_race._ORIGINAL)
    at = open_page()
    assert errors(at) == []
    assert AppSession._create_scriptrunner is fragment_rerun_race._create_after_the_old_runner_is_done
