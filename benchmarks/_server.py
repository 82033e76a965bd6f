"""The server process as /proc sees it: its process tree, memory, CPU time."""

from __future__ import annotations

import os
import time
from pathlib import Path


def status_kb(pid: int, field: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (from /proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                continue
    return found


def tree_kb(pid: int, field: str) -> int:
    return sum(status_kb(p, field) for p in process_tree(pid))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process tree so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


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
