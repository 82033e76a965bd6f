"""The class, start to end: server up, the teacher checks the links, students come and go, memory after.

One `streamlit run app.py` (`harness.server`), sampled by `Sampler`; the
students run as asyncio tasks in this process (protocol students) and in
one Chromium (browser students); everything is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import time
from dataclasses import asdict

from playwright.async_api import async_playwright
from websockets.exceptions import WebSocketException

from benchmarks import _common as c
from benchmarks import _proc
from benchmarks.classroom.browser_student import browser_session
from benchmarks.classroom.plan import SharedLink, choose_browser_students, plan_students
from benchmarks.classroom.protocol_client import ProtocolClient, protocol_session
from benchmarks.classroom.records import Run
from benchmarks.classroom.report import MiB, fmt, mean, print_report, summarize
from benchmarks.classroom.sampler import SAMPLE_SECONDS, Sampler
from harness.browser import launch_options
from harness.server import ROOT, start_server, stop_server

PROGRESS_EVERY_S = 15
# The server's warm-up is done when it uses under 15% of a core for 3 s (or after 2 minutes).
QUIET_SHARE, QUIET_FOR_S, QUIET_LIMIT_S = 0.15, 3.0, 120.0


async def teacher_checks_links(url: str, links: list[SharedLink],
                               timeout_s: float) -> tuple[dict[str, float], dict[str, int]]:
    """Open every shared link once (TF import, compiles, per-server sweeps), over the protocol.

    Returns each page's first-visit seconds and how many charts it drew.
    """
    seconds: dict[str, float] = {}
    charts: dict[str, int] = {}
    for link in links:
        client = ProtocolClient(url, link.page, link.query)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_s):
                result = await client.open()
        except (TimeoutError, WebSocketException, OSError) as exc:
            raise SystemExit(f"{link.page} did not load for the teacher ({type(exc).__name__}: {exc});"
                             " see the server log in benchmarks/results/") from exc
        finally:
            await client.close()
        seconds[link.page] = round(time.perf_counter() - started, 2)
        charts[link.page] = len(result.charts)
        if result.exceptions or not result.charts:
            raise SystemExit(f"{link.page} is broken before the class starts: {result.exceptions or 'no chart'}")
    return seconds, charts


async def run_class(args: argparse.Namespace, links: list[SharedLink]) -> int:
    c.RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_path = c.RESULTS / f"classroom_load-{stamp}-server.log"
    process, url = start_server(log_path)
    sampler = Sampler(process.pid)
    sampler.start()
    run = Run(args=args, url=url, sampler=sampler, links={link.page: link for link in links},
              students=plan_students(args, links, url))
    try:
        cold_rss = _proc.status_bytes(process.pid, "VmRSS")
        sampler.phase = "teacher"
        print(f"server {url} (pid {process.pid}); the teacher opens the {len(links)} links…", flush=True)
        teacher, charts = await teacher_checks_links(url, links, args.load_timeout)
        print(f"  first visits (s): {teacher}", flush=True)
        choose_browser_students(run.students, charts, args.browser_students)
        sampler.phase = "settle"
        quiet = await asyncio.to_thread(
            _proc.wait_until_quiet, process.pid, window=SAMPLE_SECONDS, busy_share=QUIET_SHARE,
            windows=round(QUIET_FOR_S / SAMPLE_SECONDS), timeout=QUIET_LIMIT_S)
        await asyncio.sleep(2)
        baseline_rss = _proc.status_bytes(process.pid, "VmRSS")
        print(f"  server quiet after {quiet:.1f} s; baseline RSS {baseline_rss / MiB:,.0f} MiB", flush=True)

        browsers = sum(1 for s in run.students if s.driver == "browser")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**launch_options()) if browsers else None
            try:
                sampler.phase = "class"
                start = sampler.now()
                for student in run.students:
                    student.arrive_at += start
                leave_by = start + args.ramp_seconds + args.minutes * 60 + args.load_timeout
                hard_deadline = leave_by + args.move_timeout + 60
                print(f"{args.students} students ({browsers} in Chromium, {args.students - browsers} over"
                      f" the protocol) arrive within {args.ramp_seconds:g} s and move sliders for"
                      f" {args.minutes:g} min…", flush=True)
                tasks = [asyncio.create_task(
                    browser_session(run, browser, s, leave_by) if s.driver == "browser"
                    else protocol_session(run, s, leave_by)) for s in run.students]
                progress = asyncio.create_task(_progress(run))
                try:
                    await asyncio.wait_for(asyncio.gather(*tasks), timeout=hard_deadline - sampler.now())
                except TimeoutError:
                    for student in run.students:
                        if student.left_t is None:
                            run.error(student, "timeout", "still there at the class's hard deadline")
                finally:
                    progress.cancel()
                class_end = sampler.now()
            finally:
                if browser is not None:
                    await browser.close()
        sampler.phase = "after"
        print(f"all students left; waiting {args.settle_seconds:g} s…", flush=True)
        await asyncio.sleep(args.settle_seconds)
        after_rss = _proc.status_bytes(process.pid, "VmRSS")
        vm_hwm = _proc.status_bytes(process.pid, "VmHWM")
    finally:
        try:
            sampler.stop()
        finally:
            stop_server(process)

    summary = summarize(run, cold_rss, baseline_rss, after_rss, vm_hwm, teacher, (start, class_end))
    print_report(summary, run)
    out = c.RESULTS / f"classroom_load-{stamp}.json"
    out.write_text(json.dumps({
        "args": vars(args), "url": url, "server_log": str(log_path.relative_to(ROOT)),
        "links": {link.page: link.query for link in links},
        "summary": summary,
        "students": [asdict(s) for s in run.students],
        "moves": [asdict(m) for m in run.moves],
        "errors": [asdict(e) for e in run.errors],
        "timeline": [asdict(s) for s in sampler.samples],
    }, indent=1, default=str))
    print(f"\nwrote {out.relative_to(ROOT)} (server log {log_path.relative_to(ROOT)})")
    return 0 if summary["all_pass"] else 1


async def _progress(run: Run) -> None:
    while True:
        await asyncio.sleep(PROGRESS_EVERY_S)
        done = [m.latency_s for m in run.moves if m.latency_s is not None]
        recent = run.sampler.samples[-20:]
        here = sum(1 for s in run.students if s.arrived_t is not None and s.left_t is None)
        print(f"  t={run.sampler.now():5.0f}s present {here:>3}  moves {len(run.moves):>5}"
              f"  p50 {fmt(c.percentile(done, 50), ' s')}  p95 {fmt(c.percentile(done, 95), ' s')}"
              f"  errors {sum(1 for e in run.errors if e.kind != 'js')}"
              f"  CPU server {fmt(mean([s.server_cpu_pct for s in recent]), '%', 0)}"
              f" generator {fmt(mean([s.python_cpu_pct + s.browser_cpu_pct for s in recent]), '%', 0)}",
              flush=True)
