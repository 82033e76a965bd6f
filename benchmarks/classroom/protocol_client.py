"""A student who speaks Streamlit's websocket protocol, as the frontend does (no browser).

Connect to /_stcore/stream, send `BackMsg.rerun_script` (a `ClientState`
with the query string, the page name or hash, and the value of every
widget on the page), read `ForwardMsg`s (deltas, `page_info_changed`,
`script_finished`). A move changes one slider's value by one step (a
select_slider by one option) and resends all widget values with the
`fragment_id` of the st.fragment the slider was drawn in (taken from its
delta), so that, as in a browser, only the experiment reruns; its latency is
send -> `script_finished` (FINISHED_SUCCESSFULLY), by which time every
delta of the new charts has arrived. Widget values follow the frontend's
rule: a value the server pushes (`set_value`, e.g. from the link) is
adopted, otherwise the client keeps its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from benchmarks.classroom.plan import Walker
from benchmarks.classroom.records import Move, Run, StudentRecord
from ui.chart_in_place import COMPONENT_NAME as CHART_COMPONENT

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


class ProtocolError(Exception):
    """The stream ended or misbehaved (a disconnect, for the report)."""


@dataclass
class Widget:
    """A value widget as the frontend's widget manager holds it."""

    id: str
    label: str
    kind: str  # slider | select_slider | radio | checkbox
    value: Any  # [float] | option index | option text or None | bool
    low: float = 0.0
    high: float = 0.0
    step: float = 1.0
    integer: bool = False
    options: tuple[str, ...] = ()
    # The st.fragment the widget was drawn in ("" for none): moving it reruns only that.
    fragment_id: str = ""

    @classmethod
    def from_element(cls, kind: str, element: Any) -> Widget | None:
        if kind == "slider":
            if element.type == Slider.SELECT_SLIDER:
                return cls(element.id, element.label, "select_slider", None, 0, len(element.options) - 1,
                           1, True, tuple(element.options)).adopt(element, first=True)
            return cls(element.id, element.label, "slider", None, element.min, element.max,
                       element.step, element.data_type == Slider.INT).adopt(element, first=True)
        if kind == "radio":
            return cls(element.id, element.label, "radio", None,
                       options=tuple(element.options)).adopt(element, first=True)
        if kind == "checkbox":
            return cls(element.id, element.label, "checkbox", None).adopt(element, first=True)
        return None  # buttons (triggers) and elements without a value

    def adopt(self, element: Any, first: bool = False) -> Widget:
        """First sight: the element's value or default. Later: only a value the server sets."""
        if not (first or element.set_value):
            return self
        if self.kind == "select_slider":
            raw = list(element.raw_value)
            if element.set_value and raw and raw[0] in self.options:
                self.value = self.options.index(raw[0])
            elif first:
                self.value = int(element.default[0]) if element.default else 0
        elif self.kind == "slider":
            self.value = list(element.value if element.set_value and element.value else element.default)
        elif self.kind == "radio":
            if element.set_value and element.raw_value:
                self.value = element.raw_value
            elif first:
                self.value = self.options[element.default] if element.HasField("default") else None
        else:
            self.value = element.value if element.set_value else element.default
        return self

    def position(self) -> tuple[float, float, float] | None:
        if self.kind == "select_slider":
            return float(self.value), self.low, self.high
        if self.kind == "slider" and self.value:
            return float(self.value[0]), self.low, self.high
        return None

    def move(self, direction: int) -> None:
        if self.kind == "select_slider":
            self.value = min(max(self.value + direction, 0), int(self.high))
        elif self.kind == "slider":
            value = min(max(self.value[0] + direction * self.step, self.low), self.high)
            self.value = [float(round(value))] if self.integer else [round(value, 10)]

    def write(self, states: Any) -> None:
        if self.value is None:
            return  # e.g. a radio with no choice yet: the frontend sends nothing
        state = states.widgets.add()
        state.id = self.id
        if self.kind == "select_slider":
            state.string_array_value.data.append(self.options[self.value])
        elif self.kind == "slider":
            state.double_array_value.data.extend(self.value)
        elif self.kind == "radio":
            state.string_value = self.value
        else:
            state.bool_value = bool(self.value)


@dataclass
class RunResult:
    latency_s: float
    charts: tuple[int, ...]
    exceptions: list[str]


def rerun_message(state: ClientState, page_url: str) -> bytes:
    """The BackMsg a browser sends to rerun the script (or a fragment) with these widget states."""
    state.context_info.timezone = "UTC"
    state.context_info.locale = "en-US"
    state.context_info.url = page_url
    message = BackMsg()
    message.rerun_script.CopyFrom(state)
    return message.SerializeToString()


async def fetch_page(url: str, page: str, query: str, timeout: float) -> None:
    """What a browser GETs before it opens the websocket (not the JS bundle)."""
    def get(path: str) -> None:
        with urllib.request.urlopen(url + path, timeout=timeout) as response:
            response.read()
    for path in (f"/{page}?{query}", "/_stcore/health", "/_stcore/host-config"):
        await asyncio.to_thread(get, path)


class ProtocolClient:
    """One browser tab's worth of Streamlit protocol over one websocket."""

    def __init__(self, url: str, page: str, query: str) -> None:
        self.ws_url = url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self.url, self.page, self.query = url, page, query
        self.page_hash = ""
        self.widgets: dict[str, Widget] = {}
        self.charts: tuple[int, ...] = ()
        self.ws: ClientConnection | None = None

    async def fetch_page(self, timeout: float) -> None:
        await fetch_page(self.url, self.page, self.query, timeout)

    async def open(self) -> RunResult:
        self.ws = await connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                open_timeout=30)
        state = ClientState(query_string=self.query, page_name=self.page)
        return await self.rerun(state)

    def by_label(self, label: str) -> Widget | None:
        return next((w for w in self.widgets.values() if w.label == label and w.kind.endswith("slider")),
                    None)

    async def move(self, label: str, direction: int) -> RunResult:
        widget = self.by_label(label)
        if widget is None:
            raise ProtocolError(f"no slider labelled {label!r} on {self.page}")
        widget.move(direction)
        # As the frontend does: a widget inside an st.fragment reruns only that fragment
        # (the experiment and its charts), with every widget's value sent along.
        state = ClientState(query_string=self.query, page_script_hash=self.page_hash,
                            fragment_id=widget.fragment_id)
        for each in self.widgets.values():
            each.write(state.widget_states)
        return await self.rerun(state)

    async def rerun(self, state: ClientState) -> RunResult:
        assert self.ws is not None
        message = rerun_message(state, f"{self.url}/{self.page}?{self.query}")
        started = time.perf_counter()
        await self.ws.send(message)
        seen: dict[str, Widget] = {}
        charts: list[int] = []
        exceptions: list[str] = []
        while True:
            incoming = ForwardMsg()
            incoming.ParseFromString(await self.ws.recv())
            kind = incoming.WhichOneof("type")
            if kind == "delta" and incoming.delta.WhichOneof("type") == "new_element":
                element = incoming.delta.new_element
                element_kind = element.WhichOneof("type")
                body = getattr(element, element_kind)
                if element_kind == "plotly_chart":
                    charts.append(hash(body.spec))
                elif element_kind == "bidi_component" and body.component_name.endswith(CHART_COMPONENT):
                    charts.append(hash(body.json))  # ui/chart_in_place.py: the figure is in its data
                elif element_kind == "exception":
                    exceptions.append(f"{body.type}: {body.message}")
                elif element_kind in ("slider", "radio", "checkbox"):
                    known = self.widgets.get(body.id)
                    widget = known.adopt(body) if known else Widget.from_element(element_kind, body)
                    if widget is not None:
                        widget.fragment_id = incoming.delta.fragment_id
                        seen[body.id] = widget
            elif kind == "page_info_changed":
                self.query = incoming.page_info_changed.query_string
            elif kind == "navigation":
                self.page_hash = incoming.navigation.page_script_hash
            elif kind == "script_finished":
                if incoming.script_finished in FINISHED:
                    break
                if incoming.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    exceptions.append("script compile error")
                    break
                # FINISHED_EARLY_FOR_RERUN: the next run's messages follow.
        latency = time.perf_counter() - started
        # The widgets of the page as it now stands: a fragment run redraws only its own.
        self.widgets = {**self.widgets, **seen} if state.fragment_id else seen
        result = RunResult(latency, tuple(charts), exceptions)
        self.charts = result.charts
        return result

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def protocol_session(run: Run, student: StudentRecord, leave_by: float) -> None:
    """One protocol student: arrive, open the link, think and move until it is time to leave."""
    args = run.args
    link = run.links[student.page]
    walker = Walker.of(student, link, args)
    client = ProtocolClient(run.url, link.page, link.query)
    await asyncio.sleep(max(0.0, student.arrive_at - run.sampler.now()))
    student.arrived_t = round(run.sampler.now(), 3)
    try:
        started = time.perf_counter()
        try:
            await client.fetch_page(args.load_timeout)
        except OSError as exc:
            run.error(student, "http", f"GET page: {exc}")
        try:
            async with asyncio.timeout(args.load_timeout):
                first = await client.open()
        except TimeoutError:
            run.error(student, "timeout", f"first load of {student.link} over {args.load_timeout} s")
            return
        student.load_s = round(time.perf_counter() - started, 3)
        if first.exceptions:
            run.error(student, "exception", " | ".join(first.exceptions))
        if not first.charts:
            run.error(student, "exception", "the page drew no chart")
        leave_at = min(run.sampler.now() + args.minutes * 60, leave_by)
        for _ in range(args.max_moves):
            if not await walker.think(run.sampler.now(), leave_at):
                break
            label = walker.next()
            widget = client.by_label(label)
            direction = walker.bounce(label, widget.position() if widget else None)
            sent_t = round(run.sampler.now(), 3)
            before = client.charts
            try:
                async with asyncio.timeout(args.move_timeout):
                    result = await client.move(label, direction)
            except TimeoutError:
                run.moves.append(Move(student.index, "protocol", student.page, label, direction,
                                      sent_t, None, False))
                run.error(student, "timeout", f"move {label} {direction:+d}: no script_finished"
                                              f" within {args.move_timeout} s")
                return  # the stream is now out of step; this student stops
            run.moves.append(Move(student.index, "protocol", student.page, label, direction, sent_t,
                                  round(result.latency_s, 4), result.charts != before,
                                  round(result.latency_s, 4)))
            student.moves += 1
            if result.exceptions:
                run.error(student, "exception", " | ".join(result.exceptions))
    except (ConnectionClosed, WebSocketException, ProtocolError, OSError) as exc:
        run.error(student, "disconnect", f"{type(exc).__name__}: {exc}")
    finally:
        student.left_t = round(run.sampler.now(), 3)
        with contextlib.suppress(WebSocketException, OSError):
            await client.close()
