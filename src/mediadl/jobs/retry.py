"""When to try a failed job again."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Exponential backoff with full jitter; a server's Retry-After is a floor."""
        ceiling = min(self.max_seconds, self.base_seconds * (2 ** max(0, attempts - 1)))
        delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not crypto)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_seconds))
        return delay

    def should_retry(self, attempts: int, transient: bool) -> bool:
        return transient and attempts < self.max_attempts

    def next_attempt_at(self, now: datetime, attempts: int,
                        retry_after: float | None = None) -> datetime:
        return now + timedelta(seconds=self.delay(attempts, retry_after))
