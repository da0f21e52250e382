"""Pausing and resuming jobs for lack of space, the way the queue's own pause does it:
status ``paused``, lease cleared, partial files kept (resuming continues where it stopped).

Each pause is recorded with its reason, so the guard resumes only what it paused itself; a
job a person paused stays paused.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from mediadl.core.clock import utcnow
from mediadl.db.models import Job
from mediadl.db.models.library_ops import StoragePause
from mediadl.db.session import affected_rows
from mediadl.jobs.states import PAUSED, QUEUED, RUNNING

DISK = "disk"
QUOTA = "quota"


def pause_for_storage(session: Session, jobs: Iterable[Job], reason: str,
                      message: str) -> list[int]:
    """Pause queued and running ``jobs``; returns the ids whose process must be stopped."""
    stop = []
    for job in jobs:
        was_running = job.status == RUNNING
        if job.status not in (QUEUED, RUNNING) or not _paused(session, job, message):
            continue
        session.merge(StoragePause(job_id=job.id, reason=reason, paused_at=utcnow()))
        if was_running:
            stop.append(job.id)
    return stop


def _paused(session: Session, job: Job, message: str) -> bool:
    # Conditional on the state read: a job that finished meanwhile is left alone.
    changed = session.execute(
        update(Job).where(Job.id == job.id, Job.status == job.status,
                          Job.lease_owner.is_(None) if job.lease_owner is None
                          else Job.lease_owner == job.lease_owner)
        .values(status=PAUSED, lease_owner=None, lease_expires_at=None, speed_bps=None,
                eta_s=None, error=message, updated_at=utcnow()))
    return affected_rows(changed) == 1


def paused_by_guard(session: Session, reason: str) -> list[Job]:
    """Jobs the guard paused for ``reason`` and nobody has touched since."""
    statement = (select(Job).join(StoragePause, StoragePause.job_id == Job.id)
                 .where(StoragePause.reason == reason, Job.status == PAUSED))
    return list(session.scalars(statement))


def resume_from_storage(session: Session, jobs: Iterable[Job]) -> list[int]:
    ids = [job.id for job in jobs]
    if not ids:
        return []
    # A job that never started keeps the start time its owner set; one that ran skips
    # whatever retry wait it had, as a resume by hand does.
    kept_start = case((Job.started_at.is_(None), Job.not_before), else_=None)
    session.execute(update(Job).where(Job.id.in_(ids), Job.status == PAUSED)
                    .values(status=QUEUED, not_before=kept_start, error=None,
                            updated_at=utcnow()))
    session.execute(delete(StoragePause).where(StoragePause.job_id.in_(ids)))
    return ids


def forget_stale_pauses(session: Session) -> None:
    """A job resumed, canceled or deleted by a person is the guard's business no more."""
    stale = select(StoragePause.job_id).join(Job, Job.id == StoragePause.job_id).where(
        Job.status != PAUSED)
    session.execute(delete(StoragePause).where(StoragePause.job_id.in_(stale)))
