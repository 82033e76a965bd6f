"""Part 4 — peak memory of the server after a student has been everywhere.

A fresh `streamlit run app.py` (background warm-up on, as deployed); one
Chromium session opens the home page and every question page of the bank
and, on each, moves every slider: focus, then ArrowRight a few times
(ArrowLeft for a slider without room for them), each press waited out with
`harness.browser.press_and_wait_for_redraw` (charts changed, script idle).

Figure: the server's peak resident memory, `VmHWM` from /proc/<pid>/status,
plus the `VmHWM` of any child processes (a sum of peaks: an upper bound).
Also shown: the largest resident total of the process tree seen by a 0.2 s
sampler, and the resident size at the end. Target: <= 900 MB.

Run alone: `python -m benchmarks.memory --presses 1`.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from benchmarks import _common as c
from benchmarks._proc import process_tree, status_kb, tree_kb
from content.questions import load_bank
from harness.browser import (
    FIRST_LOAD_MS,
    IDLE_MS,
    exceptions,
    launch_options,
    open_app,
    press_and_wait_for_redraw,
    wait_settled,
)
from harness.server import start_server, stop_server
from harness.sliders import arrow_with_room, sliders

TARGET_MB = 900.0
HOME_HEADING = "Optimizer Explorer"


class RssSampler(threading.Thread):
    """Samples the process tree's total VmRSS every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self.peak_kb = max(self.peak_kb, tree_kb(self.pid, "VmRSS"))

    def stop(self) -> None:
        self._halt.set()
        self.join()


def visit_everything(page: Any, url: str, presses: int, result: c.PartResult) -> list[list[Any]]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    rows: list[list[Any]] = []
    open_app(page, url, FIRST_LOAD_MS)
    page.get_by_role("heading", name=HOME_HEADING).wait_for(state="visible")
    rows.append(["home", 0, 0])
    for q in load_bank().questions:
        print(f"… {q.id}", flush=True)
        open_app(page, f"{url}/{q.id}", FIRST_LOAD_MS)
        pressed = unchanged = 0
        for control in sliders(q):
            key = arrow_with_room(control, presses)
            for _ in range(presses):
                try:
                    press_and_wait_for_redraw(page, control.label, key, timeout=IDLE_MS)
                except PlaywrightTimeout:
                    unchanged += 1  # no chart changed: settle on the idle state instead
                    wait_settled(page, IDLE_MS)
                pressed += 1
        if errors := exceptions(page):
            c.note(result, f"{q.id}: exception on the page: {errors[0][:200]}")
        if unchanged:
            c.note(result, f"{q.id}: {unchanged} presses left the charts unchanged")
        rows.append([q.id, len(sliders(q)), pressed])
    return rows


def main(argv: list[str] | None = None) -> c.PartResult:
    p = c.parser("Peak server memory after visiting every page and moving every slider (Chromium).")
    p.add_argument("--presses", type=c.positive_int, default=3, help="key presses per slider")
    p.add_argument("--xla", choices=("0", "1", "auto"), default="0",
                   help="OPTIMIZER_EXPLORER_XLA for the server. Default 0: what a ~1 GB host "
                        "runs (scenarios/_tf.py turns XLA off below 3 GiB); 1: a laptop's setting")
    args = p.parse_args(argv)
    if args.xla == "auto":
        os.environ.pop("OPTIMIZER_EXPLORER_XLA", None)
    else:
        os.environ["OPTIMIZER_EXPLORER_XLA"] = args.xla

    from playwright.sync_api import sync_playwright

    result = c.new_part("memory", {"presses": args.presses, "xla": args.xla})
    if warning := c.busy_warning():
        c.note(result, warning)
    table = c.Table("Pages visited by one browser session", ["page", "sliders", "key presses"])
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        process, url = start_server(Path(tmp) / "streamlit.log")
        sampler = RssSampler(process.pid)
        sampler.start()
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            table.rows = visit_everything(page, url, args.presses, result)
            page.close()
            pids = process_tree(process.pid)
            peak_kb = sum(status_kb(pid, "VmHWM") for pid in pids)
            end_kb = tree_kb(process.pid, "VmRSS")
        except Exception as error:
            log = (Path(tmp) / "streamlit.log").read_text()[-2000:]
            c.note(result, f"{type(error).__name__}: {error}\n{log}")
            pids, peak_kb, end_kb = [], 0, 0
        finally:
            try:
                stop_server(process)
            finally:
                sampler.stop()
                browser.close()
    c.add_table(result, table)
    mb = 1024.0
    memory = c.Table("Server memory", ["processes", "peak (VmHWM) MB", "largest sampled RSS MB", "RSS at end MB"])
    memory.rows.append([len(pids), peak_kb / mb, sampler.peak_kb / mb, end_kb / mb])
    c.add_table(result, memory)
    result.raw = {"pids": pids, "vmhwm_kb": peak_kb, "sampled_peak_rss_kb": sampler.peak_kb,
                  "end_rss_kb": end_kb}
    result.figures.append(c.Figure("memory: server peak RSS (VmHWM)", peak_kb / mb if peak_kb else None,
                                   "MB", TARGET_MB, note=f"{len(pids)} process(es), OPTIMIZER_EXPLORER_XLA={args.xla}"))
    c.finish(result)
    return result


if __name__ == "__main__":
    main()
