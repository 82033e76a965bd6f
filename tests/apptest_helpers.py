"""Helpers for streamlit.testing.v1.AppTest tests of the real app.

The AppTest drivers live in `harness/apptest.py` (the benchmarks use them
too); the tests add the garbage-collector freeze the server's warm-up does.
"""

from __future__ import annotations

import gc
import sys

from streamlit.testing.v1 import AppTest

from content.questions import load_bank
from harness.apptest import charts, clear_caches, errors, plotly_data, run_app, show_page, switch_everything_on

__all__ = ["QUESTION_IDS", "charts", "clear_caches", "errors", "open_page", "plotly_data", "show_page",
           "switch_everything_on"]

# Every question of the bank, in order: the tests iterate these, never a list of their own.
QUESTION_IDS = tuple(question.id for question in load_bank().questions)
_frozen = False


def open_page(question_id: str | None = None, query: dict[str, str | list[str]] | None = None) -> AppTest:
    """A fresh AppTest of the app, run once on this question's page (home if None)."""
    at = run_app(question_id, query)
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
