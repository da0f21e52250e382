"""Job states and priorities: the vocabulary of the queue."""

from __future__ import annotations

from typing import Literal

QUEUED = "queued"
PAUSED = "paused"
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
CANCELED = "canceled"

Status = Literal["queued", "paused", "running", "completed", "failed", "canceled"]
STATUSES: tuple[str, ...] = (QUEUED, PAUSED, RUNNING, COMPLETED, FAILED, CANCELED)
ACTIVE_STATUSES: frozenset[str] = frozenset({QUEUED, PAUSED, RUNNING})
FINISHED_STATUSES: frozenset[str] = frozenset({COMPLETED, FAILED, CANCELED})

Priority = Literal["high", "normal", "low"]
PRIORITY_RANK: dict[str, int] = {"high": 0, "normal": 1, "low": 2}


def priority_rank(priority: str) -> int:
    return PRIORITY_RANK[priority]
