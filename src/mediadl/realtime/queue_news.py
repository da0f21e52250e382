"""``queue_updated`` events for what a queue transaction changed.

The queue service watches the jobs it is about to change; at the end of the transaction
the change of each job's status names the action. The service publishes the events only
after the commit, so a client never hears of a change that was rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from mediadl.db.models import Job, User
from mediadl.jobs.states import CANCELED, COMPLETED, FAILED, PAUSED, QUEUED, RUNNING
from mediadl.queue.serialize import JobFields, JobRow, job_out
from mediadl.realtime.events import Event
from mediadl.realtime.messages import QueueAction, queue_updated, resync

# Beyond this many jobs in one change, one snapshot says it better than a message per job.
MAX_ITEM_EVENTS = 100

_ARRIVED: dict[str, QueueAction] = {
    CANCELED: "canceled", PAUSED: "paused", RUNNING: "started", COMPLETED: "completed",
    FAILED: "failed",
}


def action_for(before: str | None, after: str | None) -> QueueAction | None:
    """The action a status change means; None when the status did not change."""
    if after is None:
        return "removed"
    if before is None:
        return "added"
    if before == after:
        return None
    if after == QUEUED:
        # Back from a pause is "resumed"; back from failed or canceled is a new attempt.
        return "resumed" if before == PAUSED else "added"
    return _ARRIVED.get(after)


class QueueNews:
    def __init__(self, session: Session, jobs: Iterable[Job] = ()) -> None:
        self.session = session
        self._jobs: list[Job] = []
        self._before: dict[int, tuple[str | None, int, int]] = {}
        self.watch(jobs)

    def watch(self, jobs: Iterable[Job]) -> None:
        for job in jobs:
            self._jobs.append(job)
            self._before[id(job)] = (job.status, job.priority_rank, job.position)

    def added(self, jobs: Iterable[Job]) -> None:
        for job in jobs:
            self._jobs.append(job)
            self._before[id(job)] = (None, job.priority_rank, job.position)

    def events(self) -> list[Event]:
        """Call at the end of the transaction, before it commits."""
        self.session.flush()
        changed: list[tuple[Job, QueueAction, str | None]] = []
        reordered: list[Job] = []
        for job in self._jobs:
            action, before, moved = self._change(job)
            if action is not None:
                changed.append((job, action, before))
            elif moved:
                reordered.append(job)
        if len(changed) > MAX_ITEM_EVENTS:
            return _resyncs(job for job, _, _ in changed)
        return [*self._item_events(changed), *_resyncs(reordered)]

    def _change(self, job: Job) -> tuple[QueueAction | None, str | None, bool]:
        before, rank, position = self._before[id(job)]
        state = inspect(job)
        after = None if state.deleted or state.was_deleted else job.status
        moved = (rank, position) != (job.priority_rank, job.position)
        return action_for(before, after), before, moved

    def _item_events(self, changed: list[tuple[Job, QueueAction, str | None]]) -> list[Event]:
        from mediadl.queue.service import download_ids_by_job  # queue.service imports us

        downloads = download_ids_by_job(self.session, (job.id for job, _, _ in changed))
        return [queue_updated(action, job_out(job, downloads.get(job.id, [])).model_dump(
                    mode="json"), job.owner_id, before)
                for job, action, before in changed]


def resync_for(user: User) -> Event:
    """A change to all of a user's jobs (an admin's: everyone's) that names no job."""
    return resync(None if user.is_admin else user.id)


def _resyncs(jobs: Iterable[JobFields]) -> list[Event]:
    owners = sorted({job.owner_id for job in jobs})
    if len(owners) > MAX_ITEM_EVENTS:
        return [resync(None)]
    return [resync(owner) for owner in owners]


def added_row_events(rows: Sequence[JobRow]) -> list[Event]:
    """Events for jobs a bulk insert created (``insert_job_rows``)."""
    if len(rows) > MAX_ITEM_EVENTS:
        return _resyncs(rows)
    return [queue_updated("added", job_out(row, []).model_dump(mode="json"), row.owner_id, None)
            for row in rows]


def added_events(session: Session, jobs: Iterable[Job]) -> list[Event]:
    """Events for jobs a transaction created."""
    news = QueueNews(session)
    news.added(jobs)
    return news.events()
