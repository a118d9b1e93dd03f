"""A virtual clock for rate-limit tests: the fake Zendesk reads it, the gateway's waits move it, so
minutes of paced, rate-limited traffic run in seconds and the figures are the real-time ones."""

from __future__ import annotations

import threading


class VirtualTimer:
    """`now()` for the fake's windows and `sleep_until()` for the gateway: waiting moves the clock."""

    def __init__(self, start: float = 1_000_020.0) -> None:
        self._now = start
        self.start = start
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def sleep_until(self, deadline: float) -> None:
        with self._lock:
            self._now = max(self._now, deadline)

    @property
    def elapsed(self) -> float:
        return self._now - self.start
