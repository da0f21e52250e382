"""A platform's live status, made of real job outcomes: each finished job counts as a
success or a failure of its platform; a rate-limit answer also throttles the platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediadl.core.settings import Settings
from mediadl.db.models.platforms import PlatformStatus
from mediadl.platforms.ratelimits import is_rate_limited, throttled_until

State = Literal["ok", "warning", "error"]
MAX_ERROR_TEXT = 500


@dataclass(frozen=True)
class Failure:
    message: str
    retry_after: float | None = None

    @property
    def rate_limited(self) -> bool:
        return is_rate_limited(self.message, self.retry_after)


def status_row(session: Session, name: str) -> PlatformStatus:
    """The platform's row, created on first use (a savepoint absorbs a concurrent insert)."""
    row = session.get(PlatformStatus, name)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = PlatformStatus(name=name, error_count=0, success_total=0, failure_total=0,
                                 throttle_level=0)
            session.add(row)
    except IntegrityError:
        row = session.get(PlatformStatus, name, populate_existing=True)
        assert row is not None
    return row


def record_success(session: Session, name: str, now: datetime) -> None:
    """A success ends an error streak and eases the throttle one step."""
    row = status_row(session, name)
    row.last_success_at = now
    row.success_total += 1
    row.error_count = 0
    row.throttle_level = max(0, row.throttle_level - 1)
    if row.throttle_level == 0:
        row.throttled_until, row.throttle_reason = None, None


def record_failure(session: Session, settings: Settings, name: str, failure: Failure,
                   now: datetime) -> datetime | None:
    """Count the failure; returns until when the platform is throttled when the failure
    was a rate limit, else None."""
    row = status_row(session, name)
    row.last_failure_at = now
    row.last_error = failure.message[:MAX_ERROR_TEXT]
    row.failure_total += 1
    row.error_count += 1
    if not failure.rate_limited:
        return None
    return throttle(row, settings, failure, now)


def throttle(row: PlatformStatus, settings: Settings, failure: Failure,
             now: datetime) -> datetime:
    row.throttle_level += 1
    config = settings.platforms
    until = throttled_until(now, row.throttle_level, config.throttle_base_seconds,
                            config.throttle_max_seconds, failure.retry_after)
    # A second job that hit the same wall must not shorten the pause.
    if row.throttled_until is None or row.throttled_until < until:
        row.throttled_until = until
    row.throttle_reason = failure.message[:MAX_ERROR_TEXT]
    return row.throttled_until


def is_throttled(row: PlatformStatus | None, now: datetime) -> bool:
    return row is not None and row.throttled_until is not None and row.throttled_until > now


def state_of(row: PlatformStatus | None, settings: Settings, now: datetime) -> State:
    """error: failing every time (or throttled again and again); warning: throttled now, or
    failures since the last success; ok: otherwise, and before any job ran."""
    if row is None:
        return "ok"
    limit = settings.platforms.error_after_failures
    if row.error_count >= limit or (is_throttled(row, now) and row.throttle_level >= limit):
        return "error"
    if is_throttled(row, now) or row.error_count > 0:
        return "warning"
    return "ok"
