"""A class-mode student over Streamlit's websocket protocol, who follows the teacher as a browser tab does.

Unlike `protocol_client.ProtocolClient` (send a rerun, read until it ends),
the page of a class student changes by itself: the server pushes runs that
no click of the student asked for. So a reader task reads every
`ForwardMsg` for the life of the connection, and acts on it as the
Streamlit 1.67 frontend does (`App.tsx`, checked in the bundled JS):

- `auto_rerun` (interval, fragment_id), sent when an
  `st.fragment(run_every=...)` is drawn: start a timer that sends a rerun of
  that fragment (`ClientState.fragment_id`, `is_auto_rerun=True`, every
  active widget's value) every `interval` seconds. A timer already running
  for that fragment with that interval is kept, as the frontend keeps it.
- `stop_auto_rerun`: stop those timers.
- `new_session` of a full-app run (its `metadata.run.fragment_ids` empty):
  stop every timer (the frontend's `cleanupAutoReruns`); the run redraws
  the fragments and sends their `auto_rerun` again.
- `script_finished` (success) of that same full-app run (the same
  `metadata.run.script_run_id`): the page now stands as drawn; it becomes
  `view` (a `View`: what a student reads on it), and waiters are woken.
  That is how the student "notices" that the teacher moved on: `_follow`
  polls the store and calls `st.rerun(scope="app")`.

Runs are told apart by their id, not by the order of messages: the deltas
between a run's `new_session` and the next one belong to it, and a full
run counts only when the `script_finished` carrying its own id arrives. A
full run whose end never arrives (Streamlit 1.67 dropped it when a fragment
rerun came in just then: `ui/fragment_rerun_race.py`) never becomes a view.

Widget values follow the frontend's rule: the active widgets of the last
full run are sent with every rerun; a value the server pushes (`set_value`)
is adopted; a button's trigger is sent once, with the click's rerun.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from benchmarks.classroom.protocol_client import Widget, fetch_page, rerun_message

# Alerts that ui/classroom.py draws for a store error, a refusal or a rate limit
# (`_show_error`, and the wrong-teacher-link warning): never part of a healthy class.
PROBLEM_ICONS = {":material/error:", ":material/cloud_off:", ":material/hourglass_top:", ":material/key_off:"}
_VOTE_KEY = re.compile(r"-class:vote:(?P<question>[^:]+):(?P<round>\d+)$")
_QUESTION = re.compile(r"^Question (?P<number>\d+): ")
_ROUND = re.compile(r"^Round (?P<round>\d+): vote again\.")


@dataclass
class View:
    """The page after a full-app run, as a student reads it."""

    t: float  # time.time() when its run finished
    run: int  # how many full runs this client has seen finish
    question_number: int | None = None  # "Question N: ..." (student_view's subheader)
    round: int = 1  # "Round 2: vote again." caption, else 1
    vote_button: str = ""  # the vote button's widget id ("" when voting is closed)
    vote_question: str = ""  # from the button's key: class:vote:<question id>:<round>
    vote_round: int = 0
    radio: str = ""  # the "Your prediction" radio's widget id
    options: tuple[str, ...] = ()
    join_button: str = ""
    join_code_input: str = ""
    join_name_input: str = ""
    answer_shown: bool = False  # st.header("Answer") after the reveal
    ended: bool = False
    success: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # PROBLEM_ICONS alerts
    exceptions: list[str] = field(default_factory=list)

    @property
    def voting(self) -> bool:
        return bool(self.vote_button and self.radio)

    def key(self) -> tuple[int | None, int, str]:
        """What the student sees: question, round, and voting / revealed / ended / other."""
        phase = ("ended" if self.ended else "voting" if self.voting else "revealed" if self.answer_shown
                 else "join" if self.join_button else "other")
        return self.question_number, self.round, phase

    def add(self, kind: str, body: Any) -> None:
        if kind == "exception":
            self.exceptions.append(f"{body.type}: {body.message}")
        elif kind == "alert":
            if body.icon in PROBLEM_ICONS:
                self.problems.append(body.body)
            elif body.format == Alert.SUCCESS:
                self.success.append(body.body)
            if body.format == Alert.INFO and "ended the class" in body.body:
                self.ended = True
        elif kind == "heading":
            if (m := _QUESTION.match(body.body)) and body.tag == "h3":
                self.question_number = int(m["number"])
            elif body.body == "Answer":
                self.answer_shown = True
        elif kind == "markdown":
            if m := _ROUND.match(body.body):
                self.round = int(m["round"])
        elif kind == "radio" and body.label == "Your prediction":
            self.radio, self.options = body.id, tuple(body.options)
        elif kind == "button":
            if m := _VOTE_KEY.search(body.id):
                self.vote_button, self.vote_question, self.vote_round = body.id, m["question"], int(m["round"])
            elif body.id.endswith("-class:join:go"):
                self.join_button = body.id
        elif kind == "text_input":
            if body.id.endswith("-class:join:code"):
                self.join_code_input = body.id
            elif body.id.endswith("-class:join:name"):
                self.join_name_input = body.id


class LiveError(Exception):
    """The connection ended, or the page did not become what was awaited in time."""


class LiveClient:
    """One browser tab of a class student: one websocket, a reader task, the auto-rerun timers."""

    def __init__(self, url: str, page: str, query: str, *, max_timer_sends: int = 10_000,
                 on_view: Callable[[View], None] | None = None) -> None:
        self.ws_url = url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self.url, self.page, self.query = url, page, query
        self.page_hash = ""
        self.ws: ClientConnection | None = None
        self.view: View | None = None
        self.views: list[View] = []  # every full run's page, in order
        self.widgets: dict[str, Widget] = {}  # value widgets of the page (Widget from protocol_client)
        self.texts: dict[str, str] = {}  # text_input id -> value
        self.timers: dict[str, tuple[float, asyncio.Task]] = {}
        self.timer_sends = 0
        self.max_timer_sends = max_timer_sends
        self.on_view = on_view
        self.fragment_runs = 0
        self.fragment_problems: list[str] = []  # exceptions / store errors drawn by fragment runs
        self.closed_reason: str | None = None
        self._building: View | None = None  # the page of the full run whose messages are arriving
        self._building_run = ""  # that run's script_run_id
        self._building_ended = False  # its script_finished came (any status)
        # Full runs whose script_finished never came, followed by a fragment run: the run's end was lost on
        # the server (ui/fragment_rerun_race.py). A full run replaced by another full run is not counted.
        self.cut_off_runs = 0
        self._current_run = ""  # the run the next deltas belong to (the last new_session's)
        self._seen_ids: set[str] = set()
        self._full_runs = 0
        self._changed = asyncio.Condition()
        # (time.time(), what) of the last messages sent and received, to explain an error
        self._log: collections.deque[tuple[float, str]] = collections.deque(maxlen=300)
        self._reader: asyncio.Task | None = None

    # -- connection ------------------------------------------------------------------------

    async def fetch_page(self, timeout: float) -> None:
        await fetch_page(self.url, self.page, self.query, timeout)

    async def open(self) -> None:
        self.ws = await connect(self.ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=30)
        self._reader = asyncio.create_task(self._read())
        await self._send(ClientState(query_string=self.query, page_name=self.page))

    async def close(self) -> None:
        for _, task in self.timers.values():
            task.cancel()
        self.timers.clear()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self.ws is not None:
            with contextlib.suppress(WebSocketException, OSError):
                await self.ws.close()

    # -- sending ---------------------------------------------------------------------------

    def _state(self, fragment_id: str = "", trigger: str = "", auto: bool = False) -> ClientState:
        state = ClientState(query_string=self.query, page_script_hash=self.page_hash, fragment_id=fragment_id,
                            is_auto_rerun=auto)
        for widget in self.widgets.values():
            widget.write(state.widget_states)
        for widget_id, text in self.texts.items():
            state.widget_states.widgets.add(id=widget_id, string_value=text)
        if trigger:
            state.widget_states.widgets.append(WidgetState(id=trigger, trigger_value=True))
        return state

    async def _send(self, state: ClientState) -> float:
        if self.ws is None or self.closed_reason:
            raise LiveError(f"not connected ({self.closed_reason})")
        message = rerun_message(state, f"{self.url}/{self.page}?{self.query}")
        sent = time.time()
        await self.ws.send(message)
        self._log.append((sent, f"sent frag={state.fragment_id[:6]} auto={state.is_auto_rerun}"
                          f" trigger={any(w.trigger_value for w in state.widget_states.widgets)}"))
        return sent

    def recent(self, since: float | None = None, count: int = 12) -> list[str]:
        """Messages sent and received (time.time() mod 1000): the last `count`, or the first `count` from `since`."""
        if since is None:
            chosen = list(self._log)[-count:]
        else:
            chosen = [entry for entry in self._log if entry[0] >= since][:count]
        return [f"{t % 1000:.2f} {what}" for t, what in chosen]

    async def click(self, button_id: str) -> float:
        """Press a button (or a form's submit button); returns the send time (time.time())."""
        return await self._send(self._state(trigger=button_id))

    async def choose(self, option: str) -> float:
        """Pick a radio option: the frontend reruns the app at once (the radio is not in a form)."""
        assert self.view is not None and self.view.radio
        self.widgets[self.view.radio].value = option
        return await self._send(self._state())

    # -- waiting ---------------------------------------------------------------------------

    async def wait_view(self, predicate: Callable[[View], bool], timeout: float, *, after: float = 0.0) -> View:
        """The first page (full run finished after `after`) that satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                view = self.view
                if view is not None and view.t >= after and predicate(view):
                    return view
                if self.closed_reason:
                    raise LiveError(f"disconnected: {self.closed_reason}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LiveError(f"page not as awaited within {timeout:g} s (last: {view.key() if view else None})")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)

    # -- the frontend's timers -------------------------------------------------------------

    def _start_timer(self, fragment_id: str, interval: float) -> None:
        known = self.timers.get(fragment_id)
        if known is not None and known[0] == interval:
            return  # as the frontend: the same interval keeps its running timer
        self._stop_timer(fragment_id)
        self.timers[fragment_id] = (interval, asyncio.create_task(self._tick(fragment_id, interval)))

    def _stop_timer(self, fragment_id: str) -> None:
        known = self.timers.pop(fragment_id, None)
        if known is not None:
            known[1].cancel()

    async def _tick(self, fragment_id: str, interval: float) -> None:
        interval = max(interval, 0.1)
        while self.timer_sends < self.max_timer_sends and not self.closed_reason:
            await asyncio.sleep(interval)
            self.timer_sends += 1
            try:
                await self._send(self._state(fragment_id=fragment_id, auto=True))
            except (LiveError, ConnectionClosed, WebSocketException, OSError):
                return

    # -- reading ---------------------------------------------------------------------------

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                message = ForwardMsg()
                message.ParseFromString(raw)
                await self._on(message)
        except (ConnectionClosed, WebSocketException, OSError) as exc:
            self.closed_reason = f"{type(exc).__name__}: {exc}"
        else:
            self.closed_reason = "the server closed the stream"
        finally:
            if self.closed_reason is None:
                self.closed_reason = "reader stopped"
            for _, task in self.timers.values():
                task.cancel()
            async with self._changed:
                self._changed.notify_all()

    async def _on(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        run = message.metadata.run
        if kind in ("new_session", "script_finished", "auto_rerun", "stop_auto_rerun"):
            status = message.script_finished if kind == "script_finished" else ""
            self._log.append((time.time(), f"{kind} {status} run={run.script_run_id[:6]}"
                             f" frags={[f[:6] for f in run.fragment_ids]}"))
        if kind == "new_session":
            self._current_run = run.script_run_id
            if run.fragment_ids and self._building is not None and not self._building_ended:
                self.cut_off_runs += 1
                self._log.append((time.time(), f"full run {self._building_run[:6]} never finished"))
                self._building = None
            if not run.fragment_ids:
                for fragment_id in list(self.timers):
                    self._stop_timer(fragment_id)
                self._building, self._building_run = View(t=0.0, run=0), run.script_run_id
                self._building_ended = False
                self._seen_ids = set()
            else:
                self.fragment_runs += 1
        elif kind == "auto_rerun":
            self._start_timer(message.auto_rerun.fragment_id, message.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment_id in message.stop_auto_rerun.fragment_ids:
                self._stop_timer(fragment_id)
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self._on_element(message)
        elif kind == "page_info_changed":
            self.query = message.page_info_changed.query_string
        elif kind == "navigation":
            self.page_hash = message.navigation.page_script_hash
        elif kind == "script_finished" and self._building is not None and run.script_run_id == self._building_run:
            self._building_ended = True
            if message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                self._full_runs += 1
                view, self._building = self._building, None
                view.t, view.run = time.time(), self._full_runs
                self._keep_active()
                self.view = view
                self.views.append(view)
                if self.on_view is not None:
                    self.on_view(view)
                async with self._changed:
                    self._changed.notify_all()
            elif message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                self.fragment_problems.append("script compile error")

    def _on_element(self, message: ForwardMsg) -> None:
        element = message.delta.new_element
        kind = element.WhichOneof("type")
        body = getattr(element, kind)
        fragment = message.delta.fragment_id
        building = self._building is not None and self._current_run == self._building_run
        if fragment and not building:
            # A fragment run (the _follow poll): only its problems matter here.
            if kind == "exception":
                self.fragment_problems.append(f"{body.type}: {body.message}")
            elif kind == "alert" and body.icon in PROBLEM_ICONS:
                self.fragment_problems.append(body.body)
            return
        if building:
            self._building.add(kind, body)
            if widget_id := getattr(body, "id", ""):
                self._seen_ids.add(widget_id)
        if kind in ("slider", "radio", "checkbox"):
            known = self.widgets.get(body.id)
            widget = known.adopt(body) if known else Widget.from_element(kind, body)
            if widget is not None:
                widget.fragment_id = fragment
                self.widgets[body.id] = widget
        elif kind == "text_input":
            if body.id not in self.texts or body.set_value:
                self.texts[body.id] = body.value if body.set_value else body.default

    def _keep_active(self) -> None:
        """After a full run, only the widgets it drew stay (the frontend's removeInactive)."""
        self.widgets = {i: w for i, w in self.widgets.items() if i in self._seen_ids}
        self.texts = {i: t for i, t in self.texts.items() if i in self._seen_ids}

    def set_text(self, widget_id: str, text: str) -> None:
        self.texts[widget_id] = text
