"""Compile every question's scenario once per server process, in the background.

TensorFlow's import and the first trace/XLA compile of each training loop
take seconds; a student's first slider move should not pay for them. The
home page does not wait for this thread. It walks the question bank: each
question's experiment is loaded and checked against its file
(`ui.experiments.load`), and its scenario warmed at the question's default
values. When it is done, `gc.freeze()` moves the long-lived TensorFlow
objects out of the collector's way: a full collection takes ~150 ms with
TensorFlow loaded, ~0.02 ms frozen (Python still runs them now and then;
Streamlit's own after every script run is switched off by
`ui.keras_between_runs`).

Until it is done the engine serves the results recorded ahead of time for
the default and preset configurations (`scenarios.precomputed`), so a first
visit does not wait for TensorFlow; when it is done the app goes live.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time

import scenarios
from content.questions import QuestionBank
from scenarios import precomputed
from ui import experiments

_started = threading.Event()
log = logging.getLogger(__name__)


def warm_all(bank: QuestionBank) -> list[str]:
    """Warm every question's scenario at its defaults; return the ids warmed."""
    started = time.perf_counter()
    warmed = []
    for question in bank.questions:
        try:
            experiments.load(question)
            engine = scenarios.load(question.scenario)
            with precomputed.computing():  # compile: pages are still served the recorded results
                engine.warm_up(engine.Params(**question.default_values()))
            warmed.append(question.id)
        except Exception:  # a broken question must not stop the others warming
            log.exception("warm-up of %s failed", question.id)
    gc.collect()
    gc.freeze()
    log.info("warm-up finished in %.1f s", time.perf_counter() - started)
    return warmed


def enabled() -> bool:
    return os.environ.get("OPTIMIZER_EXPLORER_WARMUP", "1") != "0"


# The warm-up waits until no page has run for QUIET_S (at most QUIET_LIMIT_S): TensorFlow's
# import holds the GIL for seconds, and after the first visitor's script has ended the browser
# still fetches the page's JavaScript (plotly's ~3.5 MB last) from this process and draws it.
# Measured on a fresh server (2 cores): starting at once, the first chart came 11 s after the
# script ended; 1.5 s quiet, 7 s after; 4 s quiet, 4.6 s after, with the import starting 1.5 s
# before the chart was drawn. (The one-chart floor app draws its first chart 5.5 s after spawn.)
QUIET_S, QUIET_LIMIT_S = 5.0, 30.0
WARM_MESSAGE = "Optimizer Explorer: the engine is warm; every result from now on is computed live."
_activity = threading.Condition()
_runs = {"running": 0, "last_end": 0.0}


def page_run_started() -> None:
    """At the start of every run of app.py: until warm, serve the results recorded ahead of time."""
    if enabled() and not _started.is_set():
        precomputed.replay(True)
    with _activity:
        _runs["running"] += 1


def page_run_finished(bank: QuestionBank) -> None:
    """At the end of every run of app.py: start the warm-up once (idempotent, cheap)."""
    with _activity:
        _runs["running"] -= 1
        _runs["last_end"] = time.monotonic()
    if not enabled() or _started.is_set():
        return
    _started.set()
    threading.Thread(target=_warm_then_go_live, args=(bank,), name="scenario-warmup", daemon=True).start()


def _wait_for_a_quiet_moment() -> None:
    give_up = time.monotonic() + QUIET_LIMIT_S
    while time.monotonic() < give_up:
        with _activity:
            if _runs["running"] == 0 and time.monotonic() - _runs["last_end"] >= QUIET_S:
                return
        time.sleep(0.2)


def _warm_then_go_live(bank: QuestionBank) -> None:
    try:
        _wait_for_a_quiet_moment()
        warm_all(bank)
    finally:
        # From now on every result is computed. Recorded ones the page caches kept are dropped:
        # once the page stops saying "recorded ahead of time", it shows none.
        precomputed.replay(False)
        experiments.forget_cached_results()
        # In the server's log, for whoever runs it (and `harness.server.wait_until_warm`).
        print(WARM_MESSAGE, flush=True)
