"""Helpers for streamlit.testing.v1.AppTest tests of the real app."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from ui import routes

APP = str(Path(__file__).resolve().parents[1] / "app.py")
QUESTION_IDS = (
    "q1_adam_high_learning_rate",
    "q2_rmsprop_first_step",
    "q3_sparse_gradients",
    "q4_sgd_momentum",
    "q5_nan_loss",
)
PAGES = {question_id: routes.question_file(question_id) for question_id in QUESTION_IDS}
# The first run of a page imports TensorFlow and compiles its loops.
TIMEOUT = 180
_frozen = False


def open_page(question_id: str | None = None, query: dict[str, str | list[str]] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if question_id is not None:
        at.switch_page(PAGES[question_id])
    at.run()
    _freeze_gc_once_tensorflow_is_loaded()
    return at


def _freeze_gc_once_tensorflow_is_loaded() -> None:
    """What the server's warm-up thread does (ui/warmup.py), here in the test process.

    A full gc.collect() with TensorFlow loaded takes ~0.5 s here unfrozen;
    Python still runs one now and then.
    """
    global _frozen
    if not _frozen and "tensorflow" in sys.modules:
        gc.collect()
        gc.freeze()
        _frozen = True


def clear_caches() -> None:
    """st.cache_data is shared by every AppTest in the process."""
    st.cache_data.clear()


def errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.exception]


def plotly_data(at: AppTest) -> list[str]:
    """The JSON spec of every plotly chart on the page (to see a redraw)."""
    return [element.proto.spec for element in at.get("plotly_chart")]
