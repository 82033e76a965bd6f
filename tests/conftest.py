"""Shared test set-up: no background warm-up, quiet TensorFlow, fresh caches."""

from __future__ import annotations

import os

# The warm-up thread would compete with the tests for the two cores.
os.environ.setdefault("OPTIMIZER_EXPLORER_WARMUP", "0")
# So would the slider prefetch's runs, and they would land in other tests' engine-call counts;
# tests/test_prefetch.py switches it on. Servers the tests start run as deployed (harness.server).
os.environ.setdefault("OPTIMIZER_EXPLORER_PREFETCH", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
