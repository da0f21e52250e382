"""Leases: a worker must win a job in the database before it touches a file (ADR 0002).

Every write a worker makes about a job is fenced by its lease token, so a worker whose
lease was taken away (cancel, pause, sweep, a second delivery) can change nothing.
"""

from __future__ import annotations

import functools
import os
import secrets
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, and_, bindparam, case, func, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from mediadl.db.dialect import with_skip_locked
from mediadl.db.models import Job
from mediadl.db.models.platforms import PlatformSetting
from mediadl.db.session import affected_rows
from mediadl.jobs.retry import RetryPolicy
from mediadl.jobs.states import FAILED, QUEUED, RUNNING
from mediadl.platforms.blocking import (
    PER_SITE_PLATFORMS,
    Moment,
    blocked_platforms,
    busy_site_of_job,
    throttled_site_of_job,
)

HOST = socket.gethostname()


def new_lease_token(job_id: int) -> str:
    """``host:pid:random:job`` - the host and pid let a restarted server see dead owners."""
    return f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}:{job_id}"


def runnable_jobs(now: Moment):  # type: ignore[no-untyped-def]
    """Queued jobs whose time has come, of platforms that are neither disabled, throttled
    after a rate limit, nor at their concurrency limit (generic links: nor of a throttled
    site; links of many-site platforms: nor of a site at the limit)."""
    return (
        select(Job.id)
        .where(Job.status == QUEUED, or_(Job.not_before.is_(None), Job.not_before <= now),
               Job.platform.not_in(blocked_platforms(now)), ~throttled_site_of_job(now),
               ~busy_site_of_job())
        .order_by(Job.priority_rank, Job.position, Job.id)
    )


def owners_at_limit(per_owner_limit: int):  # type: ignore[no-untyped-def]
    """Owners with ``per_owner_limit`` or more running jobs (walks the status index)."""
    return (select(Job.owner_id).where(Job.status == RUNNING)
            .group_by(Job.owner_id).having(func.count() >= per_owner_limit))


def claimable_jobs(now: Moment, per_owner_limit: int = 0):  # type: ignore[no-untyped-def]
    """The claim rule: runnable jobs, without those of owners who already run
    ``per_owner_limit`` (``security.max_running_jobs_per_user``) jobs, so one person's
    thousand-item playlist cannot hold every slot while others wait."""
    candidates = runnable_jobs(now)
    if per_owner_limit > 0:
        candidates = candidates.where(Job.owner_id.not_in(owners_at_limit(per_owner_limit)))
    return candidates


def claimable_count(session: Session, now: datetime, per_owner_limit: int = 0) -> int:
    """How many jobs could be claimed one after another now: an owner counts for no more
    than the slots its limit leaves it, and a platform (or one site of a many-site
    platform) for no more than its own limit leaves (the smaller of the two sums; a bound,
    not an exact plan)."""
    candidates = claimable_jobs(now, per_owner_limit).order_by(None).subquery()
    mine = Job.id.in_(select(candidates.c.id))
    by_owner = _counts(session, select(Job.owner_id, func.count()).where(mine)
                       .group_by(Job.owner_id))
    owners_free = _free_slots(session, Job.owner_id, {owner: per_owner_limit
                                                      for owner in by_owner}
                              if per_owner_limit > 0 else {})
    by_group = _group_counts(session, mine)
    return min(_capped_sum(by_owner, owners_free),
               _capped_sum(by_group, _groups_free(session, by_group)))


def _counts(session: Session, statement) -> dict[Any, int]:  # type: ignore[no-untyped-def]
    return {key: int(count) for key, count in session.execute(statement)}


def _free_slots(session: Session, column, limits: dict[Any, int]) -> dict[Any, int]:  # type: ignore[no-untyped-def]
    """Slots left under each limit: the limit minus the running jobs."""
    if not limits:
        return {}
    running = _counts(session, select(column, func.count())
                      .where(Job.status == RUNNING, column.in_(limits)).group_by(column))
    return {key: max(0, limit - running.get(key, 0)) for key, limit in limits.items()}


def _limit_group() -> ColumnElement[str]:
    """What a platform limit counts: the platform, or each site of a many-site platform."""
    return case((Job.platform.in_(PER_SITE_PLATFORMS), Job.site), else_=literal(""))


def _group_counts(session: Session, condition: ColumnElement[bool]) -> dict[Any, int]:
    group = _limit_group()
    rows = session.execute(select(Job.platform, group, func.count()).where(condition)
                           .group_by(Job.platform, group))
    return {(platform, site): int(count) for platform, site, count in rows}


def _groups_free(session: Session, groups: dict[Any, int]) -> dict[Any, int]:
    """Slots each (platform, site) group has left under its platform's limit."""
    limits = _counts(session, select(PlatformSetting.name, PlatformSetting.max_concurrent_jobs)
                     .where(PlatformSetting.max_concurrent_jobs.is_not(None)))
    if not limits:
        return {}
    running = _group_counts(session, and_(Job.status == RUNNING, Job.platform.in_(limits)))
    return {key: max(0, limits[key[0]] - running.get(key, 0))
            for key in groups if key[0] in limits}


def _capped_sum(counts: dict[Any, int], free: dict[Any, int]) -> int:
    return sum(min(count, free.get(key, count)) for key, count in counts.items())


def claim_next(session: Session, now: datetime, lease_seconds: float,
               per_owner_limit: int = 0) -> tuple[Job, str] | None:
    """Take the most urgent claimable job, or None when there is nothing to run. Both
    backends claim through here: the local dispatcher, and a Celery worker woken by a hint."""
    statement = _claim_statement(per_owner_limit, session.bind.dialect.name)  # type: ignore[union-attr]
    job_id = session.scalar(statement, {NOW.key: now})
    if job_id is None:
        return None
    return claim_job(session, job_id, now, lease_seconds)


NOW = bindparam("now", type_=DateTime())


@functools.cache
def _claim_statement(per_owner_limit: int, dialect: str):  # type: ignore[no-untyped-def]
    """Built once per limit: building it took a few milliseconds of every claim."""
    return with_skip_locked(claimable_jobs(NOW, per_owner_limit).limit(1), dialect)


def claim_job(session: Session, job_id: int, now: datetime,
              lease_seconds: float) -> tuple[Job, str] | None:
    """Win one named job; None when it is not queued any more (a duplicate hint)."""
    token = new_lease_token(job_id)
    won = affected_rows(session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == QUEUED)
        .values(status=RUNNING, lease_owner=token,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=Job.attempts + 1, started_at=now, error=None, cancel_requested=False)
    ))
    if not won:
        return None
    job = session.get(Job, job_id, populate_existing=True)
    assert job is not None
    return job, token


def renew(session: Session, tokens: Iterable[str], now: datetime,
          lease_seconds: float) -> set[str]:
    """Extend the leases still held; returns the tokens that are still ours."""
    tokens = list(tokens)
    if not tokens:
        return set()
    session.execute(
        update(Job).where(Job.lease_owner.in_(tokens), Job.status == RUNNING)
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
    )
    held = session.scalars(
        select(Job.lease_owner).where(Job.lease_owner.in_(tokens), Job.status == RUNNING)
    )
    return {token for token in held if token}


def fenced(job_id: int, token: str):  # type: ignore[no-untyped-def]
    """An UPDATE that only applies while ``token`` still holds the job's lease."""
    return update(Job).where(Job.id == job_id, Job.lease_owner == token, Job.status == RUNNING)


def release_for_retry(session: Session, job: Job, token: str, error: str, now: datetime,
                      policy: RetryPolicy, retry_after: float | None = None) -> str | None:
    """After a transient failure: queue again with backoff, or fail when out of attempts.
    Returns the new status, or None when the lease was no longer ours."""
    if policy.should_retry(job.attempts, transient=True):
        values = {"status": QUEUED, "not_before": policy.next_attempt_at(now, job.attempts,
                                                                          retry_after)}
    else:
        values = {"status": FAILED, "finished_at": now}
    done = affected_rows(session.execute(
        fenced(job.id, token).values(error=error, lease_owner=None, lease_expires_at=None,
                                     speed_bps=None, eta_s=None, **values)
    ))
    return str(values["status"]) if done else None


def release_on_shutdown(session: Session, job_id: int, token: str) -> bool:
    """Give a job back untouched: a clean stop is not an attempt."""
    return bool(affected_rows(session.execute(
        fenced(job_id, token).values(status=QUEUED, lease_owner=None, lease_expires_at=None,
                                     attempts=Job.attempts - 1, speed_bps=None, eta_s=None)
    )))


def sweep_expired(session: Session, now: datetime) -> list[int]:
    """Re-queue jobs whose worker stopped renewing its lease; fail those out of attempts."""
    expired = session.scalars(
        select(Job).where(Job.status == RUNNING, Job.lease_expires_at < now)
    ).all()
    for job in expired:
        _requeue_abandoned(session, job, now, "The worker running this job stopped responding.")
    return [job.id for job in expired]


def reclaim_dead_local_owners(session: Session, now: datetime) -> list[int]:
    """At start-up: jobs leased by a process of this host that no longer exists (a killed
    server) are re-queued at once instead of after their lease runs out."""
    running = session.scalars(select(Job).where(Job.status == RUNNING)).all()
    dead = [job for job in running if _owner_is_dead_local_process(job.lease_owner)]
    for job in dead:
        _requeue_abandoned(session, job, now, "The server stopped while this job ran.")
    return [job.id for job in dead]


def _requeue_abandoned(session: Session, job: Job, now: datetime, reason: str) -> None:
    if job.attempts >= job.max_attempts:
        job.status, job.finished_at, job.error = FAILED, now, reason
    else:
        job.status, job.not_before = QUEUED, None
    job.lease_owner = None
    job.lease_expires_at = None
    job.speed_bps = job.eta_s = None


def _owner_is_dead_local_process(token: str | None) -> bool:
    if not token:
        return True
    host, _, rest = token.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
