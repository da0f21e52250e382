"""The queue: adding, listing and steering jobs. Each public method is one transaction;
hints to the dispatcher (wake up, stop that job) go out only after the commit."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediadl.app_context import AppContext
from mediadl.core.clock import utcnow
from mediadl.core.errors import Conflict, InvalidPayload, NotFound
from mediadl.core.hosts import site_of
from mediadl.core.settings import Settings
from mediadl.db.models import Download, Job, User
from mediadl.db.session import affected_rows
from mediadl.jobs.runner import job_dir_for
from mediadl.jobs.states import (
    CANCELED,
    FAILED,
    FINISHED_STATUSES,
    PAUSED,
    QUEUED,
    RUNNING,
    STATUSES,
    priority_rank,
)
from mediadl.platforms.archive import linked_downloads
from mediadl.platforms.routing import Route
from mediadl.platforms.rules import PlatformRules
from mediadl.queue.schemas import BatchRequest, BulkRequest, EnqueueRequest, JobPatch
from mediadl.queue.serialize import JobRow
from mediadl.realtime.events import Event
from mediadl.realtime.queue_news import QueueNews, added_events, added_row_events, resync_for
from mediadl.security.policy import refuse_unsafe_url
from mediadl.security.quotas import refuse_over_queue_cap

SORT_COLUMNS = {
    "priority": (Job.priority_rank, Job.position, Job.id),
    "created_at": (Job.created_at, Job.id),
    "updated_at": (Job.updated_at, Job.id),
    "platform": (Job.platform, Job.id),
    "status": (Job.status, Job.id),
}


@dataclass(frozen=True)
class Enqueued:
    """An added job; ``created`` is False when an Idempotency-Key named an earlier one."""

    job: Job
    download_ids: list[int]
    created: bool = True


@dataclass(frozen=True)
class JobFilter:
    status: str | None = None
    platform: str | None = None
    q: str | None = None
    parent_id: int | None = None
    sort: str = "priority"
    order: str = "asc"
    page: int = 1
    page_size: int = 50


def visible_jobs(user: User) -> Select[Job]:
    statement = select(Job)
    return statement if user.is_admin else statement.where(Job.owner_id == user.id)


def job_row(session: Session, user: User, job_id: int) -> Job:
    job = session.scalar(visible_jobs(user).where(Job.id == job_id))
    if job is None:
        raise NotFound("There is no such job in your queue.")
    return job


def new_job_values(settings: Settings, owner: User, url: str, quality: str, priority: str,
                   paused: bool, options: dict[str, Any], position: int,
                   rules: PlatformRules | None = None, forced: Route | None = None,
                   not_before: datetime | None = None) -> dict[str, Any]:
    """``forced``: a route chosen on purpose (POST /platforms/{name}/download);
    ``not_before``: the start time asked for (naive UTC)."""
    refuse_unsafe_url(settings, url)
    rules = rules or PlatformRules()
    found = rules.check(forced) if forced is not None else rules.route(url)
    now = utcnow()
    return {
        "owner_id": owner.id, "url": url, "site": site_of(url), "platform": found.platform.name,
        "engine": found.engine, "status": PAUSED if paused else QUEUED, "priority": priority,
        "priority_rank": priority_rank(priority), "position": position,
        "quality": rules.quality(found.platform.name, quality),
        "options": options, "max_attempts": settings.jobs.max_attempts, "created_at": now,
        "updated_at": now, "downloaded_bytes": 0, "attempts": 0, "cancel_requested": False,
        # A start time already past means now; None keeps the job page honest about it.
        "not_before": not_before if not_before is not None and not_before > now else None,
    }


def next_position(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Job.position), 0))) or 0) + 1


def enqueue_job(session: Session, settings: Settings, owner: User, url: str,
                quality: str = "best", priority: str = "normal", paused: bool = False,
                options: dict[str, Any] | None = None, forced: Route | None = None,
                not_before: datetime | None = None, idempotency_key: str | None = None) -> Job:
    values = new_job_values(settings, owner, url, quality, priority, paused, options or {},
                            next_position(session), PlatformRules.load(session), forced,
                            not_before)
    job = Job(**values, idempotency_key=idempotency_key)
    session.add(job)
    session.flush()
    return job


def job_with_key(session: Session, owner: User, key: str) -> Job | None:
    return session.scalar(select(Job).where(Job.owner_id == owner.id,
                                            Job.idempotency_key == key))


def insert_jobs(session: Session, rows: list[dict[str, Any]]) -> list[Job]:
    if not rows:
        return []
    return list(session.scalars(insert(Job).returning(Job), rows))


def insert_job_rows(session: Session, rows: list[dict[str, Any]]) -> list[JobRow]:
    """``insert_jobs`` for big batches: the new jobs' columns, in queue order, without ORM
    objects (half the cost for 10,000 rows). Each row must have its own ``position``."""
    if not rows:
        return []
    table = Job.__table__
    assert isinstance(table, Table)
    # Sorting here is cheaper than sort_by_parameter_order, which makes SQLite insert the
    # rows one statement at a time.
    inserted = session.execute(insert(table).returning(*table.c), rows)
    return sorted(inserted.all(), key=lambda row: row.position)


def download_ids_by_job(session: Session, job_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = list(job_ids)
    found: dict[int, list[int]] = {job_id: [] for job_id in ids}
    for chunk_start in range(0, len(ids), 900):
        chunk = ids[chunk_start:chunk_start + 900]
        rows = session.execute(select(Download.job_id, Download.id)
                               .where(Download.job_id.in_(chunk)).order_by(Download.id))
        for job_id, download_id in rows:
            if job_id is not None:
                found.setdefault(job_id, []).append(download_id)
        # A job that found its item in the library already lists that download too.
        for job_id, download_id in linked_downloads(session, chunk):
            found.setdefault(job_id, []).append(download_id)
    return found


def _apply_filter(statement: Select[Any], query: JobFilter) -> Select[Any]:
    if query.status:
        statuses = [s for s in query.status.split(",") if s in STATUSES]
        statement = statement.where(Job.status.in_(statuses))
    if query.platform:
        statement = statement.where(Job.platform == query.platform)
    if query.parent_id is not None:
        statement = statement.where(Job.parent_id == query.parent_id)
    if query.q:
        pattern = "%" + query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Job.title.ilike(pattern, escape="\\"),
                                        Job.url.ilike(pattern, escape="\\")))
    return statement


def _ordered(statement: Select[Any], query: JobFilter) -> Select[Any]:
    columns = SORT_COLUMNS[query.sort]
    return statement.order_by(*(c.desc() if query.order == "desc" else c.asc() for c in columns))


class QueueService:
    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.db = context.db
        self.settings = context.settings

    # -- adding ----------------------------------------------------------------------
    def enqueue(self, owner: User, request: EnqueueRequest,
                idempotency_key: str | None = None) -> Enqueued:
        """A new job; with ``idempotency_key``, the owner's job added with that key before
        (if any) instead, so a client may safely send the same request again."""
        if idempotency_key is not None:
            earlier = self._earlier(owner, request, idempotency_key)
            if earlier is not None:
                return earlier
        try:
            return self._add(owner, request, idempotency_key)
        except IntegrityError:
            # A concurrent request with the same key won the insert (the unique constraint
            # decides); answer with its job.
            earlier = self._earlier(owner, request, idempotency_key) if idempotency_key else None
            if earlier is None:
                raise
            return earlier

    def _add(self, owner: User, request: EnqueueRequest, key: str | None) -> Enqueued:
        with self.db.session() as session:
            refuse_over_queue_cap(session, self.settings, owner, adding=1)
            job = enqueue_job(session, self.settings, owner, request.url, request.quality,
                              request.priority, request.paused, request.options.as_dict(),
                              not_before=request.not_before, idempotency_key=key)
            events = added_events(session, [job])
        self._after([], events)
        return Enqueued(job, [])

    def _earlier(self, owner: User, request: EnqueueRequest, key: str) -> Enqueued | None:
        with self.db.read() as session:
            job = job_with_key(session, owner, key)
            if job is None:
                return None
            if job.url != request.url:
                raise InvalidPayload("This Idempotency-Key was already used to add another "
                                     "link; use a new key for a new request.")
            return Enqueued(job, download_ids_by_job(session, [job.id])[job.id], created=False)

    def enqueue_batch(self, owner: User, request: BatchRequest) -> list[JobRow]:
        with self.db.session() as session:
            refuse_over_queue_cap(session, self.settings, owner, adding=len(request.urls))
            first = next_position(session)
            rules = PlatformRules.load(session)
            options = request.options.as_dict()  # one dict for all: no row changes it
            rows = [new_job_values(self.settings, owner, url, request.quality, request.priority,
                                   request.paused, options, first + index, rules,
                                   not_before=request.not_before)
                    for index, url in enumerate(request.urls)]
            jobs = insert_job_rows(session, rows)
        self._after([], added_row_events(jobs))
        return jobs

    # -- reading ---------------------------------------------------------------------
    def list_jobs(self, user: User,
                  query: JobFilter) -> tuple[list[Job], int, dict[int, list[int]]]:
        with self.db.read() as session:
            filtered = _apply_filter(visible_jobs(user), query)
            total = session.scalar(select(func.count()).select_from(filtered.subquery())) or 0
            page = _ordered(filtered, query).offset((query.page - 1) * query.page_size)
            jobs = list(session.scalars(page.limit(query.page_size)))
            downloads = download_ids_by_job(session, (job.id for job in jobs))
        return jobs, total, downloads

    def get(self, user: User, job_id: int) -> tuple[Job, list[int]]:
        with self.db.read() as session:
            job = job_row(session, user, job_id)
            return job, download_ids_by_job(session, [job.id])[job.id]

    def stats(self, user: User) -> dict[str, int]:
        with self.db.read() as session:
            visible = visible_jobs(user).subquery()
            rows = session.execute(select(visible.c.status, func.count())
                                   .group_by(visible.c.status))
            counts = {status: 0 for status in STATUSES}
            counts.update({status: count for status, count in rows})
        return counts

    # -- steering --------------------------------------------------------------------
    def update(self, user: User, job_id: int, patch: JobPatch) -> tuple[Job, list[int]]:
        stop: list[int] = []
        with self.db.session() as session:
            job = job_row(session, user, job_id)
            news = QueueNews(session, [job])
            if patch.priority is not None:
                job.priority, job.priority_rank = patch.priority, priority_rank(patch.priority)
            if patch.position is not None:
                _move_to(session, job, patch.position)
            if patch.paused is True:
                stop = _pause(session, [job])
            elif patch.paused is False:
                _resume(session, [job])
            session.flush()
            downloads = download_ids_by_job(session, [job.id])[job.id]
            events = news.events()
        self._after(stop, events)
        return job, downloads

    def delete(self, user: User, job_id: int) -> None:
        """An active job is canceled (partial files go); a finished one leaves the queue."""
        with self.db.session() as session:
            job = job_row(session, user, job_id)
            news = QueueNews(session, [job])
            idle = _idle_ids([job])
            stop = _cancel_or_remove(session, [job])
            events = news.events()
        self._after(stop, events, discard=idle)

    def retry(self, user: User, job_id: int) -> tuple[Job, list[int]]:
        with self.db.session() as session:
            job = job_row(session, user, job_id)
            if job.status not in (FAILED, CANCELED):
                raise Conflict("Only failed or canceled jobs can be retried.")
            refuse_over_queue_cap(session, self.settings, user, adding=1)
            news = QueueNews(session, [job])
            _requeue(session, [job])
            downloads = download_ids_by_job(session, [job.id])[job.id]
            events = news.events()
        self._after([], events)
        return job, downloads

    def clear(self, user: User, statuses: Sequence[str]) -> int:
        with self.db.session() as session:
            ids = select(visible_jobs(user).where(Job.status.in_(statuses)).subquery().c.id)
            removed = affected_rows(session.execute(delete(Job).where(Job.id.in_(ids))))
        self._after([], [resync_for(user)] if removed else [])
        return int(removed or 0)

    def bulk(self, user: User, request: BulkRequest) -> int:
        with self.db.session() as session:
            jobs = list(session.scalars(visible_jobs(user).where(Job.id.in_(request.ids))))
            news = QueueNews(session, jobs)
            idle = _idle_ids(jobs) if request.action == "delete" else []
            stop = self._bulk_action(session, user, jobs, request)
            events = news.events()
        self._after(stop, events, discard=idle)
        return len(jobs)

    def pause_all(self, user: User) -> int:
        with self.db.session() as session:
            jobs = list(session.scalars(
                visible_jobs(user).where(Job.status.in_((QUEUED, RUNNING)))))
            news = QueueNews(session, jobs)
            stop = _pause(session, jobs)
            events = news.events()
        self._after(stop, events)
        return len(jobs)

    def resume_all(self, user: User) -> int:
        with self.db.session() as session:
            jobs = list(session.scalars(visible_jobs(user).where(Job.status == PAUSED)))
            news = QueueNews(session, jobs)
            _resume(session, jobs)
            events = news.events()
        self._after([], events)
        return len(jobs)

    def _bulk_action(self, session: Session, user: User, jobs: list[Job],
                     request: BulkRequest) -> list[int]:
        if request.action == "delete":
            return _cancel_or_remove(session, jobs)
        if request.action == "pause":
            return _pause(session, jobs)
        if request.action == "resume":
            _resume(session, jobs)
        elif request.action == "retry":
            self._retry_all(session, user, jobs)
        elif request.action == "priority" and request.priority is not None:  # schema: given
            for job in jobs:
                job.priority = request.priority
                job.priority_rank = priority_rank(request.priority)
        return []

    def _retry_all(self, session: Session, user: User, jobs: list[Job]) -> None:
        retried = [job for job in jobs if job.status in (FAILED, CANCELED)]
        if retried:
            refuse_over_queue_cap(session, self.settings, user, adding=len(retried))
        _requeue(session, retried)

    def _after(self, stop: list[int], events: list[Event],
               discard: Sequence[int] = ()) -> None:
        """Hints, live events and file removal, once the transaction has committed."""
        self.context.events.publish_all(events)
        for job_id in stop:
            self.context.cancel_job(job_id)
        for job_id in discard:
            # No process holds these folders; a running job's go when its process ends.
            shutil.rmtree(job_dir_for(self.settings, job_id), ignore_errors=True)
        self.context.wake_dispatcher()


def _release(job: Job, status: str, now: datetime) -> None:
    job.status = status
    job.lease_owner = None
    job.lease_expires_at = None
    job.speed_bps = None
    job.eta_s = None
    if status in FINISHED_STATUSES:
        job.finished_at = now


def _pause(session: Session, jobs: list[Job]) -> list[int]:
    """Paused jobs keep their partial files, so resuming continues where they stopped."""
    stop = [job.id for job in jobs if job.status == RUNNING]
    for job in jobs:
        if job.status in (QUEUED, RUNNING):
            _release(job, PAUSED, utcnow())
    return stop


def _resume(session: Session, jobs: list[Job]) -> None:
    for job in jobs:
        if job.status == PAUSED:
            job.status, job.not_before = QUEUED, _start_time_kept(job)


def _start_time_kept(job: Job) -> datetime | None:
    """Resuming skips a retry's wait, but keeps the start time a person set: a job that
    never started can only be waiting for that."""
    return job.not_before if job.started_at is None else None


def _requeue(session: Session, jobs: list[Job]) -> None:
    for job in jobs:
        _release(job, QUEUED, utcnow())
        job.attempts, job.error, job.not_before, job.finished_at = 0, None, None, None
        job.downloaded_bytes, job.total_bytes = 0, None


def _idle_ids(jobs: list[Job]) -> list[int]:
    """Jobs that may hold partial files but no process: paused or waiting in the queue."""
    return [job.id for job in jobs if job.status in (QUEUED, PAUSED)]


def _cancel_or_remove(session: Session, jobs: list[Job]) -> list[int]:
    stop = [job.id for job in jobs if job.status == RUNNING]
    finished = [job.id for job in jobs if job.status in FINISHED_STATUSES]
    for job in jobs:
        if job.status not in FINISHED_STATUSES:
            _release(job, CANCELED, utcnow())
            job.cancel_requested = True
    if finished:
        session.execute(delete(Job).where(Job.id.in_(finished)))
    return stop


def _move_to(session: Session, job: Job, position: int) -> None:
    """Place a job at ``position``; jobs at or after it move one step back."""
    session.execute(update(Job).where(Job.position >= position, Job.id != job.id,
                                      Job.status.in_((QUEUED, PAUSED)))
                    .values(position=Job.position + 1))
    job.position = position
