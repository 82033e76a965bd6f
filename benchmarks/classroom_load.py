"""Classroom load test: N students on one `streamlit run app.py`, moving sliders.

Run from the repository root (the defaults are the full-size measurement):

    python -m benchmarks.classroom_load --students 40 --minutes 3
    python -m benchmarks.classroom_load --students 4 --minutes 0.33 --ramp-seconds 5  # quick check

What it does
------------
1. Starts ONE server with `tests.e2e.conftest.start_server` (loopback, free
   port, file watcher off, background warm-up on) and samples it every
   0.5 s from /proc/<pid>: CPU (utime+stime), VmRSS; VmHWM at the end.
2. "The teacher checks the links": each shared link is opened once, then
   the server is left to go quiet. Its RSS then is the memory *baseline*
   (TensorFlow imported, loops compiled, the once-per-server sweeps
   cached): the server a class meets.
3. Students arrive at random times within `--ramp-seconds`. Student i opens
   shared link i mod 5 (one per question page, with query parameters, e.g.
   `/q5_nan_loss?optimizer=SGD&lr=1&scale=2`), waits for the charts, then
   for `--minutes` repeats: think 1-3 s (random, fixed `--seed`), pick a
   slider of that page (kept for a few moves, as people do), move it one
   step right or left (turning round at the ends), and wait until the
   chart is redrawn and the app is idle. That wait is the per-move latency.
4. Everyone leaves; `--settle-seconds` (30) later the server's RSS is read
   again: does memory return near the baseline?

Errors (target: zero): page exceptions (`[data-testid="stException"]` in a
browser, an `exception` element in the protocol stream), timeouts (first
load or a move, `--move-timeout`), disconnects (websocket closed while the
student is there, Streamlit's connection-status badge, a crashed tab) and
HTTP 5xx. JavaScript errors in browser pages are listed but not counted.

Targets (PASS/FAIL): zero errors, move latency p95 <= 2 s, server peak RSS
(VmHWM) <= 1.5 GB. A summary table is printed and everything (each move,
each error, the 0.5 s resource timeline) goes to
benchmarks/results/classroom_load-<time>.json (git-ignored), with the
server's log beside it. Exit status 0 only if every target passes.

Driver: Streamlit's own protocol for the class, real Chromium for a sample
--------------------------------------------------------------------------
Most students (`--students` minus `--browser-students`) are websocket
clients that speak Streamlit's protocol, as the frontend does: connect to
/_stcore/stream, send `BackMsg.rerun_script` (a `ClientState` with the
query string, the page name or hash, and the value of every widget on the
page), read `ForwardMsg`s (deltas, `page_info_changed`, `script_finished`).
A move changes one slider's value by one step (a select_slider by one
option) and resends all widget values with the `fragment_id` of the
st.fragment the slider was drawn in (taken from its delta), so that, as in
a browser, only the experiment reruns, not the whole page; its latency is send ->
`script_finished` (FINISHED_SUCCESSFULLY), by which time every delta of the
new charts has arrived. Widget values follow the frontend's rule: a value
the server pushes (`set_value`, e.g. from the link) is adopted, otherwise
the client keeps its own.

`--browser-students` of them (default 1, on the q3 page: 8 charts, the
slowest rerun) are real Playwright browser contexts in ONE Chromium
(Debian's /usr/bin/chromium): focus the slider, press ArrowRight/ArrowLeft,
wait for the charts' data to change with the app idle (the condition of
`tests.e2e.browser.press_and_wait_for_redraw`). They measure what a
student sees, rendering included, under the class's load; their
websocket frames also give each browser move's server part (BackMsg sent
-> script_finished), printed beside it. `--browser-students N` makes every
student a browser.

Why not 40 browsers (measured here, 2 cores shared with other work): with
4 browser students the load generator (Chromium + Playwright's node driver
+ this process) used ~100% of a core while they moved sliders, ~25% of a
core per student, against ~15% for the server; one browser student alone
costs 30-45% of a core. Each move re-renders the page and its plotly charts
in software. 40 browser students would need ~10 cores: the test would
measure Chromium starving the server, not the server. In a real class
every student renders on their own laptop and only the server shares
these cores. The protocol students cost ~2% of a core for 9 of them
(report: "generator CPU", split into this Python process and Chromium), so
the server sees 40 sessions' real reruns while the generator stays small.
Not exercised by a protocol student: the frontend's rendering (the browser
sample covers it: in the small runs it added 0.1-0.4 s to the server's
part at the median) and the static JS bundle (each protocol student GETs the page's
HTML, /_stcore/health and /_stcore/host-config on arrival).

Traffic goes only to 127.0.0.1; every loop is bounded in count and time
(`--max-moves`, per-move and first-load timeouts, a hard deadline for the
whole class), and the script stops the browser and the server by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import random
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from content.questions import load_bank
from tests.e2e.browser import CHARTS_SETTLED_JS, CHARTS_SIGNATURE_JS, SETTLED_JS
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, start_server, stop_server
from ui import url_state

RESULTS = ROOT / "benchmarks" / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.5
MiB = 1024 * 1024

TARGET_P95_S = 2.0
TARGET_PEAK_RSS_BYTES = int(1.5 * 1024**3)
# "Returns near baseline" (informational, not a target): within this many
# MiB or this fraction of the baseline, whichever is larger.
NEAR_BASELINE_MIB = 100
NEAR_BASELINE_FRACTION = 0.10

# The links a teacher would share, one per question page. Their query
# values are checked against the question bank at start-up.
SHARED_LINKS = {
    "q1_adam_high_learning_rate": "lr=1&steps=300",
    "q2_rmsprop_first_step": "seed=42&lr=0.01",
    "q3_sparse_gradients": "sparsity=0.99&steps=100",
    "q4_sgd_momentum": "momentum=0.9&condition=50",
    "q5_nan_loss": "optimizer=SGD&lr=1&scale=2",
}
# Browser students go to these pages first: q3 has the most charts (8) and the slowest rerun.
BROWSER_PAGE_ORDER = ("q3_sparse_gradients", "q5_nan_loss", "q1_adam_high_learning_rate",
                      "q4_sgd_momentum", "q2_rmsprop_first_step")
SLIDER_KINDS = frozenset({"int", "float", "log"})  # st.slider / st.select_slider

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
EXCEPTION = '[data-testid="stException"]'
CONNECTION_STATUS = '[data-testid="stConnectionStatus"]'

# Counts every change of the app's run state, so that a browser move whose
# rerun draws identical chart data is still seen to have finished.
INIT_SCRIPT = """
(() => {
  window.__load = {changes: 0, last: performance.now()};
  const watch = () => new MutationObserver(records => {
      window.__load.changes += records.length;
      window.__load.last = performance.now();
  }).observe(document.documentElement, {subtree: true, attributes: true,
                                        attributeFilter: ['data-test-script-state']});
  if (document.documentElement) watch(); else document.addEventListener('DOMContentLoaded', watch);
})();
"""

# Done when the page has settled and the charts' data changed, or (a rerun that
# drew identical data) when the app has been idle `grace` ms after a
# run-state change. Returns what the student would see.
MOVE_DONE_JS = f"""
([before, changesBefore, grace]) => {{
  if (!({SETTLED_JS})()) return false;
  const signature = ({CHARTS_SIGNATURE_JS})();
  const status = {{
    exceptions: document.querySelectorAll('{EXCEPTION}').length,
    connection: document.querySelector('{CONNECTION_STATUS}') !== null,
  }};
  if (signature.length > 0 && signature !== before) return {{...status, changed: true, idleFor: 0}};
  const idleFor = performance.now() - window.__load.last;
  if (window.__load.changes > changesBefore && idleFor >= grace)
    return {{...status, changed: false, idleFor}};
  return false;
}}
"""

PAGE_READY_JS = CHARTS_SETTLED_JS


# --------------------------------------------------------------------------
# /proc sampling


def _read_stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, utime+stime, cutime+cstime) in clock ticks, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # from field 3 (state) on
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def _vm_hwm_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except OSError:
        return 0


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, all cores."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    total = sum(values[:8])  # user..steal (guest time is already in user)
    return total - values[3] - values[4], total  # minus idle, iowait


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _read_stat(int(entry))) is not None:
            children.setdefault(stat[0], []).append(int(entry))
    return children


def _descendants(root: int, children: dict[int, list[int]]) -> set[int]:
    found, stack = set(), [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


@dataclass
class Sample:
    t: float  # seconds since the sampler started
    phase: str
    server_cpu_pct: float  # 100 = one core
    server_rss: int
    python_cpu_pct: float  # this process: protocol students, Playwright client, sampler
    browser_cpu_pct: float  # Playwright's node driver + every Chromium process
    generator_rss: int  # sum of RSS over the generator's processes (overcounts shared pages)
    generator_procs: int
    machine_busy_pct: float  # of all cores (100 = every core busy), other workers included


class Sampler(threading.Thread):
    """Samples the server and the load generator every 0.5 s, in its own thread."""

    def __init__(self, server_pid: int) -> None:
        super().__init__(name="proc-sampler", daemon=True)
        self.server_pid = server_pid
        self.samples: list[Sample] = []
        self.phase = "start"
        self._halt = threading.Event()
        self._t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._t0

    def _generator(self) -> tuple[int, int, int, int]:
        """(own ticks, browser-tree ticks, RSS sum, process count)."""
        me, children = os.getpid(), _children()
        pids = _descendants(me, children) - _descendants(self.server_pid, children) - {self.server_pid}
        own = _read_stat(me)
        own_ticks = own[1] if own else 0  # not cutime: the server is our child
        ticks, rss = 0, _rss_bytes(me)
        for pid in pids:
            if (stat := _read_stat(pid)) is not None:
                ticks += stat[1] + stat[2]  # + reaped children (Chromium's renderers)
                rss += _rss_bytes(pid)
        return own_ticks, ticks, rss, len(pids) + 1

    def run(self) -> None:
        prev_t = time.monotonic()
        prev_server = (_read_stat(self.server_pid) or (0, 0, 0))[1]
        prev_own, prev_browser, _, _ = self._generator()
        prev_busy, prev_total = _machine_ticks()
        while not self._halt.wait(SAMPLE_SECONDS):
            t = time.monotonic()
            stat = _read_stat(self.server_pid)
            if stat is None:
                break
            own, browser, rss, procs = self._generator()
            busy, total = _machine_ticks()
            to_pct = 100 / CLK_TCK / max(t - prev_t, 1e-6)
            self.samples.append(Sample(
                t=round(t - self._t0, 3), phase=self.phase,
                server_cpu_pct=(stat[1] - prev_server) * to_pct, server_rss=_rss_bytes(self.server_pid),
                python_cpu_pct=(own - prev_own) * to_pct,
                # A process that exits takes its ticks along (a dip, never a spike).
                browser_cpu_pct=max(0.0, (browser - prev_browser) * to_pct),
                generator_rss=rss, generator_procs=procs,
                machine_busy_pct=100 * (busy - prev_busy) / max(total - prev_total, 1),
            ))
            prev_t, prev_server, prev_own, prev_browser = t, stat[1], own, browser
            prev_busy, prev_total = busy, total

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


# --------------------------------------------------------------------------
# records


@dataclass
class Move:
    student: int
    driver: str  # protocol | browser
    page: str
    slider: str
    direction: int  # +1 right, -1 left
    t: float  # when the move was sent, seconds since the sampler started
    latency_s: float | None  # None: timed out
    chart_changed: bool  # False: the rerun drew the same chart data
    # Browser moves, roughly (event times as seen by this process): key press ->
    # BackMsg sent -> script_finished received is the server's part, the rest
    # (debounce, applying deltas, plotly) is the page's.
    server_s: float | None = None


@dataclass
class ErrorEvent:
    student: int
    page: str
    kind: str  # exception | timeout | disconnect | http | crash | driver | js
    t: float
    detail: str


@dataclass
class StudentRecord:
    index: int
    driver: str
    page: str
    link: str
    arrive_at: float = 0.0
    arrived_t: float | None = None
    load_s: float | None = None
    left_t: float | None = None
    moves: int = 0


@dataclass
class Run:
    args: argparse.Namespace
    url: str
    sampler: Sampler
    sliders: dict[str, list[str]]
    moves: list[Move] = field(default_factory=list)
    errors: list[ErrorEvent] = field(default_factory=list)
    students: list[StudentRecord] = field(default_factory=list)

    def error(self, student: StudentRecord, kind: str, detail: str) -> None:
        self.errors.append(ErrorEvent(student.index, student.page, kind,
                                      round(self.sampler.now(), 3), detail[:500]))


class Walker:
    """A student's habits: which slider next, which way, how long to think."""

    def __init__(self, rng: random.Random, sliders: list[str], args: argparse.Namespace) -> None:
        self.rng, self.sliders, self.args = rng, sliders, args
        self.label, self.left = rng.choice(sliders), 0
        self.direction = {s: rng.choice((1, -1)) for s in sliders}

    async def think(self, now: float, leave_at: float) -> bool:
        """Think before the next move; False (without waiting) if the student leaves first."""
        seconds = self.rng.uniform(self.args.think_min, self.args.think_max)
        if now + seconds >= leave_at:
            return False
        await asyncio.sleep(seconds)
        return True

    def next(self) -> str:
        """The slider to move next."""
        if self.left <= 0:  # a student sticks with one slider for a few moves
            self.label, self.left = self.rng.choice(self.sliders), self.rng.randint(2, 5)
        self.left -= 1
        if self.rng.random() < 0.15:
            self.direction[self.label] *= -1
        return self.label

    def bounce(self, label: str, position: tuple[float, float, float] | None) -> int:
        """The way to move `label`, turning round at an end; position = (now, low, high)."""
        if position is not None:
            now, low, high = position
            if now >= high:
                self.direction[label] = -1
            elif now <= low:
                self.direction[label] = 1
        return self.direction[label]


def _link(url: str, page: str) -> str:
    query = SHARED_LINKS[page]
    return f"{url}/{page}?{query}" if query else f"{url}/{page}"


def _check_links() -> dict[str, list[str]]:
    """Every shared link is valid for its question; return each page's slider labels."""
    bank = load_bank()
    sliders: dict[str, list[str]] = {}
    for page, query in SHARED_LINKS.items():
        question = bank.by_id(page)
        if question is None:
            raise SystemExit(f"shared link names {page!r}, which is not in assets/questions/")
        parsed: dict[str, list[str]] = {}
        for pair in filter(None, query.split("&")):
            key, _, value = pair.partition("=")
            parsed.setdefault(key, []).append(value)
        reading = url_state.read_url(question.controls, parsed)
        if reading.warnings:
            raise SystemExit(f"shared link for {page} is stale: {reading.warnings}")
        sliders[page] = [c.label for c in question.controls if c.kind in SLIDER_KINDS]
        if not sliders[page]:
            raise SystemExit(f"{page} has no slider to move")
    return sliders


# --------------------------------------------------------------------------
# protocol students


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


class ProtocolStudent:
    """One browser tab's worth of Streamlit protocol over one websocket."""

    def __init__(self, url: str, page: str, query: str) -> None:
        self.ws_url = url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self.url, self.page, self.query = url, page, query
        self.page_hash = ""
        self.widgets: dict[str, Widget] = {}
        self.charts: tuple[int, ...] = ()
        self.ws: ClientConnection | None = None

    async def fetch_page(self, timeout: float) -> None:
        """What a browser GETs before it opens the websocket (not the JS bundle)."""
        def get(path: str) -> None:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                response.read()
        for path in (f"/{self.page}?{self.query}", "/_stcore/health", "/_stcore/host-config"):
            await asyncio.to_thread(get, path)

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
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        state.context_info.url = f"{self.url}/{self.page}?{self.query}"
        message = BackMsg()
        message.rerun_script.CopyFrom(state)
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
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
    args = run.args
    walker = Walker(random.Random(args.seed * 1_000_003 + student.index), run.sliders[student.page], args)
    client = ProtocolStudent(run.url, student.page, SHARED_LINKS[student.page])
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


# --------------------------------------------------------------------------
# browser students


@dataclass
class Frames:
    """When the page's websocket sent a BackMsg / received a successful script_finished."""

    sent: list[float] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)

    def on_received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            message = ForwardMsg()
            try:
                message.ParseFromString(payload)
            except Exception:  # not ours to judge; the page reports its own errors
                return
            if message.WhichOneof("type") == "script_finished" and message.script_finished in FINISHED:
                self.finished.append(time.perf_counter())

    def server_part(self, pressed: float, done: float) -> float | None:
        sent = next((t for t in self.sent if pressed <= t <= done), None)
        finished = next((t for t in self.finished if sent is not None and sent <= t <= done), None)
        return None if finished is None else finished - sent


def _attach_listeners(run: Run, student: StudentRecord, page: Page, present: dict[str, bool],
                      frames: Frames) -> None:
    def on_websocket(ws) -> None:
        if "/_stcore/stream" in ws.url:
            ws.on("close", lambda _ws=None: present["here"] and run.error(
                student, "disconnect", f"websocket closed: {ws.url}"))
            ws.on("framesent", lambda _payload: frames.sent.append(time.perf_counter()))
            ws.on("framereceived", frames.on_received)

    def on_response(response) -> None:
        if response.status >= 500:
            run.error(student, "http", f"{response.status} {response.url}")

    page.on("websocket", on_websocket)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: run.error(student, "js", str(exc)))
    page.on("crash", lambda _page: run.error(student, "crash", "page crashed"))


async def _slider_position(page: Page, label: str) -> tuple[float, float, float] | None:
    try:
        values = await page.get_by_role("slider", name=label).first.evaluate(
            "el => el.tagName === 'INPUT' ? [el.value, el.min, el.max]"  # react-aria <input type=range>
            " : ['now', 'min', 'max'].map(a => el.getAttribute('aria-value' + a))", timeout=5_000)
        now, low, high = (float(v) for v in values)
        return now, low, high
    except (PlaywrightError, TypeError, ValueError):
        return None


async def _browser_move(run: Run, student: StudentRecord, page: Page, frames: Frames, label: str,
                        direction: int) -> None:
    args = run.args
    key = "ArrowRight" if direction > 0 else "ArrowLeft"
    before = await page.evaluate(CHARTS_SIGNATURE_JS)
    changes_before = await page.evaluate("window.__load.changes")
    slider = page.get_by_role("slider", name=label).first
    await slider.focus(timeout=args.move_timeout * 1000)
    value_before = await slider.input_value(timeout=args.move_timeout * 1000)
    sent_t = round(run.sampler.now(), 3)
    started = time.perf_counter()
    await slider.press(key, timeout=args.move_timeout * 1000)
    if await slider.input_value(timeout=args.move_timeout * 1000) == value_before:
        return  # already at that end: nothing is sent, nothing to wait for
    try:
        handle = await page.wait_for_function(
            MOVE_DONE_JS, arg=[before, changes_before, args.same_chart_grace_ms],
            polling=args.poll_ms, timeout=args.move_timeout * 1000)
    except PlaywrightTimeout:
        run.moves.append(Move(student.index, "browser", student.page, label, direction, sent_t, None, False))
        run.error(student, "timeout", f"move {label} {key}: no redraw within {args.move_timeout} s")
        return
    ended = time.perf_counter()
    done = await handle.json_value()
    latency = ended - started if done["changed"] else max(0.0, ended - started - done["idleFor"] / 1000)
    server = frames.server_part(started, ended)
    run.moves.append(Move(student.index, "browser", student.page, label, direction, sent_t,
                          round(latency, 4), bool(done["changed"]),
                          None if server is None else round(server, 4)))
    frames.sent.clear()
    frames.finished.clear()
    student.moves += 1
    if done["exceptions"]:
        run.error(student, "exception", " | ".join(await page.locator(EXCEPTION).all_inner_texts()))
    if done["connection"]:
        text = await page.locator(CONNECTION_STATUS).first.inner_text()
        run.error(student, "disconnect", f"connection status shown: {text}")


async def browser_session(run: Run, browser: Browser, student: StudentRecord, leave_by: float) -> None:
    args = run.args
    walker = Walker(random.Random(args.seed * 1_000_003 + student.index), run.sliders[student.page], args)
    await asyncio.sleep(max(0.0, student.arrive_at - run.sampler.now()))
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    present = {"here": True}
    frames = Frames()
    try:
        await context.add_init_script(INIT_SCRIPT)
        page = await context.new_page()
        _attach_listeners(run, student, page, present, frames)
        student.arrived_t = round(run.sampler.now(), 3)
        started = time.perf_counter()
        try:
            await page.goto(student.link, timeout=args.load_timeout * 1000)
            await page.wait_for_function(PAGE_READY_JS, polling=args.poll_ms,
                                         timeout=args.load_timeout * 1000)
        except PlaywrightTimeout:
            run.error(student, "timeout", f"first load of {student.link} over {args.load_timeout} s")
            return
        student.load_s = round(time.perf_counter() - started, 3)
        if texts := await page.locator(EXCEPTION).all_inner_texts():
            run.error(student, "exception", " | ".join(texts))
        leave_at = min(run.sampler.now() + args.minutes * 60, leave_by)
        for _ in range(args.max_moves):
            if not await walker.think(run.sampler.now(), leave_at):
                break
            label = walker.next()
            direction = walker.bounce(label, await _slider_position(page, label))
            try:
                await _browser_move(run, student, page, frames, label, direction)
            except PlaywrightError as exc:
                run.error(student, "driver", f"move {label}: {str(exc).splitlines()[0]}")
                with contextlib.suppress(PlaywrightError):  # let a slow rerun finish first
                    await page.wait_for_function(SETTLED_JS, timeout=args.move_timeout * 1000)
    except PlaywrightError as exc:
        run.error(student, "driver", str(exc).splitlines()[0])
    finally:
        present["here"] = False
        student.left_t = round(run.sampler.now(), 3)
        with contextlib.suppress(PlaywrightError):
            await context.close()


# --------------------------------------------------------------------------
# the class


async def teacher_checks_links(url: str, timeout_s: float) -> dict[str, float]:
    """Open every shared link once (TF import, compiles, per-server sweeps), over the protocol."""
    seconds: dict[str, float] = {}
    for page, query in SHARED_LINKS.items():
        client = ProtocolStudent(url, page, query)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_s):
                result = await client.open()
        except (TimeoutError, WebSocketException, OSError) as exc:
            raise SystemExit(f"{page} did not load for the teacher ({type(exc).__name__}: {exc});"
                             " see the server log in benchmarks/results/") from exc
        finally:
            await client.close()
        seconds[page] = round(time.perf_counter() - started, 2)
        if result.exceptions or not result.charts:
            raise SystemExit(f"{page} is broken before the class starts: {result.exceptions or 'no chart'}")
    return seconds


async def wait_server_quiet(sampler: Sampler, limit_s: float, below_pct: float = 15.0,
                            window_s: float = 3.0) -> float:
    """Wait until the server's CPU stays below `below_pct` for `window_s` (warm-up done)."""
    started = sampler.now()
    while sampler.now() - started < limit_s:
        await asyncio.sleep(SAMPLE_SECONDS)
        recent = [s for s in sampler.samples if s.t >= sampler.now() - window_s]
        if len(recent) >= window_s / SAMPLE_SECONDS - 1 and max(s.server_cpu_pct for s in recent) < below_pct:
            break
    return sampler.now() - started


def _plan_students(args: argparse.Namespace, url: str) -> list[StudentRecord]:
    pages = list(SHARED_LINKS)
    students = [StudentRecord(i, "protocol", pages[i % len(pages)], _link(url, pages[i % len(pages)]))
                for i in range(args.students)]
    # Browser students: the first of each page, in BROWSER_PAGE_ORDER, then round again.
    order = sorted(students, key=lambda s: (s.index // len(pages), BROWSER_PAGE_ORDER.index(s.page)))
    for student in order[:args.browser_students]:
        student.driver = "browser"
    rng = random.Random(args.seed)
    arrivals = [rng.uniform(0, args.ramp_seconds) for _ in students]
    for student, offset in zip(students, arrivals, strict=True):
        student.arrive_at = offset
    return students


async def run_class(args: argparse.Namespace, sliders: dict[str, list[str]]) -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_path = RESULTS / f"classroom_load-{stamp}-server.log"
    process, url = start_server(log_path)
    sampler = Sampler(process.pid)
    sampler.start()
    run = Run(args=args, url=url, sampler=sampler, sliders=sliders, students=_plan_students(args, url))
    try:
        cold_rss = _rss_bytes(process.pid)
        sampler.phase = "teacher"
        print(f"server {url} (pid {process.pid}); the teacher opens the five links…", flush=True)
        teacher = await teacher_checks_links(url, args.load_timeout)
        print(f"  first visits (s): {teacher}", flush=True)
        sampler.phase = "settle"
        quiet = await wait_server_quiet(sampler, limit_s=120)
        await asyncio.sleep(2)
        baseline_rss = _rss_bytes(process.pid)
        print(f"  server quiet after {quiet:.1f} s; baseline RSS {baseline_rss / MiB:,.0f} MiB", flush=True)

        browsers = sum(1 for s in run.students if s.driver == "browser")
        async with async_playwright() as playwright:
            browser = None
            if browsers:
                browser = await playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                sampler.phase = "class"
                start = sampler.now()
                for student in run.students:
                    student.arrive_at += start
                leave_by = start + args.ramp_seconds + args.minutes * 60 + args.load_timeout
                hard_deadline = leave_by + args.move_timeout + 60
                print(f"{args.students} students ({browsers} in Chromium, {args.students - browsers} over"
                      f" the protocol) arrive within {args.ramp_seconds:g} s and move sliders for"
                      f" {args.minutes:g} min…", flush=True)
                tasks = [asyncio.create_task(
                    browser_session(run, browser, s, leave_by) if s.driver == "browser"
                    else protocol_session(run, s, leave_by)) for s in run.students]
                progress = asyncio.create_task(_progress(run))
                try:
                    await asyncio.wait_for(asyncio.gather(*tasks), timeout=hard_deadline - sampler.now())
                except TimeoutError:
                    for student in run.students:
                        if student.left_t is None:
                            run.error(student, "timeout", "still there at the class's hard deadline")
                finally:
                    progress.cancel()
                class_end = sampler.now()
            finally:
                if browser is not None:
                    await browser.close()
        sampler.phase = "after"
        print(f"all students left; waiting {args.settle_seconds:g} s…", flush=True)
        await asyncio.sleep(args.settle_seconds)
        after_rss = _rss_bytes(process.pid)
        vm_hwm = _vm_hwm_bytes(process.pid)
    finally:
        try:
            sampler.stop()
        finally:
            stop_server(process)

    summary = summarize(run, cold_rss, baseline_rss, after_rss, vm_hwm, teacher, (start, class_end))
    print_report(summary, run)
    out = RESULTS / f"classroom_load-{stamp}.json"
    out.write_text(json.dumps({
        "args": vars(args), "url": url, "server_log": str(log_path.relative_to(ROOT)),
        "summary": summary,
        "students": [asdict(s) for s in run.students],
        "moves": [asdict(m) for m in run.moves],
        "errors": [asdict(e) for e in run.errors],
        "timeline": [asdict(s) for s in sampler.samples],
    }, indent=1, default=str))
    print(f"\nwrote {out.relative_to(ROOT)} (server log {log_path.relative_to(ROOT)})")
    return 0 if summary["all_pass"] else 1


async def _progress(run: Run) -> None:
    while True:
        await asyncio.sleep(15)
        done = [m.latency_s for m in run.moves if m.latency_s is not None]
        recent = run.sampler.samples[-20:]
        here = sum(1 for s in run.students if s.arrived_t is not None and s.left_t is None)
        print(f"  t={run.sampler.now():5.0f}s present {here:>3}  moves {len(run.moves):>5}"
              f"  p50 {_fmt(percentile(done, 50), ' s')}  p95 {_fmt(percentile(done, 95), ' s')}"
              f"  errors {sum(1 for e in run.errors if e.kind != 'js')}"
              f"  CPU server {_fmt(_mean([s.server_cpu_pct for s in recent]), '%', 0)}"
              f" generator {_fmt(_mean([s.python_cpu_pct + s.browser_cpu_pct for s in recent]), '%', 0)}",
              flush=True)


# --------------------------------------------------------------------------
# report


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}"


def _latency(moves: Sequence[Move]) -> dict[str, Any]:
    done = [m.latency_s for m in moves if m.latency_s is not None]
    server = [m.server_s for m in moves if m.latency_s is not None and m.server_s is not None]
    return {"moves": len(done), "p50_s": percentile(done, 50), "p95_s": percentile(done, 95),
            "max_s": max(done, default=None), "server_part_p50_s": percentile(server, 50)}


def summarize(run: Run, cold_rss: int, baseline_rss: int, after_rss: int, vm_hwm: int,
              teacher: dict[str, float], window: tuple[float, float]) -> dict[str, Any]:
    args = run.args
    done = [m.latency_s for m in run.moves if m.latency_s is not None]
    counted = [e for e in run.errors if e.kind != "js"]
    by_kind: dict[str, int] = {}
    for e in run.errors:
        by_kind[e.kind] = by_kind.get(e.kind, 0) + 1
    during = [s for s in run.sampler.samples if window[0] <= s.t <= window[1]]
    server_cpu = [s.server_cpu_pct for s in during]
    generator_cpu = [s.python_cpu_pct + s.browser_cpu_pct for s in during]
    near_limit = max(NEAR_BASELINE_MIB * MiB, NEAR_BASELINE_FRACTION * baseline_rss)
    loads = {d: [s.load_s for s in run.students if s.driver == d and s.load_s is not None]
             for d in ("protocol", "browser")}
    p95 = percentile(done, 95)
    targets = {
        "zero errors": {"value": len(counted), "limit": 0, "pass": not counted},
        "move latency p95 <= 2 s": {"value": p95, "limit": TARGET_P95_S,
                                    "pass": p95 is not None and p95 <= TARGET_P95_S},
        "server peak RSS <= 1.5 GB": {"value": vm_hwm, "limit": TARGET_PEAK_RSS_BYTES,
                                      "pass": 0 < vm_hwm <= TARGET_PEAK_RSS_BYTES},
    }
    return {
        "students": args.students, "browser_students": args.browser_students, "minutes": args.minutes,
        "class_seconds": window[1] - window[0],
        "moves": len(run.moves), "moves_completed": len(done),
        "moves_same_chart_data": sum(1 for m in run.moves if m.latency_s is not None and not m.chart_changed),
        "moves_per_second": len(done) / max(window[1] - window[0], 1e-9),
        "latency_s": {"p50": percentile(done, 50), "p95": p95, "p99": percentile(done, 99),
                      "mean": _mean(done), "max": max(done, default=None)},
        "latency_by_driver": {d: _latency([m for m in run.moves if m.driver == d])
                              for d in ("protocol", "browser")},
        "latency_by_page": {p: {"students": sum(1 for s in run.students if s.page == p),
                                **_latency([m for m in run.moves if m.page == p])} for p in SHARED_LINKS},
        "first_load_s": {d: {"p50": percentile(v, 50), "max": max(v, default=None)}
                         for d, v in loads.items()},
        "errors": {"counted": len(counted), "by_kind": by_kind},
        "server": {
            "cpu_mean_pct": _mean(server_cpu), "cpu_peak_pct": max(server_cpu, default=None),
            "rss_cold_bytes": cold_rss, "rss_baseline_bytes": baseline_rss,
            "rss_peak_sampled_bytes": max((s.server_rss for s in during), default=None),
            "vm_hwm_bytes": vm_hwm, "rss_after_bytes": after_rss,
            "rss_after_minus_baseline_bytes": after_rss - baseline_rss,
            "returns_near_baseline": after_rss - baseline_rss <= near_limit,
            "near_baseline_limit_bytes": int(near_limit),
        },
        "generator": {
            "cpu_mean_pct": _mean(generator_cpu), "cpu_peak_pct": max(generator_cpu, default=None),
            "python_cpu_mean_pct": _mean([s.python_cpu_pct for s in during]),
            "browser_cpu_mean_pct": _mean([s.browser_cpu_pct for s in during]),
            "rss_sum_peak_bytes": max((s.generator_rss for s in during), default=None),
            "processes_peak": max((s.generator_procs for s in during), default=None),
        },
        "machine": {"cores": os.cpu_count(), "busy_mean_pct": _mean([s.machine_busy_pct for s in during]),
                    # Before the class, server quiet and no students: what else runs here.
                    "busy_before_class_pct": _mean([s.machine_busy_pct for s in run.sampler.samples
                                                    if s.phase == "settle"]),
                    "loadavg_at_end": os.getloadavg()},
        "teacher_first_visit_s": teacher,
        "targets": targets,
        "all_pass": all(t["pass"] for t in targets.values()),
    }


def print_report(summary: dict[str, Any], run: Run) -> None:
    lat, srv, gen = summary["latency_s"], summary["server"], summary["generator"]

    def mib(value: float | None) -> str:
        return "—" if value is None else f"{value / MiB:,.0f} MiB"

    print(f"\nClassroom load: {summary['students']} students ({summary['browser_students']} in Chromium)"
          f" x {summary['minutes']:g} min, one server, {summary['machine']['cores']} cores\n")
    print(f"{'moves by':<28} {'students':>8} {'moves':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7}"
          f" {'server p50 s':>13}")
    rows = [(p, r["students"], r) for p, r in summary["latency_by_page"].items()]
    rows += [(f"driver: {d}", sum(1 for s in run.students if s.driver == d), r)
             for d, r in summary["latency_by_driver"].items()]
    for name, students, r in rows:
        print(f"{name:<28} {students:>8} {r['moves']:>6} {_fmt(r['p50_s']):>7} {_fmt(r['p95_s']):>7}"
              f" {_fmt(r['max_s']):>7} {_fmt(r['server_part_p50_s']):>13}")
    if run.errors:
        print("\nErrors (first 10):")
        for e in run.errors[:10]:
            print(f"  t={e.t:6.1f}s student {e.student:>3} {e.page:<27} {e.kind:<10} {e.detail[:110]}")
    loads = summary["first_load_s"]
    table = [
        ("moves completed / sent", f"{summary['moves_completed']} / {summary['moves']}"
                                   f" ({summary['moves_same_chart_data']} redrew identical chart data)"),
        ("moves per second", _fmt(summary["moves_per_second"])),
        ("move latency p50 / p95 / max", f"{_fmt(lat['p50'], ' s')} / {_fmt(lat['p95'], ' s')}"
                                         f" / {_fmt(lat['max'], ' s')}"),
        ("first load p50 / max: protocol", f"{_fmt(loads['protocol']['p50'], ' s')}"
                                           f" / {_fmt(loads['protocol']['max'], ' s')}"),
        ("first load p50 / max: browser", f"{_fmt(loads['browser']['p50'], ' s')}"
                                          f" / {_fmt(loads['browser']['max'], ' s')}"),
        ("errors (exception/timeout/disconnect/http/…)", str(summary["errors"]["counted"])),
        ("JavaScript errors in pages (listed only)", str(summary["errors"]["by_kind"].get("js", 0))),
        ("server CPU mean / peak (100% = 1 core)", f"{_fmt(srv['cpu_mean_pct'], '%', 0)}"
                                                   f" / {_fmt(srv['cpu_peak_pct'], '%', 0)}"),
        ("server RSS cold / baseline", f"{mib(srv['rss_cold_bytes'])} / {mib(srv['rss_baseline_bytes'])}"),
        ("server peak RSS (VmHWM)", mib(srv["vm_hwm_bytes"])),
        (f"server RSS {run.args.settle_seconds:g} s after all left",
         f"{mib(srv['rss_after_bytes'])} ({srv['rss_after_minus_baseline_bytes'] / MiB:+,.0f} MiB vs"
         f" baseline: {'near' if srv['returns_near_baseline'] else 'NOT near'},"
         f" limit +{srv['near_baseline_limit_bytes'] / MiB:,.0f} MiB)"),
        ("generator CPU mean / peak", f"{_fmt(gen['cpu_mean_pct'], '%', 0)}"
                                      f" / {_fmt(gen['cpu_peak_pct'], '%', 0)}"
                                      f" (python {_fmt(gen['python_cpu_mean_pct'], '%', 0)},"
                                      f" chromium {_fmt(gen['browser_cpu_mean_pct'], '%', 0)})"),
        ("generator RSS sum (peak) / processes",
         f"{mib(gen['rss_sum_peak_bytes'])} / {gen['processes_peak']}"),
        ("machine busy: class / before it (other work)",
         f"{_fmt(summary['machine']['busy_mean_pct'], '%', 0)} / "
         f"{_fmt(summary['machine']['busy_before_class_pct'], '%', 0)}"
         f" of {summary['machine']['cores']} cores"),
    ]
    width = max(len(name) for name, _ in table)
    print("\nSummary")
    for name, value in table:
        print(f"  {name:<{width}}  {value}")
    other = summary["machine"]["busy_before_class_pct"]
    if other is not None and other > 25:
        print(f"\nNOTE: other work kept the machine {other:.0f}% busy before the class started;"
              " latencies read high. Compare runs on a quiet machine.")
    print("\nTargets")
    for name, target in summary["targets"].items():
        value = target["value"]
        shown = mib(value) if "RSS" in name else (_fmt(value, " s") if "latency" in name else str(value))
        print(f"  {'PASS' if target['pass'] else 'FAIL'}  {name:<26} measured {shown}")
    print(f"  => {'ALL PASS' if summary['all_pass'] else 'SOME TARGETS FAILED'}")


# --------------------------------------------------------------------------
# main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="N simulated students move sliders on one `streamlit run app.py` (see the module doc).")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--browser-students", type=int, default=1,
                        help="how many of them are real Chromium contexts (the rest speak the protocol);"
                             " each costs 30-45%% of a core here")
    parser.add_argument("--minutes", type=float, default=3.0, help="slider time per student")
    parser.add_argument("--ramp-seconds", type=float, default=20.0,
                        help="students open the link at random times within this window")
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0, help="seeds arrivals, think times, slider choices")
    parser.add_argument("--move-timeout", type=float, default=30.0, help="seconds; a slower move is an error")
    parser.add_argument("--load-timeout", type=float, default=180.0,
                        help="seconds for a first page load (the teacher's include TensorFlow's import)")
    parser.add_argument("--settle-seconds", type=float, default=30.0,
                        help="wait after the last student leaves before reading memory again")
    parser.add_argument("--max-moves", type=int, default=500, help="per student, a safety bound")
    parser.add_argument("--poll-ms", type=int, default=50,
                        help="browser: how often a page checks for the redraw")
    parser.add_argument("--same-chart-grace-ms", type=int, default=1500,
                        help="browser: idle this long after a rerun with unchanged chart data ends the wait")
    args = parser.parse_args(argv)
    if not (1 <= args.students <= 200 and 0 <= args.browser_students <= args.students
            and 0 < args.minutes <= 30 and 0 <= args.think_min <= args.think_max):
        parser.error("need 1 <= --students <= 200, 0 <= --browser-students <= --students,"
                     " 0 < --minutes <= 30, 0 <= --think-min <= --think-max")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.browser_students and not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium; never `playwright install`),"
                         " or run with --browser-students 0")
    sliders = _check_links()
    return asyncio.run(run_class(args, sliders))


if __name__ == "__main__":
    sys.exit(main())
