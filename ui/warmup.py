"""Compile every scenario once per server process, in the background.

TensorFlow's import and the first trace/XLA compile of each training loop
take seconds; a student's first slider move should not pay for them. The
home page does not wait for this thread. When it is done, `gc.freeze()`
moves the long-lived TensorFlow objects out of the collector's way: a full
collection takes ~150 ms with TensorFlow loaded, ~0.02 ms frozen (Python
still runs them now and then; Streamlit's own after every script run is
switched off by `ui.keras_between_runs`).
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import threading
import time

SCENARIOS = (
    "rmsprop_first_step",
    "adam_high_learning_rate",
    "sparse_gradients",
    "momentum_valley",
    "nan_loss",
)
_started = threading.Event()
done = threading.Event()
log = logging.getLogger(__name__)


def warm_all() -> None:
    started = time.perf_counter()
    for name in SCENARIOS:
        try:
            module = importlib.import_module(f"scenarios.{name}")
            module.warm_up()
        except Exception:  # a broken scenario must not stop the others warming
            log.exception("warm-up of %s failed", name)
    gc.collect()
    gc.freeze()
    done.set()
    log.info("warm-up finished in %.1f s", time.perf_counter() - started)


def start_in_background() -> None:
    """Start the warm-up thread once per process (idempotent, cheap)."""
    if os.environ.get("OPTIMIZER_EXPLORER_WARMUP", "1") == "0" or _started.is_set():
        return
    _started.set()
    threading.Thread(target=warm_all, name="scenario-warmup", daemon=True).start()
