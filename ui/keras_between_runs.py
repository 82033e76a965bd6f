"""Keep Keras' global state between script runs: Streamlit would clear it after each one.

Streamlit 1.67's script runner calls `keras.backend.clear_session()` at the
end of every script run once Keras is imported (`_clean_problem_modules`
in `streamlit/runtime/scriptrunner/script_runner.py`), to free models a
script builds on each run. This app builds its models once per process
(the scenarios' cached trainers), so there is nothing to free, and the call
costs everyone:

* a full `gc.collect()`. `gc.freeze()` after the warm-up makes it cheap
  for one student, but every session's objects made after the freeze are
  traversed again on every run: with 40 students moving sliders, py-spy
  (`--gil`) found the server holding the GIL in it 14% of the time;
* a reset of TensorFlow's default graph and eager kernel cache, and a new
  Keras global-state object, while other sessions' scripts may be training
  in other threads.

Python's own generational collector still runs as usual.
"""

from __future__ import annotations

import logging
import sys

from streamlit.runtime.scriptrunner import script_runner

log = logging.getLogger(__name__)
_ORIGINAL = getattr(script_runner, "_clean_problem_modules", None)


def _clean_problem_modules_but_keras() -> None:
    """What Streamlit cleans after a run, minus Keras (matplotlib, unused here, is still closed)."""
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def keep_keras_state_between_runs() -> bool:
    """Install the replacement (idempotent). False if this Streamlit has no such hook."""
    if _ORIGINAL is None:
        log.warning("streamlit's script runner has no _clean_problem_modules: nothing replaced")
        return False
    script_runner._clean_problem_modules = _clean_problem_modules_but_keras
    return True
