"""The teacher's projector: one real Chromium page (Playwright, Debian's /usr/bin/chromium).

It starts the class from the home page ("Start a class"), then presses the
teacher's buttons. A MutationObserver installed in the page records every
change of the live tally's line ("<b>N</b> joined · <b>M</b> voted in round
R", drawn by `_live_tally`) and of the question's header, with the
browser's `Date.now()` (the same clock as this process's `time.time()`):
the moment the DOM holds the new text, i.e. before the next paint (one
frame, ~16 ms, later). The benchmark reads those records every
`PULL_EVERY_S` and matches them with the votes.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Browser, BrowserContext, Page

from benchmarks.classroom.vote_records import ClassRun, TallyShown
from harness.browser import EXCEPTION, SETTLED_JS

VIEWPORT = {"width": 1024, "height": 768}
PULL_EVERY_S = 0.25
CONNECTION_STATUS = '[data-testid="stConnectionStatus"]'

OBSERVER_JS = """
() => {
  if (window.__tally) return;
  window.__tally = [];
  let last = '';
  const live = sel => Array.from(document.querySelectorAll(sel)).filter(el => !el.closest('[data-stale="true"]'));
  const read = () => {
    const line = live('.class-joined').map(el => el.textContent).pop() || '';
    const header = live('h2').map(el => el.textContent).find(t => /^Question \\d+:/.test(t)) || '';
    const text = line + '|' + header;
    if (text !== last) { last = text; window.__tally.push([Date.now(), text]); }
  };
  new MutationObserver(read).observe(document.body, {subtree: true, childList: true, characterData: true});
  read();
}
"""
_LINE = re.compile(r"(?P<joined>\d+) joined · (?P<voted>\d+) voted in round (?P<round>\d+)"
                   r"(?P<revealed> · answer revealed)?")
_HEADER = re.compile(r"^Question (?P<number>\d+):")


def parse(t_ms: float, text: str) -> TallyShown | None:
    line, _, header = text.partition("|")
    m = _LINE.search(line)
    if m is None:
        return None
    h = _HEADER.match(header)
    return TallyShown(t=t_ms / 1000, question_number=int(h["number"]) if h else None, joined=int(m["joined"]),
                      voted=int(m["voted"]), round=int(m["round"]), revealed=bool(m["revealed"]))


class Projector:
    def __init__(self, browser: Browser, url: str, run: ClassRun, timeout_s: float) -> None:
        self.browser, self.url, self.run, self.timeout_ms = browser, url, run, timeout_s * 1000
        self.context: BrowserContext | None = None
        self.page: Page | None = None
        self.page_errors: list[str] = []

    async def start_class(self) -> str:
        """Home page -> "Start a class" -> the projector view; returns the room code."""
        self.context = await self.browser.new_context(viewport=VIEWPORT)
        self.page = page = await self.context.new_page()
        page.set_default_timeout(self.timeout_ms)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        await page.goto(self.url)
        await page.wait_for_function(SETTLED_JS, timeout=self.timeout_ms)
        await page.get_by_role("button", name="Start a class").click()
        await page.wait_for_function(
            "() => location.pathname.endsWith('/class') && location.search.includes('room=')",
            timeout=self.timeout_ms)
        await page.wait_for_selector(".class-joined", timeout=self.timeout_ms)
        code = parse_qs(urlsplit(page.url).query)["room"][0]
        await page.evaluate(OBSERVER_JS)
        return code

    async def press(self, label: str) -> float:
        """Click a teacher button by its label; returns time.time() just before the click."""
        assert self.page is not None
        button = self.page.get_by_role("button", name=re.compile("^" + re.escape(label)))
        await button.wait_for(state="visible", timeout=self.timeout_ms)
        t = time.time()
        await button.click(timeout=self.timeout_ms)
        return t

    async def pull(self) -> list[TallyShown]:
        """The tally changes recorded since the last pull (installs the observer again after a reload)."""
        assert self.page is not None
        await self.page.evaluate(OBSERVER_JS)
        raw = await self.page.evaluate("() => window.__tally.splice(0)")
        shown = [s for t, text in raw if (s := parse(t, text)) is not None]
        self.run.tally.extend(shown)
        return shown

    async def health(self) -> list[str]:
        """Exceptions drawn on the page, and Streamlit's connection badge (shown when the socket is lost)."""
        assert self.page is not None
        problems = await self.page.locator(EXCEPTION).all_inner_texts()
        if await self.page.locator(CONNECTION_STATUS).count():
            problems.append("connection status badge: " + " ".join(
                await self.page.locator(CONNECTION_STATUS).all_inner_texts()))
        return problems

    async def screenshot(self, path: Path, *, full_page: bool = False) -> None:
        assert self.page is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(path), full_page=full_page)

    async def close(self) -> None:
        if self.context is not None:
            await self.context.close()


async def pull_forever(projector: Projector, stop: asyncio.Event) -> None:
    """Read the projector's records every PULL_EVERY_S until `stop`; bounded by the class's deadline."""
    while not stop.is_set():
        await projector.pull()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PULL_EVERY_S)
    await projector.pull()


PHONE_VIEWPORT = {"width": 390, "height": 844}
PHONE_NAME = "Phone (screenshots)"


class Phone:
    """A student in Chromium at 390x844, for screenshots only (`--screenshots`; not in a measured run).

    It joins under the name `PHONE_NAME` (left out of the database check),
    votes once on question 1 and is photographed voting and after the reveal.
    """

    def __init__(self, browser: Browser, url: str, code: str, timeout_s: float) -> None:
        self.browser, self.url, self.code, self.timeout_ms = browser, url, code, timeout_s * 1000
        self.context: BrowserContext | None = None
        self.page: Page | None = None

    async def join_and_vote(self, choice_text: str, shots: Path) -> None:
        self.context = await self.browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
        self.page = page = await self.context.new_page()
        await page.goto(f"{self.url}/class?room={self.code}")
        await page.wait_for_function(SETTLED_JS, timeout=self.timeout_ms)
        await page.get_by_role("textbox", name="Your name (optional)").fill(PHONE_NAME)
        await page.get_by_role("button", name="Join").click()
        await page.get_by_text("Your prediction", exact=True).wait_for(timeout=self.timeout_ms)
        await page.get_by_text(choice_text, exact=True).click()
        await page.wait_for_function(SETTLED_JS, timeout=self.timeout_ms)
        await page.get_by_role("button", name=re.compile("Submit prediction")).click()
        await page.get_by_text("Your prediction is in").wait_for(timeout=self.timeout_ms)
        shots.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(shots / "class-vote-load-phone-voted.png"), full_page=True)

    async def after_reveal(self, shots: Path) -> None:
        assert self.page is not None
        await self.page.get_by_text("Best supported answer").wait_for(timeout=self.timeout_ms)
        await self.page.wait_for_function(SETTLED_JS, timeout=self.timeout_ms)
        await self.page.screenshot(path=str(shots / "class-vote-load-phone-revealed.png"), full_page=True)

    async def close(self) -> None:
        if self.context is not None:
            await self.context.close()
