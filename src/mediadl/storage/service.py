"""The storage use cases behind the routes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediadl.app_context import AppContext
from mediadl.core.clock import isoformat, utcnow
from mediadl.db.models import Job, User
from mediadl.db.models.library_ops import StoragePause
from mediadl.library.schemas import DownloadOut
from mediadl.storage import cleanup
from mediadl.storage.schemas import (
    CleanupPolicyOut,
    CleanupPreview,
    CleanupResult,
    PausedJob,
    StorageStatus,
)
from mediadl.storage.space import library_bytes, measure_room

PREVIEW_ITEMS = 100


def status(session: Session, context: AppContext, user: User) -> StorageStatus:
    settings, state = context.settings, context.ops.storage
    room = measure_room(session, settings)
    quota = settings.storage.user_quota_bytes
    return StorageStatus(
        low=state.low, reason=state.reason, free_bytes=room.free_bytes,
        needed_bytes=state.needed_bytes, reserve_bytes=room.reserve_bytes,
        limit_bytes=room.limit_bytes, checked_at=isoformat(state.checked_at),
        quota_bytes=quota if quota and not user.is_admin else None,
        used_bytes=library_bytes(session, user.id), paused_jobs=_paused_jobs(session, user))


def _paused_jobs(session: Session, user: User) -> list[PausedJob]:
    statement = select(StoragePause).join(Job, Job.id == StoragePause.job_id)
    if not user.is_admin:
        statement = statement.where(Job.owner_id == user.id)
    return [PausedJob(job_id=pause.job_id, reason=pause.reason,
                      paused_at=isoformat(pause.paused_at))
            for pause in session.scalars(statement.order_by(StoragePause.job_id))]


def cleanup_preview(session: Session, context: AppContext) -> CleanupPreview:
    policy = cleanup.Policy.of(context.settings)
    count, size, rows = cleanup.preview(session, policy, utcnow(), PREVIEW_ITEMS)
    return CleanupPreview(policy=_policy_out(context), downloads=count, bytes=size,
                          items=[DownloadOut.from_row(row) for row in rows])


def run_cleanup(context: AppContext, dry_run: bool) -> CleanupResult:
    policy = cleanup.Policy.of(context.settings)
    if dry_run:
        with context.db.read() as session:
            count, size, _rows = cleanup.preview(session, policy, utcnow(), 0)
        return CleanupResult(dry_run=True, downloads=count, bytes=size)
    deleted, freed = cleanup.run(context.db, context.settings, policy, utcnow())
    if deleted:
        for loop in context.ops.loops:
            loop.wake()  # the storage guard may resume paused downloads now
    return CleanupResult(dry_run=False, downloads=deleted, bytes=freed)


def _policy_out(context: AppContext) -> CleanupPolicyOut:
    storage = context.settings.storage
    return CleanupPolicyOut(enabled=storage.cleanup_enabled,
                            max_age_days=storage.cleanup_max_age_days,
                            max_per_source=storage.cleanup_max_per_source)
