"""Job outcomes as events, read from the jobs table itself.

Reading the table (rather than hooking the code that finishes jobs) sees every job however
it ran - local workers, Celery workers on other hosts, a server that restarted meanwhile -
and the unique key of each event makes every outcome count once. Jobs that finished in the
last ``LOOKBACK`` are looked at; older ones were seen before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, exists, or_, select
from sqlalchemy.orm import Session

from mediadl.db.models import Job
from mediadl.db.models.library_ops import NotificationEvent
from mediadl.engines.base import COLLECTION_KINDS
from mediadl.jobs.states import COMPLETED, FAILED, QUEUED
from mediadl.notifications.events import Notice, record_notice

LOOKBACK = timedelta(hours=24)
RATE_LIMIT_LOOKBACK = timedelta(minutes=15)
_RATE_LIMITED = re.compile(r"\b429\b|too many requests|rate[ -]?limit", re.IGNORECASE)


@dataclass(frozen=True)
class Outcome:
    """A finished job, reported once."""

    job_id: int
    owner_id: int
    platform: str
    status: str
    seconds: float | None
    bytes: int


def collect_outcomes(session: Session, now: datetime) -> list[Outcome]:
    """Record a notice for each job that finished and was not reported yet."""
    reported = []
    for job in _unreported(session, now):
        if record_notice(session, outcome_notice(job)) is not None:
            reported.append(Outcome(job.id, job.owner_id, job.platform, job.status,
                                    _seconds(job), job.total_bytes or job.downloaded_bytes or 0))
    return reported


def collect_rate_limits(session: Session, now: datetime) -> int:
    """Record the rate-limit notices not recorded yet; returns how many."""
    return sum(record_notice(session, notice) is not None
               for notice in rate_limit_notices(session, now))


def rate_limit_notices(session: Session, now: datetime) -> list[Notice]:
    """One notice per user, platform and hour whose jobs a site answered "slow down"
    (HTTP 429), leaving out those recorded already."""
    jobs = session.scalars(select(Job).where(
        Job.updated_at >= now - RATE_LIMIT_LOOKBACK, Job.error.is_not(None),
        Job.status.in_((QUEUED, FAILED))))
    notices = {notice.key: notice for notice in (_rate_limit_notice(job, now) for job in jobs)
               if notice is not None}
    if not notices:
        return []
    known = set(session.scalars(select(NotificationEvent.key)
                                .where(NotificationEvent.key.in_(notices))))
    return [notice for key, notice in notices.items() if key not in known]


def has_news(session: Session, now: datetime) -> bool:
    """Whether a round would record anything (checked in a read transaction first, so the
    loop does not take the write lock every few seconds for nothing)."""
    return bool(_unreported(session, now, limit=1) or rate_limit_notices(session, now))


def _rate_limit_notice(job: Job, now: datetime) -> Notice | None:
    if not job.error or not _RATE_LIMITED.search(job.error):
        return None
    return Notice(
        event="platform_rate_limited", owner_id=job.owner_id, level="warning",
        title=f"{job.platform} is limiting requests",
        message=f"{job.platform} answered 'too many requests'; mediadl retries later with a "
                f"longer wait. ({job.error[:200]})",
        key=f"ratelimit:{job.owner_id}:{job.platform}:{now:%Y%m%d%H}")


def outcome_notice(job: Job) -> Notice:
    name = job.title or job.url
    if job.status == COMPLETED:
        return Notice(event="download_completed", owner_id=job.owner_id, level="success",
                      title="Download finished", message=name, key=_key(job))
    return Notice(event="download_failed", owner_id=job.owner_id, level="error",
                  title="Download failed", message=f"{name}: {job.error or 'unknown error'}",
                  key=_key(job))


def _unreported(session: Session, now: datetime, limit: int | None = None) -> list[Job]:
    key = "job:" + cast(Job.id, String) + ":" + Job.status
    statement = select(Job).where(
        Job.finished_at >= now - LOOKBACK, Job.status.in_((COMPLETED, FAILED)),
        or_(Job.kind.is_(None), Job.kind.not_in(COLLECTION_KINDS)),
        ~exists().where(NotificationEvent.key == key)).order_by(Job.finished_at).limit(limit)
    return list(session.scalars(statement))


def _key(job: Job) -> str:
    return f"job:{job.id}:{job.status}"


def _seconds(job: Job) -> float | None:
    if job.started_at is None or job.finished_at is None:
        return None
    return max(0.0, (job.finished_at - job.started_at).total_seconds())
