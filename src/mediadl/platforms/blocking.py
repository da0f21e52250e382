"""Which platforms the dispatcher must pass over now: disabled by an admin, throttled after a
rate limit, or running as many jobs as an admin allows. One subquery, so a claim stays one
statement over the jobs index."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CompoundSelect, false, func, select, union
from sqlalchemy.sql import Select

from mediadl.db.models import Job
from mediadl.db.models.platforms import PlatformSetting, PlatformStatus
from mediadl.jobs.states import RUNNING


def disabled_platforms() -> Select[str]:
    return select(PlatformSetting.name).where(PlatformSetting.enabled == false())


def throttled_platforms(now: datetime) -> Select[str]:
    return select(PlatformStatus.name).where(PlatformStatus.throttled_until > now)


def busy_platforms() -> Select[str]:
    """Platforms running ``max_concurrent_jobs`` jobs already."""
    limit = PlatformSetting.max_concurrent_jobs
    return (select(Job.platform)
            .join(PlatformSetting, PlatformSetting.name == Job.platform)
            .where(Job.status == RUNNING, limit.is_not(None))
            .group_by(Job.platform, limit)
            .having(func.count() >= limit))


def blocked_platforms(now: datetime) -> CompoundSelect:
    return union(disabled_platforms(), throttled_platforms(now), busy_platforms())
