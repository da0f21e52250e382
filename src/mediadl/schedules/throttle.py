"""Rate limits: a platform that asks us to slow down pauses its schedules, which resume by
themselves when the pause ends. The schedule shows why (``pause_reason``).

The platforms feature keeps one throttle per platform, and per host for ``generic``
links (any site: one site's 429 pauses that site only), fed by every job's outcome; a
scheduled run that is itself answered "too many requests" feeds it too. A due schedule of
a throttled platform or site is not run but paused until the throttle ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session

from mediadl.core.clock import isoformat
from mediadl.core.settings import Settings
from mediadl.db.models.schedules import Schedule
from mediadl.db.session import affected_rows
from mediadl.engines.base import EngineError
from mediadl.platforms.status import (
    GENERIC,
    Failure,
    active_throttle,
    hosts_under,
    record_failure,
    throttle_name,
)


@dataclass(frozen=True)
class Pause:
    until: datetime
    reason: str


class PlatformGate(Protocol):
    def pause_for(self, session: Session, schedule: Schedule, now: datetime) -> Pause | None:
        ...


class PlatformThrottleGate:
    """Reads the throttle the platforms feature keeps per platform (per host: generic)."""

    def pause_for(self, session: Session, schedule: Schedule, now: datetime) -> Pause | None:
        status = active_throttle(session, schedule.platform, schedule.host, now)
        if status is None or status.throttled_until is None:
            return None
        return Pause(status.throttled_until,
                     paused_because(site_of(schedule), status.throttle_reason,
                                    status.throttled_until))


def paused_because(site: str, why: str | None, until: datetime) -> str:
    return (f"{site} is rate-limiting requests ({why or 'it asked us to slow down'}); "
            f"the schedule resumes by itself at {isoformat(until)}.")


def throttle_after(session: Session, settings: Settings, schedule: Schedule,
                   error: EngineError, now: datetime) -> Pause | None:
    """Count a failed listing into the platform's status; when it was a rate limit, the
    platform is throttled and the pause of its schedules is returned."""
    failure = Failure(error.message, error.retry_after)
    until = record_failure(session, settings, schedule.platform, failure, now, schedule.host)
    if until is None:
        return None
    return Pause(until, paused_because(site_of(schedule), error.message, until))


def site_of(schedule: Schedule) -> str:
    return schedule.host if schedule.platform == GENERIC else schedule.platform


def pause_one(session: Session, schedule_id: int, pause: Pause) -> None:
    session.execute(update(Schedule).where(Schedule.id == schedule_id)
                    .values(paused_until=pause.until, pause_reason=pause.reason))


def pause_site(session: Session, schedule: Schedule, pause: Pause) -> int:
    """Pause every enabled schedule of the same platform (of the throttled host and its
    subdomains, for generic sites) at once, so the list shows them all waiting, not only
    the one that hit it."""
    statement = update(Schedule).where(Schedule.enabled.is_(True),
                                       Schedule.platform == schedule.platform)
    if schedule.platform == GENERIC:
        site = throttle_name(GENERIC, schedule.host)
        statement = statement.where(Schedule.host == schedule.host if site == GENERIC
                                    else hosts_under(Schedule.host, site))
    return affected_rows(session.execute(
        statement.values(paused_until=pause.until, pause_reason=pause.reason)))
