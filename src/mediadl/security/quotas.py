"""Per-user limits on the queue, so one account cannot crowd out a household or a team."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediadl.core.errors import TooManyRequests
from mediadl.core.settings import Settings
from mediadl.db.models import Job, User
from mediadl.jobs.states import ACTIVE_STATUSES

QUEUE_FULL_RETRY_SECONDS = 60


def unfinished_jobs(session: Session, owner_id: int) -> int:
    statement = (select(func.count()).select_from(Job)
                 .where(Job.owner_id == owner_id, Job.status.in_(ACTIVE_STATUSES)))
    return int(session.scalar(statement) or 0)


def refuse_over_queue_cap(session: Session, settings: Settings, owner: User,
                          adding: int) -> None:
    """TooManyRequests when ``adding`` jobs would take ``owner`` past the cap (admins have
    none)."""
    if owner.is_admin:
        return
    cap = settings.security.max_queued_jobs_per_user
    waiting = unfinished_jobs(session, owner.id)
    if waiting + adding > cap:
        room = max(0, cap - waiting)
        raise TooManyRequests(
            f"You may have at most {cap} unfinished jobs and have {waiting}; there is room "
            f"for {room} more. Wait for some to finish or remove some.",
            retry_after=QUEUE_FULL_RETRY_SECONDS)
