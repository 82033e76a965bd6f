"""Keep the end of a finished run when a fragment rerun lands right after it (a Streamlit 1.67 race).

How Streamlit 1.67 loses it (`streamlit/runtime/app_session.py`):

- A ScriptRunner thread hands every message of a run (each delta, then
  `script_finished`, then its SHUTDOWN) to the session's event loop with
  `call_soon_threadsafe`; the loop sends them to the browser in that order.
- `AppSession.request_rerun` gives a fragment rerun to the current runner.
  A runner whose last run has ended refuses it, and the session then makes
  a new runner at once (`_create_scriptrunner`). From then on, every message
  of the old runner still waiting on the loop is dropped
  (`_handle_scriptrunner_event_on_event_loop`: "Ignoring event from
  non-current ScriptRunner").
- So when a fragment rerun arrives between the end of a full run and the
  loop's sending of that run's last messages, the browser never gets the
  end of the page (the class page's vote button, "Your prediction is in")
  nor its `script_finished`; only the fragment keeps updating. Streamlit's
  own comment in `request_rerun` describes this sequence (issue #9921) and
  guards only a fragment that no longer exists.

`st.fragment(run_every=...)` makes every browser send such reruns by itself
(a class phone every 2 s), so the window is hit by chance: in the 80-student
class benchmark 23 clicks never got their page back within 30 s (22 option
picks, and one vote that was stored but never acknowledged). Measured with
`python -m benchmarks.fragment_rerun_race` (40 sessions of a two-widget page,
a full rerun about every second, a fragment poll every 0.2 s): stock
Streamlit lost 14 of 3,035 full reruns (with no polls: 0 of 1,204); with this
module 0 of 3,128, acknowledgement times unchanged.

The fix: when the current runner refused the rerun, wait on the event loop
until that runner's SHUTDOWN has been handled (the loop handles a runner's
messages in order, so its run has been sent by then), then make the new
runner; if another runner was made meanwhile (a full rerun), hand it the
rerun instead. The wait is normally one pass of the loop; after `MAX_WAIT_S`
Streamlit's own behaviour applies. Full reruns under `runner.fastReruns`
drop the old runner before asking for a new one and are not delayed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from streamlit.runtime import app_session

log = logging.getLogger(__name__)

MAX_WAIT_S = 1.0
RETRY_S = 0.002  # the old runner's thread posts its SHUTDOWN right after refusing more work

_AppSession = app_session.AppSession
_ORIGINAL = getattr(_AppSession, "_create_scriptrunner", None)
_SHUTTING_DOWN = getattr(getattr(app_session, "AppSessionState", None), "SHUTDOWN_REQUESTED", None)


def _create_after_the_old_runner_is_done(session: Any, initial_rerun_data: Any) -> None:
    """`AppSession._create_scriptrunner`, deferred while the runner it replaces still has messages to send."""
    previous = getattr(session, "_scriptrunner", None)
    loop = getattr(session, "_event_loop", None)
    try:
        on_loop = loop is not None and asyncio.get_running_loop() is loop
    except RuntimeError:
        on_loop = False
    if previous is None or not on_loop:
        # No runner (or fastReruns dropped it on purpose): nothing of it can be lost here.
        _ORIGINAL(session, initial_rerun_data)
        return
    deadline = loop.time() + MAX_WAIT_S

    def attempt() -> None:
        if getattr(session, "_state", None) is _SHUTTING_DOWN:
            return
        current = session._scriptrunner
        if current is previous:
            if loop.time() < deadline:
                loop.call_later(RETRY_S, attempt)
                return
            log.warning("a finished ScriptRunner did not shut down within %.1f s: replacing it", MAX_WAIT_S)
            _ORIGINAL(session, initial_rerun_data)
        elif current is None:
            _ORIGINAL(session, initial_rerun_data)
        elif not current.request_rerun(initial_rerun_data):
            # That newer runner has finished too: wait for it in turn.
            _create_after_the_old_runner_is_done(session, initial_rerun_data)

    loop.call_soon(attempt)


def install() -> bool:
    """Install the deferral (idempotent). False if this Streamlit lacks the hooks it relies on."""
    if _ORIGINAL is None or _SHUTTING_DOWN is None:
        log.warning("streamlit's AppSession has no _create_scriptrunner / AppSessionState: nothing replaced")
        return False
    _AppSession._create_scriptrunner = _create_after_the_old_runner_is_done
    return True
