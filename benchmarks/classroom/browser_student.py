"""A student in Chromium: Playwright presses ArrowRight/ArrowLeft on a focused slider.

Each browser student is a Playwright context in ONE Chromium (Debian's,
`harness.browser`). A move's latency is key press -> the charts' data
changed with the page settled (the condition of
`harness.browser.press_and_wait_for_redraw`), or, for a rerun that drew
identical data, the app idle for a grace period after its run-state
changed. The page's websocket frames give each move's server part
(BackMsg sent -> script_finished received).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from playwright.async_api import Browser, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.classroom.plan import Walker
from benchmarks.classroom.protocol_client import FINISHED
from benchmarks.classroom.records import Move, Run, StudentRecord
from harness.browser import CHARTS_SETTLED_JS, CHARTS_SIGNATURE_JS, EXCEPTION, SETTLED_JS

CONNECTION_STATUS = '[data-testid="stConnectionStatus"]'

# Counts every change of the app's run state, so that a browser move whose
# rerun draws identical chart data is still seen to have finished.
INIT_SCRIPT = """
(() => {
  window.__load = {changes: 0, last: performance.now()};
  const watch = () => new MutationObserver(records => {
      window.__load.changes += records.length;
      window.__load.last = performance.now();
  }).observe(document.documentElement, {subtree: true, attributes: true,
                                        attributeFilter: ['data-test-script-state']});
  if (document.documentElement) watch(); else document.addEventListener('DOMContentLoaded', watch);
})();
"""

# Done when the page has settled and the charts' data changed, or (a rerun that
# drew identical data) when the app has been idle `grace` ms after a
# run-state change. Returns what the student would see.
MOVE_DONE_JS = f"""
([before, changesBefore, grace]) => {{
  if (!({SETTLED_JS})()) return false;
  const signature = ({CHARTS_SIGNATURE_JS})();
  const status = {{
    exceptions: document.querySelectorAll('{EXCEPTION}').length,
    connection: document.querySelector('{CONNECTION_STATUS}') !== null,
  }};
  if (signature.length > 0 && signature !== before) return {{...status, changed: true, idleFor: 0}};
  const idleFor = performance.now() - window.__load.last;
  if (window.__load.changes > changesBefore && idleFor >= grace)
    return {{...status, changed: false, idleFor}};
  return false;
}}
"""


@dataclass
class Frames:
    """When the page's websocket sent a BackMsg / received a successful script_finished."""

    sent: list[float] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)

    def on_received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            message = ForwardMsg()
            try:
                message.ParseFromString(payload)
            except Exception:  # not ours to judge; the page reports its own errors
                return
            if message.WhichOneof("type") == "script_finished" and message.script_finished in FINISHED:
                self.finished.append(time.perf_counter())

    def server_part(self, pressed: float, done: float) -> float | None:
        sent = next((t for t in self.sent if pressed <= t <= done), None)
        finished = next((t for t in self.finished if sent is not None and sent <= t <= done), None)
        return None if finished is None else finished - sent


def _attach_listeners(run: Run, student: StudentRecord, page: Page, present: dict[str, bool],
                      frames: Frames) -> None:
    def on_websocket(ws) -> None:
        if "/_stcore/stream" in ws.url:
            ws.on("close", lambda _ws=None: present["here"] and run.error(
                student, "disconnect", f"websocket closed: {ws.url}"))
            ws.on("framesent", lambda _payload: frames.sent.append(time.perf_counter()))
            ws.on("framereceived", frames.on_received)

    def on_response(response) -> None:
        if response.status >= 500:
            run.error(student, "http", f"{response.status} {response.url}")

    page.on("websocket", on_websocket)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: run.error(student, "js", str(exc)))
    page.on("crash", lambda _page: run.error(student, "crash", "page crashed"))


async def _slider_position(page: Page, label: str) -> tuple[float, float, float] | None:
    try:
        values = await page.get_by_role("slider", name=label).first.evaluate(
            "el => el.tagName === 'INPUT' ? [el.value, el.min, el.max]"  # react-aria <input type=range>
            " : ['now', 'min', 'max'].map(a => el.getAttribute('aria-value' + a))", timeout=5_000)
        now, low, high = (float(v) for v in values)
        return now, low, high
    except (PlaywrightError, TypeError, ValueError):
        return None


async def _browser_move(run: Run, student: StudentRecord, page: Page, frames: Frames, label: str,
                        direction: int) -> None:
    args = run.args
    key = "ArrowRight" if direction > 0 else "ArrowLeft"
    before = await page.evaluate(CHARTS_SIGNATURE_JS)
    changes_before = await page.evaluate("window.__load.changes")
    slider = page.get_by_role("slider", name=label).first
    await slider.focus(timeout=args.move_timeout * 1000)
    value_before = await slider.input_value(timeout=args.move_timeout * 1000)
    sent_t = round(run.sampler.now(), 3)
    started = time.perf_counter()
    await slider.press(key, timeout=args.move_timeout * 1000)
    if await slider.input_value(timeout=args.move_timeout * 1000) == value_before:
        return  # already at that end: nothing is sent, nothing to wait for
    try:
        handle = await page.wait_for_function(
            MOVE_DONE_JS, arg=[before, changes_before, args.same_chart_grace_ms],
            polling=args.poll_ms, timeout=args.move_timeout * 1000)
    except PlaywrightTimeout:
        run.moves.append(Move(student.index, "browser", student.page, label, direction, sent_t, None, False))
        run.error(student, "timeout", f"move {label} {key}: no redraw within {args.move_timeout} s")
        return
    ended = time.perf_counter()
    done = await handle.json_value()
    latency = ended - started if done["changed"] else max(0.0, ended - started - done["idleFor"] / 1000)
    server = frames.server_part(started, ended)
    run.moves.append(Move(student.index, "browser", student.page, label, direction, sent_t,
                          round(latency, 4), bool(done["changed"]),
                          None if server is None else round(server, 4)))
    frames.sent.clear()
    frames.finished.clear()
    student.moves += 1
    if done["exceptions"]:
        run.error(student, "exception", " | ".join(await page.locator(EXCEPTION).all_inner_texts()))
    if done["connection"]:
        text = await page.locator(CONNECTION_STATUS).first.inner_text()
        run.error(student, "disconnect", f"connection status shown: {text}")


async def browser_session(run: Run, browser: Browser, student: StudentRecord, leave_by: float) -> None:
    """One browser student: a new context, the link, then think and press keys until it is time to leave."""
    args = run.args
    walker = Walker.of(student, run.links[student.page], args)
    await asyncio.sleep(max(0.0, student.arrive_at - run.sampler.now()))
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    present = {"here": True}
    frames = Frames()
    try:
        await context.add_init_script(INIT_SCRIPT)
        page = await context.new_page()
        _attach_listeners(run, student, page, present, frames)
        student.arrived_t = round(run.sampler.now(), 3)
        started = time.perf_counter()
        try:
            await page.goto(student.link, timeout=args.load_timeout * 1000)
            await page.wait_for_function(CHARTS_SETTLED_JS, polling=args.poll_ms,
                                         timeout=args.load_timeout * 1000)
        except PlaywrightTimeout:
            run.error(student, "timeout", f"first load of {student.link} over {args.load_timeout} s")
            return
        student.load_s = round(time.perf_counter() - started, 3)
        if texts := await page.locator(EXCEPTION).all_inner_texts():
            run.error(student, "exception", " | ".join(texts))
        leave_at = min(run.sampler.now() + args.minutes * 60, leave_by)
        for _ in range(args.max_moves):
            if not await walker.think(run.sampler.now(), leave_at):
                break
            label = walker.next()
            direction = walker.bounce(label, await _slider_position(page, label))
            try:
                await _browser_move(run, student, page, frames, label, direction)
            except PlaywrightError as exc:
                run.error(student, "driver", f"move {label}: {str(exc).splitlines()[0]}")
                with contextlib.suppress(PlaywrightError):  # let a slow rerun finish first
                    await page.wait_for_function(SETTLED_JS, timeout=args.move_timeout * 1000)
    except PlaywrightError as exc:
        run.error(student, "driver", str(exc).splitlines()[0])
    finally:
        present["here"] = False
        student.left_t = round(run.sampler.now(), 3)
        with contextlib.suppress(PlaywrightError):
            await context.close()
