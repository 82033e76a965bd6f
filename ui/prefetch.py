"""The slider's next notch, computed while the browser draws this one.

A key press moves a slider one notch; a drag passes the notches in order.
After a run that moved a slider, one background thread runs the experiment
at the next notch in the same direction (both neighbours of the main slider
on a page's first run, or after a preset moved several), so the next press
is a cache hit. The way back is the notch just shown, cached already.

Measured with a probe of 15 key presses on q4's momentum slider (its run was
~35% of the script's time a press, py-spy): 323 -> 272 ms from key press to
settled chart; on q3 (five optimizers tuned a notch), ~15 ms less. A jump to
a notch not prefetched still runs while the student waits, as before.

Only where the experiment offers `prefetch(values)` (the cached calls its
`show` makes, without drawing), and only once the engine is live: before
that, a run would import TensorFlow and compile in the background of a
first visit (`ui.warmup`). One request at a time: a newer one replaces a
pending one, which is stale by then.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from content.questions import SLIDER_KINDS, Control, Question
from scenarios import precomputed

log = logging.getLogger(__name__)
Prefetch = Callable[[dict[str, Any]], None]

# A prefetch starts once the run that asked for it has ended (its script thread: Streamlit runs
# each run on a thread of its own), then after this delay, while the browser draws what the
# run sent. Started 30 ms after the request instead, it held the GIL (~7 ms a press of Python
# in TensorFlow's and pandas' calls, py-spy --gil on q4) while the run was still going and the
# server still sending its messages.
START_DELAY_S = 0.03
RUN_END_WAIT_S = 5.0  # a run that goes on longer (a rerun requested meanwhile): start anyway
_LAST_KEY = "_prefetch_last:{}"
_THREAD_NAME = "slider-prefetch"


def enabled() -> bool:
    return os.environ.get("OPTIMIZER_EXPLORER_PREFETCH", "1") != "0"


def next_configurations(question: Question, before: Mapping[str, Any] | None,
                        now: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`{engine param: value}` of the runs worth having ready after a move from `before` to `now`.

    One slider moved: its next notch onward. Otherwise (first run, a preset, a
    non-slider control): the main slider's two neighbours, if it is a slider.
    """
    sliders = [c for c in question.controls if c.kind in SLIDER_KINDS]
    moved = [c for c in sliders if before is not None and before.get(c.param) != now.get(c.param)]
    if len(moved) == 1 and all(before.get(c.param) == now.get(c.param)  # type: ignore[union-attr]
                               for c in question.controls if c is not moved[0]):
        control = moved[0]
        direction = 1 if now[control.param] > before[control.param] else -1  # type: ignore[index]
        return _shifted(control, now, [direction])
    main = question.main_control
    return _shifted(main, now, [1, -1]) if main.kind in SLIDER_KINDS else []


def _shifted(control: Control, values: Mapping[str, Any], steps: list[int]) -> list[dict[str, Any]]:
    notches = control.notches()
    here = control.notch_index(values[control.param])
    return [{**values, control.param: notches[here + step]}
            for step in steps if 0 <= here + step < len(notches)]


def after_run(question: Question, experiment: object, values: Mapping[str, Any]) -> None:
    """Called by the page after the experiment drew `values`: queue what the next move may need."""
    prefetch: Prefetch | None = getattr(experiment, "prefetch", None)
    if prefetch is None or not enabled() or precomputed.replaying():
        return
    key = _LAST_KEY.format(question.id)
    before = st.session_state.get(key)
    if before == dict(values):
        return  # the same configuration again (a switch flipped): already queued once
    st.session_state[key] = dict(values)
    _worker.submit(prefetch, next_configurations(question, before, values), after=threading.current_thread())


class _Worker:
    """One daemon thread; the newest request replaces a pending one."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._pending: tuple[Prefetch, list[dict[str, Any]], threading.Thread] | None = None
        self._busy = False
        self._thread: threading.Thread | None = None

    def submit(self, prefetch: Prefetch, configurations: list[dict[str, Any]], *, after: threading.Thread) -> None:
        """Run `prefetch` on each configuration once the thread `after` (the run asking) has ended."""
        if not configurations:
            return
        with self._condition:
            self._pending = (prefetch, configurations, after)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=_THREAD_NAME, daemon=True)
                self._thread.start()
            self._condition.notify()

    def wait_until_idle(self, timeout: float) -> bool:
        """For tests: True once nothing is pending or running."""
        give_up = time.monotonic() + timeout
        with self._condition:
            while self._pending is not None or self._busy:
                left = give_up - time.monotonic()
                if left <= 0:
                    return False
                self._condition.wait(left)
        return True

    def _loop(self) -> None:
        while True:
            with self._condition:
                while self._pending is None:
                    self._condition.wait()
                self._busy = True
            self._wait_for_the_run()
            time.sleep(START_DELAY_S)
            with self._condition:
                job, self._pending = self._pending, None
            try:
                if job is not None:
                    prefetch, configurations, _ = job
                    for values in configurations:
                        with self._condition:
                            if self._pending is not None:
                                break  # the student moved on: this guess is stale
                        prefetch(values)
            except Exception:  # a prefetch is a guess: failing it costs the next move its head start
                log.warning("prefetching a slider's next notch failed", exc_info=True)
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()

    def _wait_for_the_run(self) -> None:
        """Until the run that asked for the pending prefetch has ended (a newer one may ask meanwhile)."""
        give_up = time.monotonic() + RUN_END_WAIT_S
        while True:
            with self._condition:
                run = self._pending[2] if self._pending is not None else None
            left = give_up - time.monotonic()
            if run is None or run is threading.current_thread() or not run.is_alive() or left <= 0:
                return
            run.join(left)


class _NoScriptHere(logging.Filter):
    """This thread runs no script by design: Streamlit's cache warns of a thread without one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != _THREAD_NAME


# Streamlit's logger of "Thread '…': missing ScriptRunContext!" (tests/test_quiet_and_clean.py
# fails on that line in the server's log, so a renamed logger does not go unnoticed).
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_NoScriptHere())
_worker = _Worker()
wait_until_idle = _worker.wait_until_idle
