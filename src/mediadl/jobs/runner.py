"""The job function: runs one job in its own process, for every execution backend.

It verifies its lease, asks the engine for files, moves them into the library and writes the
outcome, every write fenced by the lease token. Progress goes to whoever started the process
through ``report`` (a pipe in the local backend).
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from mediadl.core.clock import utcnow
from mediadl.core.errors import MediadlError
from mediadl.core.settings import Settings
from mediadl.db.models import Job, User
from mediadl.db.session import Database, affected_rows
from mediadl.engines.base import (
    Engine,
    EngineError,
    Entry,
    FileWritten,
    Finished,
    ProbeResult,
    Progress,
    Started,
)
from mediadl.engines.registry import engine_named
from mediadl.jobs.leases import fenced, release_for_retry
from mediadl.jobs.options import fetch_options_for
from mediadl.jobs.progress import ProgressAccumulator, Throttle
from mediadl.jobs.retry import RetryPolicy
from mediadl.jobs.states import COMPLETED, FAILED, QUEUED, RUNNING
from mediadl.library.ingest import PreparedFile, ingest_file, prepare_file
from mediadl.library.storage import remove_quietly
from mediadl.media.urls import validate_media_url
from mediadl.platforms import archive
from mediadl.platforms.jobside import (
    archived_download_id,
    item_key,
    job_setup,
    new_entries,
    on_failure,
    on_success,
    record_listing,
)
from mediadl.platforms.probing import probe_with_fallback
from mediadl.security.policy import refuse_unsafe_url
from mediadl.security.quotas import unfinished_jobs
from mediadl.settings.overrides import apply_in_job_process

log = logging.getLogger(__name__)

Report = Callable[[tuple[Any, ...]], None]
MAX_NESTING = 3  # a channel of playlists of videos, and no deeper
QUICK_FILE_BYTES = 4 * 1024 * 1024  # up to this size, what a job is can wait for its next write


def job_dir_for(settings: Settings, job_id: int) -> Path:
    return settings.work_dir / f"job-{job_id}"


def retry_policy(settings: Settings) -> RetryPolicy:
    jobs = settings.jobs
    return RetryPolicy(jobs.max_attempts, jobs.backoff_base_seconds, jobs.backoff_max_seconds)


@dataclass
class JobRun:
    db: Database
    settings: Settings
    job_id: int
    token: str
    report: Report
    # What a probe without a request found: written with the job's next write, so a small
    # file costs one transaction less (``pending_values``).
    unrecorded: dict[str, Any] = field(default_factory=dict)

    def execute(self) -> str | None:
        """Run the job; returns its final status, or None when the lease was not ours."""
        apply_in_job_process(self.db, self.settings)  # settings changed since start-up
        job = self._load_held_job()
        if job is None:
            return None
        try:
            status = self._run(job)
        except EngineError as error:
            status = self._fail(job, error.message, error.transient, error.retry_after)
        except MediadlError as error:
            status = self._fail(job, error.detail, transient=False)
        except Exception as error:  # an engine bug must not loop or hang the slot
            log.exception("job %s crashed", job.id)
            status = self._fail(job, f"Unexpected error: {error}", transient=True)
        self.report(("done", status))
        return status

    def _load_held_job(self) -> Job | None:
        with self.db.read() as session:
            job = session.get(Job, self.job_id)
        if job is None or job.status != RUNNING or job.lease_owner != self.token:
            return None
        return job

    def _run(self, job: Job) -> str | None:
        # The platform's cookies are copied into the job folder for this run only.
        with job_setup(self.db, self.settings, job, job_dir_for(self.settings, job.id)) as setup:
            options = fetch_options_for(job, self.settings, setup)
            engine = engine_named(job.engine)
            if job.kind is None:
                probe, engine, asked = self._probe(job, engine, options)
                if probe.is_collection:
                    return self._expand(job, probe)
                self._record_probe(job, probe, write_now=asked)
            existing = self._archived(job)
            if existing is not None:
                return self._skip(job, existing)
            return self._fetch(job, engine, options)

    def _probe(self, job: Job, engine: Engine,
               options: Any) -> tuple[ProbeResult, Engine, bool]:
        """The engine's probe, or the platform's fallback engine's when the first finds
        nothing it can read (a page of images is no video page). An engine may know a job's
        link well enough without a request (``probe_for_job``, optional)."""
        for_job = getattr(engine, "probe_for_job", None)
        known = for_job(job.url) if for_job is not None else None
        if known is not None:
            return known, engine, False
        probe, used = probe_with_fallback(job.platform, engine, job.url, options)
        if used is not engine:
            with self.db.session() as session:
                session.execute(fenced(job.id, self.token).values(engine=used.name))
            job.engine = used.name
        return probe, used, True

    def _record_probe(self, job: Job, probe: ProbeResult, write_now: bool) -> None:
        """A probe that took a request is written at once (a slow download shows its title
        meanwhile); one from the link alone goes with the job's next write."""
        key = item_key(job, probe)  # the item's key in the download archive
        values = {"kind": probe.kind, "title": probe.title or job.title,
                  "source": probe.source or job.source, "entry_key": key}
        if write_now:
            with self.db.session() as session:
                session.execute(fenced(job.id, self.token).values(**values))
        else:
            self.unrecorded.update(values)
        job.kind = probe.kind
        job.title = probe.title or job.title
        job.source = probe.source or job.source
        job.entry_key = key

    def pending_values(self) -> dict[str, Any]:
        """What is still to be written about the job; cleared once a write committed
        (``written``)."""
        return dict(self.unrecorded)

    def written(self, values: dict[str, Any]) -> None:
        for key in values:
            self.unrecorded.pop(key, None)

    def _archived(self, job: Job) -> int | None:
        with self.db.read() as session:
            return archived_download_id(session, job, job.entry_key)

    def _fetch(self, job: Job, engine: Engine, options: Any) -> str | None:
        job_dir = job_dir_for(self.settings, job.id)
        job_dir.mkdir(parents=True, exist_ok=True)
        sink = _EventSink(self, job, job_dir)
        engine.fetch(job.url, job_dir, options, sink)
        if not sink.download_ids and sink.duplicates:
            return self._skip(job, sink.duplicates[0])
        if not sink.download_ids:
            raise EngineError("The source produced no file.", transient=False)
        total = sink.progress_total()
        return self._complete(job, {"total_bytes": total, "downloaded_bytes": total or 0},
                              sink.download_ids[0])

    def _expand(self, job: Job, probe: ProbeResult) -> str | None:
        depth = self._depth(job)
        if depth >= MAX_NESTING:
            raise EngineError("This collection is nested too deeply to expand.")
        with self.db.session() as session:
            # Entries already in the owner's download archive are not queued again.
            children = add_children(session, self.settings, job, replace(
                probe, entries=new_entries(session, job, probe)))
            record_listing(session, job, probe, children.added, utcnow())
        log.info("job %s expanded into %s new entries", job.id, children.added)
        self.report(("expanded", children.added))
        job.kind = probe.kind
        return self._complete(job, {"kind": probe.kind, "title": probe.title or job.title,
                                    "source": probe.source or job.source,
                                    "error": children.note})

    def _depth(self, job: Job) -> int:
        depth, parent_id = 0, job.parent_id
        with self.db.read() as session:
            while parent_id is not None and depth < MAX_NESTING:
                depth += 1
                parent_id = session.scalar(select(Job.parent_id).where(Job.id == parent_id))
        return depth

    def _skip(self, job: Job, download_id: int) -> str | None:
        """The item is in the owner's library already: completed with a note (not failed),
        and linked to that download instead of storing the file twice."""
        return self._complete(job, {"error": already_downloaded(download_id)}, download_id,
                              skipped=True)

    def _complete(self, job: Job, values: dict[str, Any], download_id: int | None = None,
                  skipped: bool = False) -> str | None:
        now = utcnow()
        completed = {**self.pending_values(), "status": COMPLETED, "finished_at": now,
                     "error": None, "lease_owner": None, "lease_expires_at": None,
                     "speed_bps": None, "eta_s": 0, "not_before": None, **values}
        with self.db.session() as session:
            done = affected_rows(session.execute(fenced(job.id, self.token).values(**completed)))
            if done:
                on_success(session, job, download_id, now, skipped)
        if done:
            shutil.rmtree(job_dir_for(self.settings, job.id), ignore_errors=True)
        return COMPLETED if done else None

    def _fail(self, job: Job, message: str, transient: bool,
              retry_after: float | None = None) -> str | None:
        message = _one_line(message)
        now = utcnow()
        with self.db.session() as session:
            self._write_pending(session, job)
            throttled_until = on_failure(session, self.settings, job, message, retry_after, now)
            if throttled_until is not None:
                status = self._wait_for_platform(session, job, message, throttled_until)
            elif transient:
                status = release_for_retry(session, job, self.token, message, now,
                                           retry_policy(self.settings), retry_after)
            else:
                done = affected_rows(session.execute(fenced(job.id, self.token).values(
                    status=FAILED, error=message, finished_at=now, lease_owner=None,
                    lease_expires_at=None, speed_bps=None, eta_s=None)))
                status = FAILED if done else None
        if status == FAILED:
            shutil.rmtree(job_dir_for(self.settings, job.id), ignore_errors=True)
        log.info("job %s: %s (%s)", job.id, status, message)
        return status

    def _write_pending(self, session: Session, job: Job) -> None:
        pending = self.pending_values()
        if pending:
            session.execute(fenced(job.id, self.token).values(**pending))
            self.written(pending)

    def _wait_for_platform(self, session: Session, job: Job, message: str,
                           until: datetime) -> str | None:
        """Rate-limited: back into the queue until the platform's pause ends, and this run
        does not count as an attempt (the platform refused, not the item)."""
        done = affected_rows(session.execute(fenced(job.id, self.token).values(
            status=QUEUED, not_before=until, error=message, attempts=Job.attempts - 1,
            lease_owner=None, lease_expires_at=None, speed_bps=None, eta_s=None)))
        return QUEUED if done else None


class _EventSink:
    """Receives engine events during a fetch."""

    def __init__(self, run: JobRun, job: Job, job_dir: Path) -> None:
        self.run, self.job, self.job_dir = run, job, job_dir
        self.download_ids: list[int] = []
        self.duplicates: list[int] = []  # library downloads with the same bytes
        self._accumulator = ProgressAccumulator()
        self._throttle = Throttle()
        self._last_total: int | None = None

    def __call__(self, event: object) -> None:
        if isinstance(event, Progress):
            self._on_progress(event)
        elif isinstance(event, FileWritten):
            self._on_file(event)
        elif isinstance(event, Started):
            self._on_started(event)
        elif isinstance(event, Finished):
            pass

    def progress_total(self) -> int | None:
        return self._last_total

    def _on_started(self, event: Started) -> None:
        # A download that takes a while shows what it is on the queue page meanwhile; a
        # small file's values wait for its next write, a moment later.
        values = self.run.pending_values() if _takes_a_while(event) else {}
        if event.title and event.title != self.job.title:
            values["title"] = self.job.title = event.title
        if values:
            with self.run.db.session() as session:
                session.execute(fenced(self.job.id, self.run.token).values(**values))
            self.run.written(values)
        self.run.report(("started", event.title, event.total_bytes, self.job.kind,
                         self.job.source))

    def _on_progress(self, event: Progress) -> None:
        progress = self._accumulator.add(event)
        self._last_total = progress.total_bytes
        finished = progress.total_bytes is not None and (
            progress.downloaded_bytes >= progress.total_bytes)
        if self._throttle.ready(force=finished):
            self.run.report(("progress", progress.downloaded_bytes, progress.total_bytes,
                             progress.speed_bps, progress.eta_s))

    def _on_file(self, event: FileWritten) -> None:
        # The slow part first, outside the transaction: SQLite has one write lock.
        prepared = prepare_file(self.run.settings, event, self.job_dir)
        with self.run.db.session() as session:
            written = self._hold_lease(session)
            download_id = self._record_file(session, event, prepared)
        self.run.written(written)
        if download_id is not None:
            self.download_ids.append(download_id)
            self.run.report(("file", download_id))

    def _hold_lease(self, session: Session) -> dict[str, Any]:
        """Fails unless the job is still ours; writes what was left to write about it."""
        values = self.run.pending_values() or {"updated_at": utcnow()}
        if not affected_rows(session.execute(
                fenced(self.job.id, self.run.token).values(**values))):
            raise EngineError("This job was taken over by another worker.", transient=False)
        return values

    def _record_file(self, session: Session, event: FileWritten,
                     prepared: PreparedFile) -> int | None:
        """The new download's id; None when the library has these bytes already."""
        same = archive.same_file_in_library(session, self.job.owner_id, prepared.sha256,
                                            prepared.size)
        if same is not None and same.job_id != self.job.id:
            remove_quietly(prepared.path)
            self.duplicates.append(same.id)
            return None
        return ingest_file(session, self.run.settings, self.job, event, prepared).id


def _takes_a_while(event: Started) -> bool:
    return event.total_bytes is None or event.total_bytes > QUICK_FILE_BYTES


@dataclass(frozen=True)
class Children:
    """What expanding a collection added; ``note`` says what it left out, and why."""

    added: int
    note: str | None = None


def add_children(session: Session, settings: Settings, parent: Job,
                 probe: ProbeResult) -> Children:
    """Insert one child job per entry not seen before under this parent whose link may be
    fetched, as many as the owner's queue cap leaves room for."""
    known = set(session.scalars(select(Job.entry_key).where(Job.parent_id == parent.id)))
    fresh: list[tuple[str, str, Entry]] = []
    unsafe = 0
    for entry in probe.entries:
        key = (entry.key or entry.url)[:512]
        url = _fetchable_url(settings, entry.url)
        unsafe += url is None
        if key not in known and url is not None:
            fresh.append((key, url, entry))
        known.add(key)
    room = _queue_room(session, settings, parent.owner_id)
    now = utcnow()
    rows = [_child_row(parent, probe, key, url, entry, now) for key, url, entry in fresh[:room]]
    if rows:
        session.execute(insert(Job), rows)
    return Children(len(rows), _children_note(settings, len(fresh) - len(rows), unsafe))


def _fetchable_url(settings: Settings, url: str) -> str | None:
    """The entry's link when enqueueing would take it (http(s), no blocked address)."""
    try:
        checked = validate_media_url(url)
        refuse_unsafe_url(settings, checked)
    except (ValueError, MediadlError):
        return None
    return checked


def _queue_room(session: Session, settings: Settings, owner_id: int) -> int:
    owner = session.get(User, owner_id)
    if owner is None:
        return 0
    if owner.is_admin:
        return sys.maxsize
    # The parent counts as unfinished now but is completed as soon as its children are in.
    waiting = unfinished_jobs(session, owner_id) - 1
    return max(0, settings.security.max_queued_jobs_per_user - waiting)


def _child_row(parent: Job, probe: ProbeResult, key: str, url: str, entry: Entry,
               now: datetime) -> dict[str, Any]:
    return {
        "owner_id": parent.owner_id, "parent_id": parent.id, "schedule_id": parent.schedule_id,
        "url": url, "platform": parent.platform, "engine": parent.engine,
        "title": entry.title, "source": probe.source or parent.source,
        "priority": parent.priority, "priority_rank": parent.priority_rank,
        "position": parent.position, "quality": parent.quality, "options": parent.options,
        "max_attempts": parent.max_attempts, "entry_key": key, "status": "queued",
        "created_at": now, "updated_at": now, "downloaded_bytes": 0,
        "attempts": 0, "cancel_requested": False,
    }


def _children_note(settings: Settings, left_out: int, unsafe: int) -> str | None:
    notes = []
    if left_out:
        notes.append(f"{left_out} entries were not added: you may have at most "
                     f"{settings.security.max_queued_jobs_per_user} unfinished jobs. Add the "
                     "link again once some have finished; entries already downloaded are "
                     "skipped.")
    if unsafe:
        notes.append(f"{unsafe} entries were skipped: their links cannot be downloaded.")
    return " ".join(notes) or None


def already_downloaded(download_id: int) -> str:
    """The note of a job that found its item in the library: a skip, not a failure."""
    if download_id:
        return f"Skipped: already downloaded (download {download_id} in your library)."
    return "Skipped: already downloaded."


def _one_line(message: str) -> str:
    first = " ".join(message.split())
    return first[:500] or "The download failed."
