"""Part 5 — what a student feels: slider key press until the chart is redrawn, against the floor.

Two servers, started alike (`harness.server.start_server`): the app, and the
floor app (`benchmarks/floor_app.py`: one slider, one plotly line chart of
2 × 301 points, nearly nothing to compute — what Streamlit itself costs).
One Chromium, one tab per page, all open at once: the floor app's and every
question page's of the bank. The app is warm first (every page opened, then a
wait until the server's log says its background warm-up is done and its CPU
use drops, and two untimed presses on each page).

Then N rounds; in each, one timed press on the floor app and one on every
question page, in that order, the tab brought to the front before the
clock starts: drift in the machine's load hits the floor and the pages
alike. A press: focus the slider, press the key, wait until the charts' data
changed and the app is idle (`harness.browser.press_and_wait_for_redraw`,
timed around the call, so it also holds its two signature reads, a few ms
of DevTools round trips).

The slider: the question's main control (the one the browser tests move),
one notch per press, first towards its end with more room, then back and
forth (`benchmarks._sliders.bounce_keys`); values seen before come back
once the walk turns, as when a student moves a slider to and fro. The floor
app's slider only goes up.

Per page: median and p95, each ÷ the floor's median and p95; the number of
plotly charts and their DOM size (kB = 1,000 characters of the charts'
`outerHTML`, read on the settled page after the last press). Targets
(issue 14): median ≤ 1.5× the floor's median and p95 ≤ 2× the floor's p95,
on every page.

Run alone: `python -m benchmarks.browser_latency --moves 5`.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import _common as c
from benchmarks import _sliders
from benchmarks._proc import wait_until_quiet
from benchmarks.floor_app import SLIDER_LABEL as FLOOR_SLIDER
from harness.browser import (
    CHARTS_SETTLED_JS,
    FIRST_LOAD_MS,
    IDLE_MS,
    exceptions,
    launch_options,
    open_app,
    press_and_wait_for_redraw,
)
from harness.server import start_server, stop_server, wait_until_warm

FLOOR_APP = "benchmarks/floor_app.py"
FLOOR = "floor app"
WARMUP_PRESSES = 2
TARGET_MEDIAN_RATIO = 1.5
TARGET_P95_RATIO = 2.0

# Count and DOM size of the plotly charts on the page, one entry per chart.
CHARTS_DOM_JS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => ({
    chars: el.outerHTML.length,
    traces: (el._fullData || []).length,
    title: ((el.layout || {}).title || {}).text || '',
}))
"""


@dataclass
class Tab:
    """One page under test: its tab, the slider it moves and the keys still to press."""

    name: str
    page: Any
    url: str
    slider: str
    keys: list[str]
    times: list[float] = field(default_factory=list)

    def press(self, timeout: float = IDLE_MS) -> float:
        self.page.bring_to_front()
        self.page.wait_for_function(CHARTS_SETTLED_JS, timeout=timeout)
        key = self.keys.pop(0)
        started = time.perf_counter()
        press_and_wait_for_redraw(self.page, self.slider, key, timeout=timeout)
        return time.perf_counter() - started


def charts_dom(page: Any) -> dict[str, Any]:
    page.wait_for_function(CHARTS_SETTLED_JS, timeout=IDLE_MS)
    charts = page.evaluate(CHARTS_DOM_JS)
    return {"charts": len(charts), "dom_kb": sum(ch["chars"] for ch in charts) / 1000.0,
            "per_chart": [{**ch, "kb": ch["chars"] / 1000.0} for ch in charts]}


def summary(tab: Tab, floor: dict[str, float] | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "page": tab.name,
        "slider": tab.slider,
        "times_s": tab.times,
        "median_ms": c.ms(c.median(tab.times)),
        "p95_ms": c.ms(c.percentile(tab.times, 95)),
        "max_ms": c.ms(max(tab.times)) if tab.times else float("nan"),
    }
    if floor:
        row["median_ratio"] = row["median_ms"] / floor["median_ms"]
        row["p95_ratio"] = row["p95_ms"] / floor["p95_ms"]
    return row


def main(argv: list[str] | None = None) -> c.PartResult:
    p = c.parser("Browser latency: slider key press until the chart is redrawn, "
                 "× a one-slider one-chart floor app (Chromium, warm server).")
    p.add_argument("--moves", type=c.positive_int, default=25,
                   help="rounds: timed key presses per page, and on the floor app")
    p.add_argument("--pages", nargs="*", help="only these question ids (default: every question in the bank)")
    args = p.parse_args(argv)

    from playwright.sync_api import sync_playwright

    result = c.new_part("browser", {"moves": args.moves, "warmup_presses": WARMUP_PRESSES,
                                    "floor_app": FLOOR_APP})
    if warning := c.busy_warning():
        c.note(result, warning)
    questions = _sliders.questions(args.pages)
    presses = args.moves + WARMUP_PRESSES
    table = c.Table(f"Key press -> chart redrawn and idle ({args.moves} presses per page, interleaved with "
                    "the floor app's, warm server)",
                    ["page", "slider", "median ms", "p95 ms", "max ms", "median ÷ floor", "p95 ÷ floor",
                     "charts", "chart DOM kB"])
    tabs: list[Tab] = []
    failed: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        servers = []
        try:
            floor_process, floor_url = start_server(Path(tmp) / "floor.log", FLOOR_APP)
            servers.append(floor_process)
            process, url = start_server(Path(tmp) / "streamlit.log")
            servers.append(process)
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            floor_page = context.new_page()
            open_app(floor_page, floor_url, FIRST_LOAD_MS)
            tabs.append(Tab(FLOOR, floor_page, floor_url, FLOOR_SLIDER, ["ArrowRight"] * presses))
            # Warm the server: every question page, each in its own tab (imports, compiles, caches).
            for q in questions:
                print(f"… opening {q.id}", flush=True)
                control = _sliders.main_slider(q)
                page = context.new_page()
                open_app(page, f"{url}/{q.id}", FIRST_LOAD_MS)
                tabs.append(Tab(q.id, page, url, control.label, _sliders.bounce_keys(control, presses)))
            # The warm-up starts only after a few quiet seconds (ui/warmup.py): CPU use alone
            # read "quiet" 2 s after the last page opened, before it had begun, and the presses
            # then met the warm-up (and TensorFlow's import) halfway.
            warm_from = time.perf_counter()
            wait_until_warm(Path(tmp) / "streamlit.log")
            waited = time.perf_counter() - warm_from + wait_until_quiet(process.pid)
            c.note(result, f"server warm and quiet {waited:.1f} s after the last page opened")
            def give_up(tab: Tab, what: str, error: Exception) -> None:
                """A press that never redrew (e.g. the chart's data did not change): that page FAILs, the rest go on."""
                failed.add(tab.name)
                figures = [c.Figure(f"browser {tab.name} {stat}", None, "ms") for stat in ("median", "p95")]
                if tab.name != FLOOR:
                    figures += [c.Figure(f"browser {tab.name} median ÷ floor median", None, "×", TARGET_MEDIAN_RATIO),
                                c.Figure(f"browser {tab.name} p95 ÷ floor p95", None, "×", TARGET_P95_RATIO)]
                c.measurement_failed(result, f"{tab.name} ({what}, slider {tab.slider!r})", error, figures)

            for tab in tabs:
                try:
                    for _ in range(WARMUP_PRESSES):
                        tab.press(IDLE_MS)
                except Exception as error:
                    give_up(tab, "untimed press", error)
            for n in range(args.moves):
                print(f"… round {n + 1}/{args.moves}", flush=True)
                for tab in tabs:
                    if tab.name in failed:
                        continue
                    try:
                        tab.times.append(tab.press())
                    except Exception as error:
                        give_up(tab, f"press {n + 1}", error)
            doms = {tab.name: charts_dom(tab.page) for tab in tabs if tab.name not in failed}
            page_exceptions = {tab.name: exceptions(tab.page) for tab in tabs}
        finally:
            try:
                for server in servers:
                    stop_server(server)
            finally:
                browser.close()

    floor_tab = tabs[0] if tabs and tabs[0].name == FLOOR and FLOOR not in failed else None
    floor = summary(floor_tab, None) if floor_tab else None
    for tab in tabs:
        if tab.name in failed:
            continue
        row = summary(tab, floor)
        row.update(doms[tab.name])
        row["exceptions"] = page_exceptions[tab.name]
        result.raw[tab.name] = row
        if row["exceptions"]:
            c.note(result, f"{tab.name}: exception on the page: {row['exceptions'][0][:200]}")
        table.rows.append([tab.name, row["slider"], row["median_ms"], row["p95_ms"], row["max_ms"],
                           row.get("median_ratio", 1.0), row.get("p95_ratio", 1.0),
                           row["charts"], row["dom_kb"]])
        what = f"slider {row['slider']!r}, {len(tab.times)} presses"
        result.figures.append(c.Figure(f"browser {tab.name} median", row["median_ms"], "ms", note=what))
        result.figures.append(c.Figure(f"browser {tab.name} p95", row["p95_ms"], "ms", note=what))
        if tab.name == FLOOR:
            continue
        if floor is None:
            for stat, target in (("median", TARGET_MEDIAN_RATIO), ("p95", TARGET_P95_RATIO)):
                result.figures.append(c.Figure(f"browser {tab.name} {stat} ÷ floor {stat}", None, "×",
                                               target, note="no floor figure"))
            continue
        charts = f"{row['charts']} charts, {row['dom_kb']:.0f} kB"
        result.figures.append(c.Figure(f"browser {tab.name} median ÷ floor median", row["median_ratio"], "×",
                                       TARGET_MEDIAN_RATIO, note=charts))
        result.figures.append(c.Figure(f"browser {tab.name} p95 ÷ floor p95", row["p95_ratio"], "×",
                                       TARGET_P95_RATIO, note=charts))
    c.add_table(result, table)
    c.finish(result)
    return result


if __name__ == "__main__":
    main()
