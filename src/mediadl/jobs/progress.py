"""Progress as the job layer sees it: monotonic across the files of one job, throttled."""

from __future__ import annotations

import time
from dataclasses import dataclass

from mediadl.engines.base import Progress

MIN_INTERVAL_S = 0.25  # at most four updates a second per job


@dataclass
class JobProgress:
    downloaded_bytes: int = 0
    total_bytes: int | None = None
    speed_bps: float | None = None
    eta_s: float | None = None


class ProgressAccumulator:
    """Engines report per file (video, then audio); a job's bar must only move forward."""

    def __init__(self) -> None:
        self._done_bytes = 0
        self._last_file_bytes = 0
        self._last_file_total = 0

    def add(self, event: Progress) -> JobProgress:
        if event.downloaded_bytes < self._last_file_bytes:
            self._done_bytes += max(self._last_file_total, self._last_file_bytes)
        self._last_file_bytes = event.downloaded_bytes
        self._last_file_total = event.total_bytes or event.downloaded_bytes
        total = None if event.total_bytes is None else self._done_bytes + event.total_bytes
        return JobProgress(self._done_bytes + event.downloaded_bytes, total,
                           event.speed_bps, event.eta_s)


class Throttle:
    def __init__(self, interval: float = MIN_INTERVAL_S) -> None:
        self.interval = interval
        self._last = 0.0

    def ready(self, force: bool = False) -> bool:
        now = time.monotonic()
        if force or now - self._last >= self.interval:
            self._last = now
            return True
        return False
