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
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time

import scenarios
from content.questions import QuestionBank
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
            engine.warm_up(engine.Params(**question.default_values()))
            warmed.append(question.id)
        except Exception:  # a broken question must not stop the others warming
            log.exception("warm-up of %s failed", question.id)
    gc.collect()
    gc.freeze()
    log.info("warm-up finished in %.1f s", time.perf_counter() - started)
    return warmed


def start_in_background(bank: QuestionBank) -> None:
    """Start the warm-up thread once per process (idempotent, cheap)."""
    if os.environ.get("OPTIMIZER_EXPLORER_WARMUP", "1") == "0" or _started.is_set():
        return
    _started.set()
    threading.Thread(target=warm_all, args=(bank,), name="scenario-warmup", daemon=True).start()
