"""Helpers for streamlit.testing.v1.AppTest tests of the real app."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from content.questions import load_bank

APP = str(Path(__file__).resolve().parents[1] / "app.py")
# Every question of the bank, in order: the tests iterate these, never a list of their own.
QUESTION_IDS = tuple(question.id for question in load_bank().questions)
# The first run of a page imports TensorFlow and compiles its loops.
TIMEOUT = 180
_frozen = False


def open_page(question_id: str | None = None, query: dict[str, str | list[str]] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if question_id is not None:
        show_page(at, question_id)
    at.run()
    _freeze_gc_once_tensorflow_is_loaded()
    return at


def show_page(at: AppTest, url_path: str) -> None:
    """Open the page at this URL path on the next run, as a browser's address does.

    `AppTest.switch_page` takes a script file, and every question page runs
    the same one (app_pages/question.py); st.Page tells pages apart by the
    hash of their url_path, so that is what the test sets.
    """
    at._page_hash = calc_hash(url_path)


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
