"""What the storage guard found last time, shared by the dispatcher (may it start jobs?),
the health check and the statistics of this process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class StorageState:
    low: bool = False
    reason: str | None = None
    free_bytes: int | None = None
    needed_bytes: int = 0
    checked_at: datetime | None = None
    paused_jobs: int = 0

    def allows_new_jobs(self) -> bool:
        """The queue starts no new download while space is low."""
        return not self.low
