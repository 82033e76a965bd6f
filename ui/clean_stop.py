"""A server stopped with SIGTERM or SIGINT exits with status 0, never with an abort.

Measured before this module (`streamlit run app.py`, a question page open,
then SIGTERM or SIGINT; tests/test_quiet_and_clean.py): about one stop in
six printed

    terminate called after throwing an instance of ''
    FATAL: exception not rethrown

and ended on SIGABRT (exit status -6), mostly when the signal came while
TensorFlow was loading or compiling. With PYTHONFAULTHANDLER=1 the abort
was in a thread other than the main one, while the main thread, with no
Python frame left, was finalizing the interpreter.

Why. Streamlit's own handler stops the server; its `main()` returns and
Python finalizes. The warm-up thread (`ui.warmup`) and Streamlit's script
threads are daemon threads, and one of them may be inside a TensorFlow call
(the import, an XLA compile, a run) with the GIL released. A daemon thread
that comes back for the GIL once finalization has begun is ended by
CPython 3.11-3.13 with `pthread_exit()`. Its forced unwind has to pass the
C++ frames of TensorFlow's native code under it; one of them catches it
instead of letting it through (glibc's "exception not rethrown" says so; the
exact frame was not pinned down), and the whole process aborts.

What this does. The first SIGTERM/SIGINT is handed on to Streamlit's
handler, which closes the sessions and the server as usual, and registers
an exit hook. Once Streamlit's shutdown is done and the main thread reaches
interpreter exit (atexit runs after the non-daemon threads are joined and
before finalization stops the daemon ones), the hook flushes the output and
ends the process with `os._exit(0)`: no thread is unwound and no C++
destructor runs, so a TensorFlow call still in flight cannot abort the
exit; its thread simply ends with the process (it holds nothing that
outlives it: the trainers' state is in memory, and TensorFlow writes no
files here). A second signal exits at once, as does a stop that has not
finished within `STOP_WITHIN_S`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import signal
import sys
import threading
from typing import Any

from streamlit import runtime

log = logging.getLogger(__name__)
SIGNALS = (signal.SIGTERM, signal.SIGINT)
# Streamlit's shutdown (sessions, websockets, uvicorn) takes ~1-7 s here under load.
STOP_WITHIN_S = 20.0

_installed = threading.Event()
_install_lock = threading.Lock()
_stopping = threading.Event()


def install() -> bool:
    """Install the handlers once per server process (cheap and idempotent; call it from app.py).

    Signal handlers can only be set on the main thread, which runs Streamlit's
    event loop; a script runs on another thread, so the handlers are set from
    the loop. False when there is nothing to do: no real server (AppTest, a
    bare `python app.py`) or handlers already installed.
    """
    if _installed.is_set() or not runtime.exists():
        return False
    loop = _server_loop()
    if loop is None:
        return False
    with _install_lock:  # two first visitors at once: one installs
        if _installed.is_set():
            return False
        _installed.set()
    loop.call_soon_threadsafe(_install_on_main_thread)
    return True


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop Streamlit's runtime runs on, through public API only."""
    try:
        stopped = runtime.get_instance().stopped
        loop = stopped.get_loop() if isinstance(stopped, asyncio.Future) else None
    except Exception:  # no started runtime (e.g. AppTest's mock): nothing to stop
        return None
    return loop if isinstance(loop, asyncio.AbstractEventLoop) and not loop.is_closed() else None


def _install_on_main_thread() -> None:
    if threading.current_thread() is not threading.main_thread():
        log.warning("Streamlit's event loop is not on the main thread: no clean-stop handlers")
        return
    for number in SIGNALS:
        signal.signal(number, _handler(signal.getsignal(number)))


def _handler(previous: Any) -> Any:
    def on_signal(number: int, frame: Any) -> None:
        if _stopping.is_set():  # a second signal: the user wants out now
            _exit_now()
        _stopping.set()
        # Registered now, so it runs first at exit, before any later-registered hook.
        atexit.register(_exit_now)
        watchdog = threading.Timer(STOP_WITHIN_S, _stop_took_too_long)
        watchdog.daemon = True
        watchdog.start()
        if callable(previous):  # Streamlit's: stops the server on the event loop
            previous(number, frame)
        else:
            runtime.get_instance().stop()

    return on_signal


def _stop_took_too_long() -> None:
    log.warning("the server did not stop within %.0f s of the signal; exiting now", STOP_WITHIN_S)
    _exit_now()


def _exit_now() -> None:
    """Flush what was written, then end the process without finalizing the interpreter.

    Logging's stream handlers flush every record; print()s may still sit in a buffer.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed stream must not stop the exit
            stream.flush()
    os._exit(0)
