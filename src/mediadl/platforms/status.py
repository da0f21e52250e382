"""A platform's live status, made of real job outcomes: each finished job counts as a
success or a failure of its platform; a rate-limit answer also throttles the platform.

A named platform (youtube, instagram, ...) is throttled as a whole. The ``generic``
platform is any site, so one site's 429 must not pause all the others: its throttle is
kept per host, in a status row of its own named ``generic:<host>`` (the host and its
subdomains; a host too long for the name is keyed by its longest parent domain that fits,
else ``generic~<last characters>``). The ``generic`` row itself keeps the health counts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Update, bindparam, case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import ColumnElement

from mediadl.core.settings import Settings
from mediadl.db.models.platforms import PlatformStatus
from mediadl.db.session import affected_rows
from mediadl.platforms.ratelimits import is_rate_limited, throttled_until

State = Literal["ok", "warning", "error"]
MAX_ERROR_TEXT = 500
GENERIC = "generic"
# Status rows of one generic site: "generic:<host or parent domain>", or, when not even
# the last two labels fit the 32-character name, "generic~<the host's last characters>".
SITE_PREFIX = "generic:"
TAIL_PREFIX = "generic~"
SITE_KEY_LENGTH = 32 - len(SITE_PREFIX)


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


def _parents(host: str) -> list[str]:
    """``a.b.example.org`` -> itself, ``b.example.org``, ``example.org``, ``org``."""
    labels = host.split(".")
    return [".".join(labels[start:]) for start in range(len(labels))]


def throttle_name(platform: str, host: str | None) -> str:
    """The status row that a rate limit of ``platform`` at ``host`` throttles."""
    site = (host or "").lower().rstrip(".").removeprefix("www.")
    if platform != GENERIC or not site:
        return platform
    if len(site) <= SITE_KEY_LENGTH:
        return SITE_PREFIX + site
    parent = next((name for name in _parents(site)
                   if len(name) <= SITE_KEY_LENGTH and "." in name), None)
    return SITE_PREFIX + parent if parent else TAIL_PREFIX + site[-SITE_KEY_LENGTH:]


def throttle_names_over(platform: str, host: str | None) -> list[str]:
    """Every status row whose throttle pauses ``host``: its own, its parent domains'."""
    site = (host or "").lower().rstrip(".")
    if platform != GENERIC or not site:
        return [platform]
    names = [SITE_PREFIX + name for name in _parents(site) if len(name) <= SITE_KEY_LENGTH]
    if len(site) >= SITE_KEY_LENGTH:
        names.append(TAIL_PREFIX + site[-SITE_KEY_LENGTH:])
    return names


def hosts_under(column: ColumnElement[str] | InstrumentedAttribute[str],
                name: str) -> ColumnElement[bool]:
    """SQL: the host in ``column`` is paused by the status row ``name``."""
    if name.startswith(TAIL_PREFIX):
        return column.like("%" + name.removeprefix(TAIL_PREFIX))
    site = name.removeprefix(SITE_PREFIX)
    return or_(column == site, column.like("%." + site))


def active_throttle(session: Session, platform: str, host: str | None,
                    now: datetime) -> PlatformStatus | None:
    """The throttle that pauses ``platform`` at ``host`` now (the longest one), if any."""
    return session.scalars(
        select(PlatformStatus)
        .where(PlatformStatus.name.in_(throttle_names_over(platform, host)),
               PlatformStatus.throttled_until > now)
        .order_by(PlatformStatus.throttled_until.desc()).limit(1)).first()


def record_success(session: Session, name: str, now: datetime,
                   host: str | None = None) -> None:
    """A success ends an error streak and eases the throttle one step (of the site, for
    a generic link). Every finished job comes here: plain UPDATEs, no rows loaded."""
    counted = session.execute(_success_statement(), {"status_name": name, "success_at": now})
    if not affected_rows(counted):
        row = status_row(session, name)  # the platform's first job
        row.last_success_at, row.success_total, row.error_count = now, 1, 0
    site = throttle_name(name, host)
    if site != name:
        session.execute(_ease_statement(), {"status_name": site})


@functools.cache
def _success_statement() -> Update:
    """Built once: building it cost a small job more than running it."""
    return (update(PlatformStatus).where(PlatformStatus.name == bindparam("status_name"))
            .values(last_success_at=bindparam("success_at"),
                    success_total=PlatformStatus.success_total + 1, error_count=0, **_eased()))


@functools.cache
def _ease_statement() -> Update:
    return (update(PlatformStatus).where(PlatformStatus.name == bindparam("status_name"))
            .values(**_eased()))


def _eased() -> dict[str, ColumnElement[object]]:
    """The throttle one step lower; at level zero it is over."""
    level = PlatformStatus.throttle_level
    ends = level <= 1
    return {"throttle_level": case((level > 0, level - 1), else_=0),
            "throttled_until": case((ends, None), else_=PlatformStatus.throttled_until),
            "throttle_reason": case((ends, None), else_=PlatformStatus.throttle_reason)}


def record_failure(session: Session, settings: Settings, name: str, failure: Failure,
                   now: datetime, host: str | None = None) -> datetime | None:
    """Count the failure; returns until when the platform (for a generic link: the site
    at ``host``) is throttled when the failure was a rate limit, else None."""
    row = status_row(session, name)
    row.last_failure_at = now
    row.last_error = failure.message[:MAX_ERROR_TEXT]
    row.failure_total += 1
    row.error_count += 1
    if not failure.rate_limited:
        return None
    site = throttle_name(name, host)
    return throttle(row if site == name else status_row(session, site), settings, failure, now)


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
