"""Quiet and clean: the real server (`streamlit run app.py`) in Debian's Chromium.

* Quiet: a walk of the home page and every question page of the bank, moving
  every control of each page once in the browser, then each page's main
  slider again once the engine is live (its next notch is computed in the
  background then), leaves no "retracing" warning, no Traceback and no
  thread without a script run in the server's log.
* Offline: on that walk the browser requests nothing from another host (the
  page icon ships in assets/; Streamlit's material icons come from its own
  bundled font), and a slider move fetches no file from the server's /media/
  (a page icon given as a file path was fetched again at every rerun).
* Clean stop: a server stopped with SIGTERM or SIGINT exits with status 0 and
  no abort message, ten times over: most while TensorFlow is still loading or
  the warm-up compiling, the rest after a question page has run.

Everything is read from the question bank: a new question is walked too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from content.questions import SLIDER_KINDS, Control, load_bank
from harness.browser import (
    CHARTS_SETTLED_JS,
    CHROMIUM,
    FIRST_LOAD_MS,
    IDLE_MS,
    exceptions,
    launch_options,
    open_app,
)
from harness.server import start_server, stop_server, wait_until_warm
from harness.sliders import arrow_with_room
from ui.warmup import WARM_MESSAGE

BANK = load_bank()
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# What a server's output must never hold. "retracing" is TensorFlow's
# "N out of the last N calls to ... triggered tf.function retracing";
# the rest is what an abort at exit printed.
# "missing ScriptRunContext" is Streamlit's warning of a thread calling st.* without a script run
# (the slider prefetch's thread filters it out: `ui.prefetch`).
FORBIDDEN = ("retracing", "Traceback", "terminate called", "FATAL", "Aborted", "missing ScriptRunContext")
STOPS = 10
STOPS_AFTER_A_RUN = 3  # the others land while TensorFlow loads or the warm-up compiles
STOP_WITHIN_S = 60

pytestmark = [pytest.mark.e2e]  # a real browser, like tests/e2e: `-m "not e2e"` leaves it out
if not CHROMIUM.exists():
    if os.environ.get("OPTIMIZER_EXPLORER_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium")
    pytestmark.append(pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install chromium)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (pytest-playwright's `browser` fixture), as in tests/e2e."""
    return {**browser_type_launch_args, **launch_options()}


@pytest.fixture
def server(tmp_path) -> Iterator[tuple[subprocess.Popen, str, Path]]:
    log = tmp_path / "streamlit.log"
    process, url = start_server(log)
    try:
        yield process, url, log
    finally:
        if process.poll() is None:
            stop_server(process)


def _forbidden_lines(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines()
            if any(word in line for word in FORBIDDEN)]


def _stop(process: subprocess.Popen, number: int = signal.SIGTERM) -> int:
    """Send the signal; the exit status (a timeout fails the test, then kills the server)."""
    process.send_signal(number)
    try:
        return process.wait(timeout=STOP_WITHIN_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"the server did not stop within {STOP_WITHIN_S} s of {signal.Signals(number).name}")


def _move(page: Page, control: Control) -> None:
    """Move one control away from its default, and wait until the page has run with the new value.

    The wait is on the address bar, not on the charts: every control's value
    away from its default goes into the link, while the charts can stay the
    same (more epochs of a run that went NaN early draw the same curve).
    """
    page.wait_for_function(CHARTS_SETTLED_JS, timeout=IDLE_MS)
    before = page.url
    if control.kind in SLIDER_KINDS:
        slider = page.get_by_role("slider", name=control.label)
        slider.focus()
        slider.press(arrow_with_room(control))
    elif control.kind == "choice":
        other = next(option for option in control.options if option != control.default)
        page.get_by_role("radiogroup", name=control.label).get_by_text(other, exact=True).click()
    elif control.kind == "toggle":
        # The switch itself is a visually hidden input: click its label, as a user does.
        page.locator("label").filter(has=page.get_by_role("switch", name=control.label)).click()
    else:
        raise AssertionError(f"no way to move a {control.kind!r} control ({control.label})")
    try:
        page.wait_for_function(f"(before) => window.location.href !== before && ({CHARTS_SETTLED_JS})()",
                               arg=before, timeout=IDLE_MS)
    except PlaywrightTimeoutError:
        pytest.fail(f"{page.url}: moving {control.label!r} did not rerun the page within {IDLE_MS / 1000:g} s")
    assert f"{control.key}=" in urlsplit(page.url).query, (page.url, control.key)


def test_every_page_and_control_is_quiet_and_offline(browser, server):
    """Home, then every question page at its defaults and after each of its controls moved."""
    process, url, log = server
    requested: list[str] = []
    media_on_moves: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    try:
        open_app(page, url)
        assert exceptions(page) == []
        for question in BANK.questions:
            open_app(page, f"{url}/{question.id}", FIRST_LOAD_MS)
            page.wait_for_function(CHARTS_SETTLED_JS, timeout=FIRST_LOAD_MS)
            assert exceptions(page) == [], question.id
            for control in question.controls:
                _move(page, control)
                assert exceptions(page) == [], f"{question.id}: {control.label}"
        # Once the engine is live a move also computes the slider's next notch in the background
        # (`ui.prefetch`); the walk above may have met the engine still starting.
        wait_until_warm(log)
        for question in BANK.questions:
            open_app(page, f"{url}/{question.id}", FIRST_LOAD_MS)
            page.wait_for_function(CHARTS_SETTLED_JS, timeout=IDLE_MS)
            before_move = len(requested)
            _move(page, question.main_control)
            media_on_moves += [address for address in requested[before_move:] if "/media/" in address]
            assert exceptions(page) == [], f"{question.id}: {question.main_control.label}, engine live"
    finally:
        context.close()

    assert requested, "the request listener saw nothing"
    found = {
        "requests to another host (they fail without internet)":
            sorted({address for address in requested if _goes_elsewhere(address)}),
        "files fetched from /media/ by a slider move": media_on_moves,
        "exit status after SIGTERM": _stop(process),
        "server log lines": _forbidden_lines(log),
    }
    assert found == {key: 0 if key.startswith("exit") else [] for key in found}


def _goes_elsewhere(address: str) -> bool:
    """A network request to another machine (data: and blob: addresses never leave the browser)."""
    parts = urlsplit(address)
    return parts.scheme not in ("data", "blob") and parts.hostname not in LOCAL_HOSTS


def _tensorflow_loaded(pid: int) -> bool:
    """TensorFlow's library is mapped into the process: its import has begun."""
    try:
        return "libtensorflow_framework" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:  # no /proc: fall back to the fixed delays alone
        return True


def test_sigterm_and_sigint_stop_cleanly(browser, tmp_path):
    """Ten servers, each with a question page open, stopped by SIGTERM or SIGINT (alternately).

    The first ones are stopped 0-9 s after TensorFlow's library appears in the
    process (import, then the warm-up's and the page's compiles), the last
    ones right after the page has drawn its first run (the warm-up is then
    still compiling the other questions).
    """
    report = []
    for stop in range(STOPS):
        question = BANK.questions[stop % len(BANK.questions)]
        number = signal.SIGTERM if stop % 2 == 0 else signal.SIGINT
        after_a_run = stop >= STOPS - STOPS_AFTER_A_RUN
        log = tmp_path / f"stop-{stop}.log"
        started = time.monotonic()
        process, url = start_server(log)
        page = browser.new_page()
        try:
            page.goto(f"{url}/{question.id}")
            if after_a_run:
                page.wait_for_function(CHARTS_SETTLED_JS, timeout=FIRST_LOAD_MS)
            else:
                deadline = time.monotonic() + FIRST_LOAD_MS / 1000
                while not _tensorflow_loaded(process.pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                time.sleep(1.5 * (stop % 7))
            drawn = page.locator(".js-plotly-plot").count() > 0
            warm = WARM_MESSAGE in log.read_text(errors="replace")
            signalled = time.monotonic()
            status = _stop(process, number)
            stopped = time.monotonic()
        finally:
            page.close()
            if process.poll() is None:
                process.kill()
                process.wait()
        report.append((stop, question.id, signal.Signals(number).name, drawn, warm, status))
        print(f"stop {stop}: {question.id}, {signal.Signals(number).name} {signalled - started:.1f} s after start,"
              f" {'after' if drawn else 'before'} the page's first chart; exit {status} in {stopped - signalled:.1f} s")
        assert status == 0, f"stop {stop} ({question.id}, {number.name}): exit status {status}"
        assert _forbidden_lines(log) == [], f"stop {stop} ({question.id}, {number.name})"
    # Some stops did land while TensorFlow was loading or the warm-up compiling. (The first
    # chart no longer waits for them: it shows results recorded ahead of time.)
    assert any(not warm for _, _, _, _, warm, _ in report), report
