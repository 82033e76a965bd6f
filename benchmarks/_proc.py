"""Processes as /proc sees them: a process tree, its memory and CPU time, the machine's load.

One set of readers for every benchmark: the server's peak memory
(`memory`), its quiet point after the warm-up (`browser_latency`, the
classroom load test) and the classroom sampler's 0.5 s timeline of the
server and of the load generator (this process, Playwright, Chromium).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
KiB = 1024


@dataclass(frozen=True)
class Stat:
    """From /proc/<pid>/stat, CPU times in clock ticks."""

    ppid: int
    ticks: int  # utime + stime: the process's own CPU time
    child_ticks: int  # cutime + cstime: children it has waited for (Chromium's ended renderers)


def read_stat(pid: int) -> Stat | None:
    """None if the process is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # from field 3 (state) on
    return Stat(int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14]))


def status_kb(pid: int, field: str) -> int:
    """A kB line of /proc/<pid>/status (VmRSS, VmHWM, ...); 0 if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def status_bytes(pid: int, field: str) -> int:
    return status_kb(pid, field) * KiB


def children_by_parent() -> dict[int, list[int]]:
    """Every process's children, from one pass over /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := read_stat(int(entry))) is not None:
            children.setdefault(stat.ppid, []).append(int(entry))
    return children


def process_tree(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """The process and all its descendants.

    From the parent ids in /proc/*/stat: /proc/<pid>/task/*/children needs a
    kernel built with CONFIG_PROC_CHILDREN, which this machine's is not.
    """
    children = children_by_parent() if children is None else children
    found, todo = [pid], [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


def tree_kb(pid: int, field: str) -> int:
    return sum(status_kb(p, field) for p in process_tree(pid))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process tree so far."""
    return sum(stat.ticks for p in process_tree(pid) if (stat := read_stat(p)) is not None) / CLK_TCK


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of the whole machine so far, all cores."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    total = sum(values[:8])  # user..steal (guest time is already in user)
    return total - values[3] - values[4], total  # minus idle, iowait


def wait_until_quiet(pid: int, *, window: float = 1.0, busy_share: float = 0.1, windows: int = 2,
                     timeout: float = 300.0) -> float:
    """Wait until the server used under `busy_share` of one CPU in `windows` windows in a row.

    The server's background warm-up (ui/warmup.py) compiles every scenario
    and then freezes the garbage collector; until it is done, every rerun
    also pays for full collections. A "warm server" measurement waits it
    out. Returns the seconds waited; gives up (returns) after `timeout`.
    """
    started = time.perf_counter()
    previous, quiet = cpu_seconds(pid), 0
    while time.perf_counter() - started < timeout:
        time.sleep(window)
        current = cpu_seconds(pid)
        quiet = quiet + 1 if current - previous < busy_share * window else 0
        if quiet >= windows:
            break
        previous = current
    return time.perf_counter() - started
