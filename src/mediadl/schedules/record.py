"""The database side of a run: what the listing found becomes items, jobs and history.

Each function works inside the caller's transaction; ``runs`` opens exactly one per run
outcome, so a run's counts, its jobs and the source's new validators commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediadl.core.errors import MediadlError
from mediadl.core.settings import Settings
from mediadl.db.models import Job, User
from mediadl.db.models.schedules import (
    ITEM_FAILED,
    RUN_RUNNING,
    Schedule,
    ScheduleItem,
    ScheduleRun,
    ScheduleSource,
)
from mediadl.engines.base import COLLECTION_KINDS, Listing
from mediadl.platforms import threads
from mediadl.queue.service import insert_jobs, new_job_values, next_position
from mediadl.schedules.items import backlog, mark_queued
from mediadl.schedules.sources import Listed
from mediadl.security.quotas import unfinished_jobs

FORUM = "forum"
# Engines whose entries only they can fetch (a forum's image links lead to image-host
# pages that its fetch resolves), with what such an entry is: no probe needed first.
OWN_ENTRIES = {"forum": "image", "gallerydl": None}


def held_run(session: Session, run_id: int) -> ScheduleRun | None:
    """The run, if it is still running: a run failed meanwhile (its server was declared
    gone) must not record anything any more."""
    return session.scalar(select(ScheduleRun).where(
        ScheduleRun.id == run_id, ScheduleRun.status == RUN_RUNNING).with_for_update())


def source_of(session: Session, schedule_id: int) -> ScheduleSource:
    source = session.get(ScheduleSource, schedule_id)
    if source is None:
        source = ScheduleSource(schedule_id=schedule_id, state={}, complete=False)
        session.add(source)
    return source


def note_thread_read(session: Session, schedule: Schedule, listed: Listed, new: int,
                     now: datetime) -> None:
    """A forum thread's place is kept by the platforms feature, for downloads and
    schedules alike: the next read starts at the last page seen."""
    state = listed.listing.state
    if listed.engine == "forum" and state.get("thread_url"):
        threads.record_read(session, schedule.owner_id, schedule.url, state,
                            listed.listing.title, new, now)


def update_source(source: ScheduleSource, listing: Listing, new: int, now: datetime) -> None:
    news = bool(new) or has_new_post(source, listing)
    source.kind = listing.kind
    source.title = listing.title or source.title
    if not listing.not_modified:
        source.etag, source.last_modified = listing.etag, listing.last_modified
    source.resume_url = listing.resume_url or source.resume_url
    source.state = listing.state or source.state or {}
    source.complete = bool(source.complete or listing.complete)
    source.listed_at = now
    # The expiry clock of a thread starts at its first run and restarts with each news.
    if news or source.last_new_item_at is None:
        source.last_new_item_at = now


def has_new_post(source: ScheduleSource, listing: Listing) -> bool:
    """A thread's last post changed: a new post, even one without an image link, is news
    that keeps the thread alive."""
    latest = listing.state.get("last_post_id")
    seen = (source.state or {}).get("last_post_id")
    return isinstance(latest, str) and bool(latest) and latest != seen


@dataclass
class Queued:
    jobs: list[Job]
    failed: int
    waiting_for_room: bool


def queue_room(session: Session, settings: Settings, owner: User) -> int:
    if owner.is_admin:
        return settings.scheduler.max_entries_per_run
    cap = settings.security.max_queued_jobs_per_user
    return max(0, cap - unfinished_jobs(session, owner.id))


def queue_backlog(session: Session, settings: Settings, schedule: Schedule, engine: str,
                  now: datetime) -> Queued:
    """Jobs for the newest pending items, up to max_items_per_run and the owner's room.

    An item counts for the schedule's platform (its download archive). It is downloaded by
    the engine its own link routes to (a feed's enclosure by the http engine, a channel's
    video by yt-dlp), except where only the listing engine can fetch it.
    """
    owner = session.get(User, schedule.owner_id)
    assert owner is not None  # schedules are deleted with their owner
    wanted = schedule.max_items_per_run or settings.scheduler.max_entries_per_run
    room = queue_room(session, settings, owner)
    items = backlog(session, schedule.id, min(wanted, room))
    rows, failed = _job_rows(session, settings, schedule, owner, items)
    for row in rows:
        row["platform"] = schedule.platform
        if engine in OWN_ENTRIES:
            row.update(engine=engine, kind=row.get("kind") or OWN_ENTRIES[engine])
    jobs = insert_jobs(session, rows)
    by_key = {job.entry_key: job for job in jobs}
    for item in items:
        job = by_key.get(item.item_key)
        if job is not None:
            mark_queued(item, job.id, now)
    more_waiting = bool(backlog(session, schedule.id, 1)) if room < wanted else False
    return Queued(jobs=jobs, failed=failed, waiting_for_room=more_waiting)


def _job_rows(session: Session, settings: Settings, schedule: Schedule, owner: User,
              items: list[ScheduleItem]) -> tuple[list[dict[str, object]], int]:
    position = next_position(session)
    rows: list[dict[str, object]] = []
    failed = 0
    for item in items:
        try:
            values = new_job_values(settings, owner, item.url, schedule.quality,
                                    schedule.priority, False, job_options(schedule, item),
                                    position + len(rows))
        except MediadlError as error:
            item.state, item.reason = ITEM_FAILED, error.detail
            failed += 1
            continue
        values.update(schedule_id=schedule.id, title=item.title, entry_key=item.item_key,
                      kind=item.kind)
        rows.append(values)
    return rows, failed


def is_watched_thread(schedule: Schedule, source: ScheduleSource | None) -> bool:
    """A forum thread (read as a thread, or as a gallery of image links) as opposed to a
    channel or profile: only threads come to an end."""
    state = source.state if source is not None else None
    return schedule.platform == FORUM or bool((state or {}).get("thread_url"))


def job_options(schedule: Schedule, item: ScheduleItem) -> dict[str, object]:
    """The schedule's options; an entry that is a collection (a playlist of a channel's
    playlists tab, a gallery) also gets the date range, which its engine applies to what
    it holds. A single item never does: it was dated (and filtered) here already, or its
    date is unknown, and an engine that skips it would fail the job for no file."""
    options: dict[str, object] = dict(schedule.options or {})
    if item.kind in COLLECTION_KINDS:
        if schedule.date_from:
            options["date_from"] = schedule.date_from.isoformat()
        if schedule.date_to:
            options["date_to"] = schedule.date_to.isoformat()
    return options


def expire_quiet_thread(settings: Settings, schedule: Schedule, source: ScheduleSource,
                        now: datetime, error: str | None = None) -> str | None:
    """Turn off a forum thread schedule that found no new post for thread_expiry_days (or
    could not be read at all for that long: a deleted thread); returns the reason shown on
    the schedule."""
    days = settings.scheduler.thread_expiry_days
    if days <= 0 or not is_watched_thread(schedule, source):
        return None
    if source.last_new_item_at is None or now - source.last_new_item_at < timedelta(days=days):
        return None
    if error is None:
        reason = (f"No new posts for {days} days, so the thread looks finished and the "
                  "schedule stopped itself. Enable it again to keep watching.")
    else:
        reason = (f"The thread has not been readable for {days} days (last error: {error}), "
                  "so it looks deleted and the schedule stopped itself. Enable it again to "
                  "keep watching.")
    schedule.enabled, schedule.disabled_reason, schedule.next_run_at = False, reason, None
    return reason


def expire_failing_thread(session: Session, settings: Settings, schedule: Schedule,
                          error: str, now: datetime) -> str | None:
    """After a failed run: a thread that keeps failing expires like a quiet one. Its clock
    starts at the first run, failed or not."""
    existing = session.get(ScheduleSource, schedule.id)
    if not is_watched_thread(schedule, existing):
        return None
    source = existing or source_of(session, schedule.id)
    if source.last_new_item_at is None:
        source.last_new_item_at = now
    return expire_quiet_thread(settings, schedule, source, now, error)


def finish_schedule(schedule: Schedule, run: ScheduleRun) -> None:
    schedule.last_run_at = run.started_at
    schedule.last_status = run.status


def prune_history(session: Session, schedule_id: int, keep: int) -> None:
    """Only the newest ``keep`` runs of a schedule stay in its history."""
    oldest_kept = session.scalar(
        select(ScheduleRun.id).where(ScheduleRun.schedule_id == schedule_id)
        .order_by(ScheduleRun.id.desc()).offset(keep - 1).limit(1))
    if oldest_kept is not None:
        session.execute(delete(ScheduleRun).where(
            ScheduleRun.schedule_id == schedule_id, ScheduleRun.id < oldest_kept,
            ScheduleRun.status != RUN_RUNNING))
