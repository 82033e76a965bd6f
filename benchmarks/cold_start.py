"""Part 3 — cold start: a fresh `streamlit run app.py` until a student sees something.

Per repetition, a new server (`harness.server.start_server`, the same
command the browser tests use, background warm-up on) in a Chromium that is
already running (the browser's own start is not counted). The clock starts
just before the process is spawned:

* health: `/_stcore/health` answers (polled every 0.2 s by start_server);
* home: the home page loaded in a new tab, its title visible and the
  script idle;
* first chart: then the question bank's first question in another tab,
  until a plotly chart with data is visible (the script may still be drawing the rest);
  the page's idle time is reported too.

Figures: median over the fresh servers. Targets: home <= 3 s, first chart <= 10 s.

Run alone: `python -m benchmarks.cold_start --servers 1`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import _common as c
from content.questions import load_bank
from harness.browser import FIRST_LOAD_MS, launch_options, wait_settled
from harness.server import start_server, stop_server

TARGET_HOME_S = 3.0
TARGET_CHART_S = 10.0

# True once some plotly chart on the page holds a trace with points.
CHART_WITH_DATA_JS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).some(el =>
    el.offsetParent !== null &&
    (el._fullData || []).some(t => Array.from(t.y || []).length > 0 || Array.from(t.x || []).length > 0))
"""


def one_cold_start(browser: Any, log_path: Path, first_question: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    started = time.perf_counter()
    process, url = start_server(log_path)
    try:
        healthy = time.perf_counter() - started
        home = context.new_page()
        home.goto(url)
        home.get_by_role("heading", name="Optimizer Explorer").wait_for(state="visible", timeout=FIRST_LOAD_MS)
        wait_settled(home, FIRST_LOAD_MS)
        home_s = time.perf_counter() - started

        question = context.new_page()
        question.goto(f"{url}/{first_question}")
        question.wait_for_function(CHART_WITH_DATA_JS, timeout=FIRST_LOAD_MS)
        chart_s = time.perf_counter() - started
        wait_settled(question, FIRST_LOAD_MS)
        idle_s = time.perf_counter() - started
    finally:
        context.close()
        stop_server(process)
    return {"health_s": healthy, "home_s": home_s, "first_chart_s": chart_s, "question_idle_s": idle_s}


def main(argv: list[str] | None = None) -> c.PartResult:
    p = c.parser("Cold start of a fresh server: home page and first question chart (Chromium).")
    p.add_argument("--servers", type=c.positive_int, default=3, help="fresh servers (median)")
    args = p.parse_args(argv)

    from playwright.sync_api import sync_playwright

    first_question = load_bank().questions[0].id
    result = c.new_part("cold", {"servers": args.servers, "first_question": first_question})
    if warning := c.busy_warning():
        c.note(result, warning)
    table = c.Table(f"Cold start, seconds from spawning `streamlit run app.py` ({args.servers} fresh servers)",
                    ["server", "health s", "home s", f"first chart ({first_question}) s", "that page idle s"])
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            for n in range(args.servers):
                print(f"… fresh server {n + 1}/{args.servers}", flush=True)
                try:
                    run = one_cold_start(browser, Path(tmp) / f"streamlit-{n}.log", first_question)
                except Exception as error:
                    log = (Path(tmp) / f"streamlit-{n}.log").read_text()[-2000:]
                    c.note(result, f"server {n + 1}: {type(error).__name__}: {error}\n{log}")
                    continue
                runs.append(run)
                table.rows.append([n + 1, run["health_s"], run["home_s"], run["first_chart_s"],
                                   run["question_idle_s"]])
        finally:
            browser.close()
    medians = {key: c.median([r[key] for r in runs]) for key in
               ("health_s", "home_s", "first_chart_s", "question_idle_s")} if runs else {}
    if runs:
        table.rows.append(["median", medians["health_s"], medians["home_s"], medians["first_chart_s"],
                           medians["question_idle_s"]])
    result.raw = {"runs": runs, "medians": medians}
    result.figures.append(c.Figure("cold start: home page rendered (median)", medians.get("home_s"),
                                   "s", TARGET_HOME_S, note=f"{len(runs)} servers"))
    result.figures.append(c.Figure("cold start: first question chart (median)",
                                   medians.get("first_chart_s"), "s", TARGET_CHART_S,
                                   note=f"{len(runs)} servers"))
    c.add_table(result, table)
    c.finish(result)
    return result


if __name__ == "__main__":
    main()
