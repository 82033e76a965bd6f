"""Part 5 — what a student feels: slider key press until the chart is redrawn, in Chromium.

On a warm server (every page opened, then a wait until the server's CPU
use drops, i.e. its background warm-up is done, and one untimed press on
each page before its timed ones), for each question page, N times: focus a slider, press ArrowRight,
and wait until the charts' data changed and the app is idle
(`harness.browser.press_and_wait_for_redraw`). The time is taken around
that call, so it also holds its two signature reads (a few ms of
DevTools round trips).

The slider: the question's main control (the one the browser tests move),
unless it has no room for N + 1 presses to the right of its default (a
slider at its max stops changing the chart), then "Seed", then the page's
next slider (`benchmarks._sliders.pick_slider`). Each press is a value not
seen before.

Figures: median and p95 per page (no target was set; shown as INFO).

Run alone: `python -m benchmarks.browser_latency --moves 3`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import _common as c
from benchmarks import _sliders
from benchmarks._proc import wait_until_quiet
from content.questions import Question
from harness.browser import FIRST_LOAD_MS, IDLE_MS, exceptions, launch_options, open_app, press_and_wait_for_redraw
from harness.server import start_server, stop_server

WARMUP_PRESSES = 1


def measure_page(page: Any, url: str, q: Question, moves: int) -> dict[str, Any]:
    control = _sliders.pick_slider(q, moves + WARMUP_PRESSES)
    open_app(page, f"{url}/{q.id}", FIRST_LOAD_MS)
    for _ in range(WARMUP_PRESSES):
        press_and_wait_for_redraw(page, control.label, "ArrowRight", timeout=FIRST_LOAD_MS)
    times = []
    for _ in range(moves):
        started = time.perf_counter()
        press_and_wait_for_redraw(page, control.label, "ArrowRight", timeout=IDLE_MS)
        times.append(time.perf_counter() - started)
    return {
        "page": q.id,
        "slider": control.label,
        "times_s": times,
        "median_ms": c.ms(c.median(times)),
        "p95_ms": c.ms(c.percentile(times, 95)),
        "max_ms": c.ms(max(times)),
        "exceptions": exceptions(page),
    }


def main(argv: list[str] | None = None) -> c.PartResult:
    p = c.parser("Browser latency: slider key press until the chart is redrawn (Chromium, warm server).")
    p.add_argument("--moves", type=c.positive_int, default=10, help="timed key presses per page")
    p.add_argument("--pages", nargs="*", help="only these question ids (default: every question in the bank)")
    args = p.parse_args(argv)

    from playwright.sync_api import sync_playwright

    result = c.new_part("browser", {"moves": args.moves, "warmup_presses": WARMUP_PRESSES})
    if warning := c.busy_warning():
        c.note(result, warning)
    questions = _sliders.questions(args.pages)
    table = c.Table(f"Key press -> chart redrawn and idle ({args.moves} presses per page, warm server)",
                    ["page", "slider", "median ms", "p95 ms", "max ms"])
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        process, url = start_server(Path(tmp) / "streamlit.log")
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            # Warm the server: every question page once (imports, compiles, per-server caches).
            for q in questions:
                print(f"… warming {q.id}", flush=True)
                open_app(page, f"{url}/{q.id}", FIRST_LOAD_MS)
            waited = wait_until_quiet(process.pid)
            c.note(result, f"server quiet (background warm-up done) {waited:.1f} s after the last page opened")
            for q in questions:
                question_id = q.id
                print(f"… {question_id}", flush=True)
                try:
                    row = measure_page(page, url, q, args.moves)
                except Exception as error:
                    c.measurement_failed(result, question_id, error, [
                        c.Figure(f"browser {question_id} {stat}", None, "ms") for stat in ("median", "p95")])
                    continue
                result.raw[question_id] = row
                if row["exceptions"]:
                    c.note(result, f"{question_id}: exception on the page: {row['exceptions'][0][:200]}")
                table.rows.append([question_id, row["slider"], row["median_ms"], row["p95_ms"], row["max_ms"]])
                slider_note = f"slider {row['slider']!r}"
                result.figures.append(c.Figure(f"browser {question_id} median", row["median_ms"], "ms",
                                               note=slider_note))
                result.figures.append(c.Figure(f"browser {question_id} p95", row["p95_ms"], "ms",
                                               note=slider_note))
        finally:
            try:
                stop_server(process)
            finally:
                browser.close()
    c.add_table(result, table)
    c.finish(result)
    return result


if __name__ == "__main__":
    main()
