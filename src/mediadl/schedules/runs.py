"""One run of a schedule: list the source, find what is new, queue up to
``max_items_per_run`` of it, and write the outcome into the history.

The listing (network) happens outside any transaction, in a process of its own; the
outcome is then written in one transaction fenced by the run still being ``running``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from mediadl.app_context import AppContext
from mediadl.core.clock import utcnow
from mediadl.core.errors import MediadlError
from mediadl.core.settings import Settings
from mediadl.db.models.schedules import Schedule, ScheduleRun, ScheduleSource
from mediadl.engines.base import EngineError, Listing, ListRequest
from mediadl.platforms import threads
from mediadl.realtime.events import Event
from mediadl.realtime.queue_news import added_events
from mediadl.schedules import record
from mediadl.schedules.claims import RUN_COMPLETED, RUN_FAILED
from mediadl.schedules.content import source_urls
from mediadl.schedules.events import record_run_notice
from mediadl.schedules.items import known_keys, remember, skip_filtered
from mediadl.schedules.sources import (
    Listed,
    ListingTask,
    identify,
    list_in_process,
    listing_options,
)
from mediadl.schedules.throttle import pause_site, throttle_after

log = logging.getLogger(__name__)

# What a lister puts in its state when its entries come newest first (see items).
NEWEST_FIRST = "newest_first"
ListSource = Callable[[Settings, ListingTask], Listed]
Clock = Callable[[], datetime]
MAX_ERROR_LENGTH = 500


@dataclass
class RunResult:
    """What to tell others once the outcome has committed."""

    live: list[Event] = field(default_factory=list)
    queued: int = 0


class RunExecutor:
    def __init__(self, context: AppContext, list_source: ListSource = list_in_process,
                 clock: Clock = utcnow) -> None:
        self.context = context
        self.settings = context.settings
        self.db = context.db
        self.list_source = list_source
        self.clock = clock

    def execute(self, run_id: int) -> None:
        """Never raises: whatever goes wrong ends up as the run's error."""
        try:
            result = self._run(run_id)
        except EngineError as error:
            result = self._record_failure(run_id, error.message, error)
        except MediadlError as error:
            result = self._record_failure(run_id, error.detail, None)
        except Exception as error:  # a bug must still end the run, not leave it running
            log.exception("schedule run %s crashed", run_id)
            result = self._record_failure(run_id, f"Unexpected error: {error}", None)
        self._publish(result)

    def _run(self, run_id: int) -> RunResult | None:
        task = self._task(run_id)
        if task is None:
            return None
        return self._record_listing(run_id, self.list_source(self.settings, task))

    def _task(self, run_id: int) -> ListingTask | None:
        with self.db.read() as session:
            run = session.get(ScheduleRun, run_id)
            schedule = session.get(Schedule, run.schedule_id) if run is not None else None
            if run is None or schedule is None or run.status != "running":
                return None
            source = session.get(ScheduleSource, schedule.id)
            resume = source.resume_url if source is not None else None
            # A thread read before by a download (not by this schedule) resumes there too.
            resume = resume or threads.resume_url(session, schedule.owner_id, schedule.url)
            request = self._request(source, known_keys(session, schedule.id), resume)
        source_kind = identify(schedule.url)
        parts = source_urls(schedule.platform, schedule.url, schedule.content_types or [])
        return ListingTask(source=source_kind, url=schedule.url,
                           options=listing_options(self.settings, source_kind), request=request,
                           parts=tuple(parts) if parts != [schedule.url] else ())

    def _request(self, source: ScheduleSource | None, keys: frozenset[str],
                 resume: str | None) -> ListRequest:
        limit = self.settings.scheduler.max_entries_per_run
        if source is None:
            return ListRequest(known_keys=keys, max_entries=limit, resume_url=resume)
        return ListRequest(known_keys=keys, max_entries=limit, etag=source.etag,
                           last_modified=source.last_modified, resume_url=resume,
                           state=dict(source.state or {}))

    def _record_listing(self, run_id: int, listed: Listed) -> RunResult | None:
        listing, now = listed.listing, self.clock()
        with self.db.session() as session:
            run = record.held_run(session, run_id)
            schedule = session.get(Schedule, run.schedule_id) if run is not None else None
            if run is None or schedule is None:
                return None
            new = remember(session, schedule, listing.entries, now,
                           newest_first=listing.state.get("order") == NEWEST_FIRST)
            source = record.source_of(session, schedule.id)
            record.update_source(source, listing, new, now)
            record.note_thread_read(session, schedule, listed, new, now)
            skip_filtered(session, schedule)
            queued = record.queue_backlog(session, self.settings, schedule, listed.engine, now)
            self._finish(run, listing, new, queued, now)
            record.finish_schedule(schedule, run)
            expired = record.expire_quiet_thread(self.settings, schedule, source, now)
            record.prune_history(session, schedule.id, self.settings.scheduler.history_runs_kept)
            notices = record_run_notice(session, schedule, run, expired)
            live = added_events(session, queued.jobs) + [n.as_event() for n in notices]
        return RunResult(live, len(queued.jobs))

    def _finish(self, run: ScheduleRun, listing: Listing, new: int, queued: record.Queued,
                now: datetime) -> None:
        run.status, run.finished_at = RUN_COMPLETED, now
        run.found, run.new, run.not_modified = listing.found, new, listing.not_modified
        run.queued, run.failed = len(queued.jobs), queued.failed
        if queued.waiting_for_room:
            run.error = ("Your queue is full; the remaining new items wait for a later run.")

    def _record_failure(self, run_id: int, message: str,
                        error: EngineError | None) -> RunResult | None:
        now = self.clock()
        with self.db.session() as session:
            run = record.held_run(session, run_id)
            schedule = session.get(Schedule, run.schedule_id) if run is not None else None
            if run is None or schedule is None:
                return None
            run.status, run.finished_at = RUN_FAILED, now
            run.error = " ".join(message.split())[:MAX_ERROR_LENGTH] or "The run failed."
            record.finish_schedule(schedule, run)
            pause = throttle_after(session, self.settings, schedule, error, now) if error else None
            if pause is not None:
                pause_site(session, schedule, pause)
            else:
                record.expire_failing_thread(session, self.settings, schedule, run.error, now)
            notices = record_run_notice(session, schedule, run, None)
        return RunResult([notice.as_event() for notice in notices])

    def _publish(self, result: RunResult | None) -> None:
        if result is None:
            return
        self.context.events.publish_all(result.live)
        if result.queued:
            self.context.wake_dispatcher()
