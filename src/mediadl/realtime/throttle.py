"""At most one progress message per job per interval, and the latest value is never lost:
a value that comes too early is held and sent when its turn comes (a trailing edge)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ProgressThrottle(Generic[T]):
    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: dict[int, float] = {}
        self._held: dict[int, T] = {}

    def offer(self, job_id: int, value: T, force: bool = False) -> T | None:
        """The value to send now, or None when it is held for later."""
        now = self._clock()
        last = self._last.get(job_id)
        if force or last is None or now - last >= self.interval:
            self._last[job_id] = now
            self._held.pop(job_id, None)
            return value
        self._held[job_id] = value
        return None

    def due(self) -> list[tuple[int, T]]:
        """Held values whose turn has come."""
        now = self._clock()
        ready = [job_id for job_id in self._held if now - self._last[job_id] >= self.interval]
        for job_id in ready:
            self._last[job_id] = now
        return [(job_id, self._held.pop(job_id)) for job_id in ready]

    def seconds_to_next(self) -> float | None:
        if not self._held:
            return None
        now = self._clock()
        return max(0.0, min(self._last[job_id] + self.interval - now for job_id in self._held))

    def flush(self, job_id: int) -> T | None:
        """The held value of a job that ends, to send before its outcome."""
        return self._held.pop(job_id, None)

    def forget(self, job_id: int) -> None:
        self._held.pop(job_id, None)
        self._last.pop(job_id, None)
