"""The server and the load generator every 0.5 s, from /proc (`benchmarks._proc`), in a thread."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

from benchmarks import _proc

SAMPLE_SECONDS = 0.5


@dataclass
class Sample:
    t: float  # seconds since the sampler started
    phase: str
    server_cpu_pct: float  # 100 = one core
    server_rss: int
    python_cpu_pct: float  # this process: protocol students, Playwright client, sampler
    browser_cpu_pct: float  # Playwright's node driver + every Chromium process
    generator_rss: int  # sum of RSS over the generator's processes (overcounts shared pages)
    generator_procs: int
    machine_busy_pct: float  # of all cores (100 = every core busy), other workers included


class Sampler(threading.Thread):
    """Samples the server and the load generator every 0.5 s, in its own thread."""

    def __init__(self, server_pid: int) -> None:
        super().__init__(name="proc-sampler", daemon=True)
        self.server_pid = server_pid
        self.samples: list[Sample] = []
        self.phase = "start"
        self._halt = threading.Event()
        self._t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._t0

    def _generator(self) -> tuple[int, int, int, int]:
        """(own ticks, browser-tree ticks, RSS sum, process count)."""
        me, children = os.getpid(), _proc.children_by_parent()
        pids = set(_proc.process_tree(me, children)) - set(_proc.process_tree(self.server_pid, children)) - {me}
        own = _proc.read_stat(me)
        own_ticks = own.ticks if own else 0  # not child_ticks: the server is our child
        ticks, rss = 0, _proc.status_bytes(me, "VmRSS")
        for pid in pids:
            if (stat := _proc.read_stat(pid)) is not None:
                ticks += stat.ticks + stat.child_ticks  # + reaped children (Chromium's renderers)
                rss += _proc.status_bytes(pid, "VmRSS")
        return own_ticks, ticks, rss, len(pids) + 1

    def run(self) -> None:
        prev_t = time.monotonic()
        prev_server = (_proc.read_stat(self.server_pid) or _proc.Stat(0, 0, 0)).ticks
        prev_own, prev_browser, _, _ = self._generator()
        prev_busy, prev_total = _proc.machine_ticks()
        while not self._halt.wait(SAMPLE_SECONDS):
            t = time.monotonic()
            stat = _proc.read_stat(self.server_pid)
            if stat is None:
                break
            own, browser, rss, procs = self._generator()
            busy, total = _proc.machine_ticks()
            to_pct = 100 / _proc.CLK_TCK / max(t - prev_t, 1e-6)
            self.samples.append(Sample(
                t=round(t - self._t0, 3), phase=self.phase,
                server_cpu_pct=(stat.ticks - prev_server) * to_pct,
                server_rss=_proc.status_bytes(self.server_pid, "VmRSS"),
                python_cpu_pct=(own - prev_own) * to_pct,
                # A process that exits takes its ticks along (a dip, never a spike).
                browser_cpu_pct=max(0.0, (browser - prev_browser) * to_pct),
                generator_rss=rss, generator_procs=procs,
                machine_busy_pct=100 * (busy - prev_busy) / max(total - prev_total, 1),
            ))
            prev_t, prev_server, prev_own, prev_browser = t, stat.ticks, own, browser
            prev_busy, prev_total = busy, total

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)
