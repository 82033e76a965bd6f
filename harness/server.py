"""The real app served by `streamlit run app.py`, as a student's browser meets it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEALTHY_WITHIN_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(log_path: Path, script: str | Path = "app.py", *,
                 cpu: int | None = None) -> tuple[subprocess.Popen, str]:
    """`streamlit run <script>` on a free loopback port, file watcher off, warm-up and prefetch on.

    `script` is relative to the repository root (the app by default; the
    benchmarks' floor app is `benchmarks/floor_app.py`), run from the root
    so that it reads the same `.streamlit/config.toml` with the same flags.
    `cpu`: pin the server (and its children) to that core, `taskset -c <cpu>`.

    Returns the process and its base URL once `/_stcore/health` answers.
    The server's output goes to `log_path`.
    """
    port = free_port()
    log = log_path.open("w")
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    process = subprocess.Popen(
        [*pin, sys.executable, "-m", "streamlit", "run", str(script),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "OPTIMIZER_EXPLORER_WARMUP": "1", "OPTIMIZER_EXPLORER_PREFETCH": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + HEALTHY_WITHIN_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early; see {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"streamlit did not become healthy; see {log_path}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


WARM_WITHIN_S = 240


def wait_until_warm(log_path: Path, timeout: float = WARM_WITHIN_S) -> None:
    """Until the server's log says its background warm-up is done (`ui.warmup.WARM_MESSAGE`).

    The warm-up starts once a page has run and the server has been quiet for a few
    seconds: open a page first. Tests that time a page's redraw wait for this, as a
    class meets a server that has been up for a while.
    """
    from ui.warmup import WARM_MESSAGE

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if WARM_MESSAGE in log_path.read_text(errors="replace"):
            return
        time.sleep(0.5)
    raise RuntimeError(f"the server did not finish its warm-up within {timeout:.0f} s; see {log_path}")
