"""Several servers, the load generator, PostgreSQL and the machine every 0.5 s, from /proc, in a thread.

Like `sampler.Sampler` (one server), for a class spread over servers: the
generator is this process and its children minus every server's process
tree (Playwright's driver and Chromium); "postgres" is every process whose
name is `postgres` (the cluster's backends serve the class's queries).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import _proc
from benchmarks.classroom.sampler import SAMPLE_SECONDS


@dataclass
class FleetSample:
    t: float  # time.time()
    phase: str
    server_cpu_pct: dict[str, float] = field(default_factory=dict)  # 100 = one core
    server_rss: dict[str, int] = field(default_factory=dict)
    python_cpu_pct: float = 0.0  # this process: the protocol students, the Playwright client
    browser_cpu_pct: float = 0.0  # Playwright's node driver + Chromium (the projector)
    postgres_cpu_pct: float = 0.0
    machine_busy_pct: float = 0.0  # of all cores, other people's work included
    loadavg_1min: float = 0.0


def _postgres_ticks() -> int:
    ticks = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() != "postgres":
                    continue
            except OSError:
                continue
            if (stat := _proc.read_stat(int(entry))) is not None:
                ticks += stat.ticks
    return ticks


class FleetSampler(threading.Thread):
    def __init__(self, servers: dict[str, int], *, postgres: bool) -> None:
        super().__init__(name="fleet-sampler", daemon=True)
        self.servers = servers  # label -> pid
        self.postgres = postgres
        self.samples: list[FleetSample] = []
        self.phase = "start"
        self._halt = threading.Event()

    def _generator(self) -> tuple[int, int]:
        me, children = os.getpid(), _proc.children_by_parent()
        excluded = {me}
        for pid in self.servers.values():
            excluded |= set(_proc.process_tree(pid, children))
        own = _proc.read_stat(me)
        ticks = 0
        for pid in set(_proc.process_tree(me, children)) - excluded:
            if (stat := _proc.read_stat(pid)) is not None:
                ticks += stat.ticks + stat.child_ticks
        return (own.ticks if own else 0), ticks

    def _read(self) -> tuple[float, dict[str, int], int, int, int, tuple[int, int]]:
        servers = {label: (_proc.read_stat(pid) or _proc.Stat(0, 0, 0)).ticks for label, pid in self.servers.items()}
        own, browser = self._generator()
        return (time.monotonic(), servers, own, browser, _postgres_ticks() if self.postgres else 0,
                _proc.machine_ticks())

    def run(self) -> None:
        prev = self._read()
        while not self._halt.wait(SAMPLE_SECONDS):
            now = self._read()
            to_pct = 100 / _proc.CLK_TCK / max(now[0] - prev[0], 1e-6)
            busy, total = now[5][0] - prev[5][0], now[5][1] - prev[5][1]
            self.samples.append(FleetSample(
                t=time.time(), phase=self.phase,
                server_cpu_pct={label: (now[1][label] - prev[1][label]) * to_pct for label in self.servers},
                server_rss={label: _proc.status_bytes(pid, "VmRSS") for label, pid in self.servers.items()},
                python_cpu_pct=(now[2] - prev[2]) * to_pct,
                browser_cpu_pct=max(0.0, (now[3] - prev[3]) * to_pct),
                postgres_cpu_pct=max(0.0, (now[4] - prev[4]) * to_pct),
                machine_busy_pct=100 * busy / max(total, 1),
                loadavg_1min=os.getloadavg()[0],
            ))
            prev = now

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)
