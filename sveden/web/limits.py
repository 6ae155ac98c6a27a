"""Sliding-window limits kept in the server's memory (one server process; see the README)."""

from __future__ import annotations

import time
from collections import deque


class Window:
    """At most ``limit`` events per key in any ``period`` seconds."""

    def __init__(self, limit: int, period: float):
        self.limit = limit
        self.period = period
        self.events: dict[str, deque[float]] = {}

    def _trim(self, key: str, now: float) -> deque[float]:
        q = self.events.setdefault(key, deque())
        while q and q[0] <= now - self.period:
            q.popleft()
        return q

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds until ``key`` may have one more event (0: it may now)."""
        now = time.monotonic() if now is None else now
        q = self._trim(key, now)
        return 0.0 if len(q) < self.limit else q[0] + self.period - now

    def hit(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._trim(key, now).append(now)
        if len(self.events) > 10_000:  # forget idle keys now and then: memory stays bounded
            for k in [k for k, q in self.events.items() if not q or q[-1] <= now - self.period]:
                del self.events[k]


def minutes(seconds: float) -> str:
    """«через 12 мин» for a wait in seconds."""
    m = max(1, round(seconds / 60))
    return f"через {m} мин"
