"""Part 3 — cold start: a fresh `streamlit run app.py` until a student sees something.

Every visit here is the FIRST visit of a fresh server (`harness.server.start_server`,
the same command the browser tests use, background warm-up on, as deployed),
opened in a new tab of a Chromium that is already running (the browser's
own start is not counted). The clock starts just before the process is
spawned:

* health: `/_stcore/health` answers (polled every 0.2 s by start_server);
* home (its own fresh servers): the home page, its title visible and the
  script idle;
* first chart, for EACH question of the bank (`content.questions.load_bank()`),
  its own fresh servers: the tab opened straight on that question's page,
  until a plotly chart with data is visible (the script may still be drawing
  the rest); the page's idle time is reported too ("nan" when not idle
  within 30 s of the chart), and "after health": first
  chart − health, what the page itself took once the server answered.

`--taskset-core CORE` pins every server to one core (`taskset -c CORE`; the
part is then called `cold-pinned`), as a fraction of a core on a small host
would; Chromium is not pinned.

Figures: median over the fresh servers, per question and home; the worst
question's median is the figure with a target. Targets (issue 14): worst
first chart ≤ 5 s, ≤ 8 s pinned; home ≤ 3 s.

Run alone: `python -m benchmarks.cold_start --servers 1 [--taskset-core 0]`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from benchmarks import _common as c
from benchmarks import _sliders
from harness.browser import FIRST_LOAD_MS, launch_options, wait_settled
from harness.server import start_server, stop_server

TARGET_HOME_S = 3.0
TARGET_CHART_S = 5.0
TARGET_CHART_PINNED_S = 8.0
HOME = "home"
# How long to wait, after the first chart, for the question page to go idle
# (a figure for information only: a fresh server's page can stay busy for
# minutes on a loaded machine, and the part must not).
IDLE_AFTER_CHART_MS = 30_000

# True once some plotly chart on the page holds a trace with points.
CHART_WITH_DATA_JS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).some(el =>
    el.offsetParent !== null &&
    (el._fullData || []).some(t => Array.from(t.y || []).length > 0 || Array.from(t.x || []).length > 0))
"""


def one_cold_start(browser: Any, log_path: Path, page_id: str, cpu: int | None) -> dict[str, float]:
    """A fresh server, and its first visitor opening `page_id` (HOME or a question id)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    started = time.perf_counter()
    process, url = start_server(log_path, cpu=cpu)
    try:
        healthy = time.perf_counter() - started
        page = context.new_page()
        if page_id == HOME:
            page.goto(url)
            page.get_by_role("heading", name="Optimizer Explorer").wait_for(state="visible",
                                                                            timeout=FIRST_LOAD_MS)
            wait_settled(page, FIRST_LOAD_MS)
            return {"health_s": healthy, "shown_s": time.perf_counter() - started}
        page.goto(f"{url}/{page_id}")
        page.wait_for_function(CHART_WITH_DATA_JS, timeout=FIRST_LOAD_MS)
        chart_s = time.perf_counter() - started
        try:
            wait_settled(page, IDLE_AFTER_CHART_MS)
            idle_s = time.perf_counter() - started
        except PlaywrightTimeout:
            idle_s = float("nan")  # not idle within IDLE_AFTER_CHART_MS of the chart
        return {"health_s": healthy, "shown_s": chart_s, "idle_s": idle_s}
    finally:
        context.close()
        stop_server(process)


def main(argv: list[str] | None = None) -> c.PartResult:
    p = c.parser("Cold start of a fresh server: home page, and each question's first chart on a "
                 "server opened straight on it (Chromium).")
    p.add_argument("--servers", type=c.positive_int, default=2, help="fresh servers per page (median)")
    p.add_argument("--taskset-core", type=int, metavar="CORE",
                   help="pin every server to this core (taskset -c CORE); target then 8 s")
    p.add_argument("--pages", nargs="*", help="only these question ids (default: every question in the bank)")
    p.add_argument("--no-home", action="store_true", help="skip the home page's servers")
    args = p.parse_args(argv)

    from playwright.sync_api import sync_playwright

    pinned = args.taskset_core is not None
    part = "cold-pinned" if pinned else "cold"
    label = f"pinned to core {args.taskset_core}" if pinned else "unpinned"
    target = TARGET_CHART_PINNED_S if pinned else TARGET_CHART_S
    question_ids = [q.id for q in _sliders.questions(args.pages)]
    page_ids = ([] if args.no_home else [HOME]) + question_ids
    result = c.new_part(part, {"servers": args.servers, "taskset_core": args.taskset_core, "pages": page_ids})
    if warning := c.busy_warning():
        c.note(result, warning)
    table = c.Table(f"Cold start ({label}), seconds from spawning `streamlit run app.py`; "
                    f"each row a fresh server's first visitor ({args.servers} per page)",
                    ["page", "server", "health s", "shown s", "after health s", "page idle s"])
    medians = c.Table(f"Cold start ({label}), median over {args.servers} fresh servers per page",
                      ["page", "health s", "shown s", "after health s", "page idle s", "servers"])
    runs: dict[str, list[dict[str, float]]] = {page_id: [] for page_id in page_ids}
    failed: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            # Server by server, page after page within a repetition: drift hits every page alike.
            for n in range(args.servers):
                for page_id in page_ids:
                    print(f"… {page_id}: fresh server {n + 1}/{args.servers} ({label})", flush=True)
                    log_path = Path(tmp) / f"streamlit-{page_id}-{n}.log"
                    try:
                        run = one_cold_start(browser, log_path, page_id, args.taskset_core)
                    except Exception as error:
                        failed.add(page_id)
                        log = log_path.read_text()[-2000:] if log_path.exists() else ""
                        c.note(result, f"{page_id} server {n + 1}: {type(error).__name__}: {error}\n{log}")
                        continue
                    run["after_health_s"] = run["shown_s"] - run["health_s"]
                    runs[page_id].append(run)
                    table.rows.append([page_id, n + 1, run["health_s"], run["shown_s"], run["after_health_s"],
                                       run.get("idle_s")])
        finally:
            browser.close()

    per_page: dict[str, dict[str, float]] = {}
    for page_id, page_runs in runs.items():
        if not page_runs:
            continue
        per_page[page_id] = {key: c.median([r[key] for r in page_runs])
                             for key in page_runs[0]}
        m = per_page[page_id]
        medians.rows.append([page_id, m["health_s"], m["shown_s"], m["after_health_s"], m.get("idle_s"),
                             len(page_runs)])
    result.raw = {"runs": runs, "medians": per_page, "taskset_core": args.taskset_core}

    suffix = " (pinned)" if pinned else ""
    if not args.no_home:
        home = per_page.get(HOME, {})
        result.figures.append(c.Figure(f"cold{suffix}: home page rendered (median)", home.get("shown_s"), "s",
                                       TARGET_HOME_S, note=f"{len(runs[HOME])} servers"))
    for page_id in question_ids:
        shown = per_page.get(page_id, {})
        note = (f"{len(runs[page_id])} servers, health {shown['health_s']:.1f} s" if shown
                else "no server drew it")
        result.figures.append(c.Figure(f"cold{suffix}: {page_id} first chart (median)", shown.get("shown_s"), "s",
                                       note=note))
    measured = {page_id: per_page[page_id]["shown_s"] for page_id in question_ids if page_id in per_page}
    if measured and not failed.intersection(question_ids):
        worst = max(measured, key=measured.get)
        result.figures.append(c.Figure(f"cold{suffix}: worst question's first chart (median)", measured[worst],
                                       "s", target, note=worst))
    else:
        result.figures.append(c.Figure(f"cold{suffix}: worst question's first chart (median)", None, "s",
                                       target, note="a question's server failed; see the notes"))
    c.add_table(result, table)
    c.add_table(result, medians)
    c.finish(result)
    return result


if __name__ == "__main__":
    main()
