"""Per-session rate limits for class mode (in memory, per server process).

A token bucket per key (e.g. a Streamlit session id): ``capacity`` tokens,
refilled at ``rate`` per second; each action takes one. Presets:

- ``write_limiter()``: votes, joins and teacher actions, ~5 per second;
- ``code_try_limiter()``: room-code attempts, ~10 per minute (so guessing
  codes from one session is slow; codes have 31**6 ≈ 8.9e8 values).

Thread-safe; memory is bounded (the least recently used keys are dropped
beyond ``max_keys``; a dropped key just starts again with a full bucket).
Several server processes each keep their own buckets.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


class RateLimited(Exception):
    """Too many actions from one session; ``retry_after`` seconds until the next is allowed."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Too many tries: wait {retry_after:.0f} s." if retry_after >= 1
                         else "Too many tries: wait a moment.")
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets keyed by session."""

    def __init__(self, rate: float, capacity: float, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not rate > 0 or not capacity >= 1 or max_keys < 1:
            raise ValueError("rate > 0, capacity >= 1 and max_keys >= 1 are required")
        self.rate = float(rate)
        self.capacity = float(capacity)
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def _take(self, key: str, cost: float) -> float:
        """Take ``cost`` tokens if there; return 0.0, else the seconds until there are."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(self.capacity, now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            self._buckets[key] = bucket  # most recently used last
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            return (cost - bucket.tokens) / self.rate

    def allow(self, key: str, cost: float = 1.0) -> bool:
        """Take a token for ``key`` if one is left; False means refuse the action."""
        return self._take(key, cost) == 0.0

    def check(self, key: str, cost: float = 1.0) -> None:
        """Like ``allow`` but raises ``RateLimited`` (with ``retry_after``) when refused."""
        wait = self._take(key, cost)
        if wait:
            raise RateLimited(wait)

    def forget(self, key: str) -> None:
        """Drop a session's bucket (e.g. when the session ends)."""
        with self._lock:
            self._buckets.pop(key, None)


WRITES_PER_SECOND = 5.0
CODE_TRIES_PER_MINUTE = 10.0


def write_limiter(**kwargs) -> RateLimiter:
    """Votes, joins, teacher actions: 5 per second, bursts of 5."""
    return RateLimiter(WRITES_PER_SECOND, WRITES_PER_SECOND, **kwargs)


def code_try_limiter(**kwargs) -> RateLimiter:
    """Room-code attempts: 10 per minute, bursts of 10."""
    return RateLimiter(CODE_TRIES_PER_MINUTE / 60.0, CODE_TRIES_PER_MINUTE, **kwargs)
