"""Classroom load test: N students on one `streamlit run app.py`, moving sliders.

Run from the repository root (the defaults are the full-size measurement):

    python -m benchmarks.classroom_load --students 40 --minutes 3
    python -m benchmarks.classroom_load --students 4 --minutes 0.33 --ramp-seconds 5  # quick check

What it does
------------
1. Starts ONE server with `harness.server.start_server` (loopback, free
   port, file watcher off, background warm-up on) and samples it every
   0.5 s from /proc/<pid>: CPU (utime+stime), VmRSS; VmHWM at the end
   (`classroom/sampler.py`, with the readers of `benchmarks/_proc.py`).
2. "The teacher checks the links": each shared link (one per question of
   the bank, carrying its first preset's values: `classroom/plan.py`) is
   opened once, then
   the server is left to go quiet. Its RSS then is the memory *baseline*
   (TensorFlow imported, loops compiled, the once-per-server sweeps
   cached): the server a class meets.
3. Students arrive at random times within `--ramp-seconds`. Student i opens
   shared link i mod (number of questions), waits for the charts, then
   for `--minutes` repeats: think 1-3 s (random, fixed `--seed`), pick a
   slider of that page (kept for a few moves, as people do), move it one
   step right or left (turning round at the ends), and wait until the
   chart is redrawn and the app is idle. That wait is the per-move latency.
4. Everyone leaves; `--settle-seconds` (30) later the server's RSS is read
   again: does memory return near the baseline?

Errors (target: zero): page exceptions (`[data-testid="stException"]` in a
browser, an `exception` element in the protocol stream), timeouts (first
load or a move, `--move-timeout`), disconnects (websocket closed while the
student is there, Streamlit's connection-status badge, a crashed tab) and
HTTP 5xx. JavaScript errors in browser pages are listed but not counted.

Targets (PASS/FAIL): zero errors, move latency p95 <= 2 s, server peak RSS
(VmHWM) <= 1.5 GB. A summary table is printed and everything (each move,
each error, the 0.5 s resource timeline) goes to
benchmarks/results/classroom_load-<time>.json (git-ignored), with the
server's log beside it. Exit status 0 only if every target passes.

Driver: Streamlit's own protocol for the class, real Chromium for a sample
--------------------------------------------------------------------------
Most students (`--students` minus `--browser-students`) are websocket
clients that speak Streamlit's protocol as the frontend does
(`classroom/protocol_client.py`): a move resends every widget's value with
the slider's new one and its st.fragment id, so that, as in a browser,
only the experiment reruns; its latency is send -> `script_finished`.

`--browser-students` of them (default 1, first on the page that drew the
most charts for the teacher, then one per page in that order) are real
Playwright browser contexts in ONE Chromium (Debian's /usr/bin/chromium,
`classroom/browser_student.py`): focus the slider, press ArrowRight/ArrowLeft,
wait for the charts' data to change with the app idle (the condition of
`harness.browser.press_and_wait_for_redraw`). They measure what a
student sees, rendering included, under the class's load; their
websocket frames also give each browser move's server part (BackMsg sent
-> script_finished), printed beside it. `--browser-students N` makes every
student a browser.

Why not 40 browsers (measured here, 2 cores shared with other work): with
4 browser students the load generator (Chromium + Playwright's node driver
+ this process) used ~100% of a core while they moved sliders, ~25% of a
core per student, against ~15% for the server; one browser student alone
costs 30-45% of a core. Each move re-renders the page and its plotly charts
in software. 40 browser students would need ~10 cores: the test would
measure Chromium starving the server, not the server. In a real class
every student renders on their own laptop and only the server shares
these cores. The protocol students cost ~2% of a core for 9 of them
(report: "generator CPU", split into this Python process and Chromium), so
the server sees 40 sessions' real reruns while the generator stays small.
Not exercised by a protocol student: the frontend's rendering (the browser
sample covers it: in the small runs it added 0.1-0.4 s to the server's
part at the median) and the static JS bundle (each protocol student GETs the page's
HTML, /_stcore/health and /_stcore/host-config on arrival).

Traffic goes only to 127.0.0.1; every loop is bounded in count and time
(`--max-moves`, per-move and first-load timeouts, a hard deadline for the
whole class), and the script stops the browser and the server by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from benchmarks.classroom.lesson import run_class
from benchmarks.classroom.plan import shared_links
from harness.browser import CHROMIUM


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="N simulated students move sliders on one `streamlit run app.py` (see the module doc).")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--browser-students", type=int, default=1,
                        help="how many of them are real Chromium contexts (the rest speak the protocol);"
                             " each costs 30-45%% of a core here")
    parser.add_argument("--minutes", type=float, default=3.0, help="slider time per student")
    parser.add_argument("--ramp-seconds", type=float, default=20.0,
                        help="students open the link at random times within this window")
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0, help="seeds arrivals, think times, slider choices")
    parser.add_argument("--move-timeout", type=float, default=30.0, help="seconds; a slower move is an error")
    parser.add_argument("--load-timeout", type=float, default=180.0,
                        help="seconds for a first page load (the teacher's include TensorFlow's import)")
    parser.add_argument("--settle-seconds", type=float, default=30.0,
                        help="wait after the last student leaves before reading memory again")
    parser.add_argument("--max-moves", type=int, default=500, help="per student, a safety bound")
    parser.add_argument("--poll-ms", type=int, default=50,
                        help="browser: how often a page checks for the redraw")
    parser.add_argument("--same-chart-grace-ms", type=int, default=1500,
                        help="browser: idle this long after a rerun with unchanged chart data ends the wait")
    args = parser.parse_args(argv)
    if not (1 <= args.students <= 200 and 0 <= args.browser_students <= args.students
            and 0 < args.minutes <= 30 and 0 <= args.think_min <= args.think_max):
        parser.error("need 1 <= --students <= 200, 0 <= --browser-students <= --students,"
                     " 0 < --minutes <= 30, 0 <= --think-min <= --think-max")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.browser_students and not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium; never `playwright install`),"
                         " or run with --browser-students 0")
    return asyncio.run(run_class(args, shared_links()))


if __name__ == "__main__":
    sys.exit(main())
