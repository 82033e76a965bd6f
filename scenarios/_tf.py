"""Lazy TensorFlow import.

TensorFlow takes seconds to import, so only code that trains imports it,
and only when it first trains: the home page never pays for it.
"""

from __future__ import annotations

import os
import threading
from types import ModuleType

_import_lock = threading.Lock()


def tensorflow() -> ModuleType:
    """Return the `tensorflow` module, importing it quietly on first use."""
    # Must be set before the first import: afterwards TF ignores it.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _import_lock:
        import tensorflow as tf

    return tf
