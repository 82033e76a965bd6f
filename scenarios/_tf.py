"""Lazy TensorFlow import.

TensorFlow takes seconds to import, so only code that trains imports it,
and only when it first trains: the home page never pays for it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import ModuleType

XLA_VARIABLE = "OPTIMIZER_EXPLORER_XLA"
# XLA's CPU backend costs ~200 MB of resident memory on its first compile
# (measured here: 557 -> 755 MB), plus ~10-20 MB per compiled loop. Below
# this much memory (a hosted free tier has ~1 GB) the loops run as plain
# TensorFlow graphs instead: 5-10x slower, still milliseconds per run.
XLA_MIN_MEMORY_BYTES = 3 * 2**30
_CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))

_import_lock = threading.Lock()


def tensorflow() -> ModuleType:
    """Return the `tensorflow` module, importing it quietly on first use."""
    # Must be set before the first import: afterwards TF ignores it.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _import_lock:
        import tensorflow as tf

    return tf


def memory_limit_bytes() -> int | None:
    """The container's memory limit (cgroup v2 or v1), or None if unlimited."""
    for path in _CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            return int(text)
    return None


def use_xla() -> bool:
    """XLA-compile the training loops? OPTIMIZER_EXPLORER_XLA=1/0 decides;
    otherwise yes unless the container has less than 3 GiB of memory."""
    setting = os.environ.get(XLA_VARIABLE, "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    limit = memory_limit_bytes()
    return limit is None or limit >= XLA_MIN_MEMORY_BYTES
