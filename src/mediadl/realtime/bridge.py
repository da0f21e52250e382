"""From what job processes report to hub events.

The dispatcher calls the bridge from its threads for every message of a job process
(``claimed``, ``started``, ``progress``, ``expanded``, ``exited``, ``log``, ...). The
call only queues the message; the bridge's own thread reads the job rows it needs and
publishes, so neither a slow database nor the hub ever holds up a job's pipe. Progress
waiting in the queue is coalesced per job, and throttled to one message per interval.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from mediadl.db.models import Job
from mediadl.db.session import Database
from mediadl.jobs.states import COMPLETED, FAILED, QUEUED, RUNNING
from mediadl.logs.jobs import LOG_MESSAGE, reemit
from mediadl.queue.serialize import job_out
from mediadl.queue.service import download_ids_by_job
from mediadl.realtime.events import Event
from mediadl.realtime.hub import EventHub
from mediadl.realtime.messages import (
    QueueAction,
    download_progress,
    notification,
    queue_updated,
    resync,
)
from mediadl.realtime.queue_news import MAX_ITEM_EVENTS
from mediadl.realtime.throttle import ProgressThrottle

log = logging.getLogger(__name__)

Message = tuple[Any, ...]
_OUTCOMES: dict[str, QueueAction] = {COMPLETED: "completed", FAILED: "failed", QUEUED: "added"}


@dataclass
class _JobInfo:
    owner_id: int
    parent_id: int | None
    title: str | None
    item: dict[str, Any]  # the job as last announced


class _Inbox:
    """Messages in arrival order; a job's waiting progress is replaced by its newer value."""

    def __init__(self) -> None:
        self._items: OrderedDict[Hashable, tuple[int, Message]] = OrderedDict()
        self._sequence = itertools.count()
        self._ready = threading.Condition()
        self.closed = False

    def put(self, job_id: int, message: Message) -> None:
        key = ("progress", job_id) if message[0] == "progress" else next(self._sequence)
        with self._ready:
            self._items[key] = (job_id, message)
            self._ready.notify()

    def take(self, timeout: float | None) -> tuple[int, Message] | None:
        with self._ready:
            self._ready.wait_for(lambda: self._items or self.closed, timeout)
            return self._items.popitem(last=False)[1] if self._items else None

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._ready.notify_all()


class JobEventBridge:
    def __init__(self, db: Database, hub: EventHub, progress_interval: float = 0.25) -> None:
        self.db, self.hub = db, hub
        self._inbox = _Inbox()
        self._throttle: ProgressThrottle[Message] = ProgressThrottle(progress_interval)
        self._jobs: dict[int, _JobInfo] = {}
        self._thread: threading.Thread | None = None

    def __call__(self, job_id: int, message: Message) -> None:
        self._inbox.put(job_id, message)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="job-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._inbox.close()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while True:
            item = self._inbox.take(self._throttle.seconds_to_next())
            if item is None and self._inbox.closed:
                return
            try:
                if item is not None:
                    self._handle(*item)
                for job_id, message in self._throttle.due():
                    self._publish_progress(job_id, message)
            except Exception:
                log.exception("turning a job message into an event failed")

    # -- one message -----------------------------------------------------------------
    def _handle(self, job_id: int, message: Message) -> None:
        kind = message[0]
        if kind == "progress":
            self._on_progress(job_id, message)
        elif kind == "claimed":
            self._announce(job_id, "started", previous=QUEUED)
        elif kind == "started":
            self._on_started(job_id, message)
        elif kind == "expanded":
            self._on_expanded(job_id, int(message[1]))
        elif kind == "exited":
            self._on_exited(job_id)
        elif kind == LOG_MESSAGE and isinstance(message[1], dict):
            reemit(message[1])

    def _on_progress(self, job_id: int, message: Message) -> None:
        _, done, total, _, _ = message
        finished = total is not None and done >= total
        if self._throttle.offer(job_id, message, force=finished) is not None:
            self._publish_progress(job_id, message)

    def _publish_progress(self, job_id: int, message: Message) -> None:
        info = self._info(job_id)
        if info is None:
            return
        _, done, total, speed, eta = message
        self.hub.publish(download_progress(job_id, info.owner_id, done, total, speed, eta))

    def _on_started(self, job_id: int, message: Message) -> None:
        """The engine has a title now; tell clients if it is news. The job was announced
        moments ago; what changed since (title, kind, source) came with the message, so
        the row need not be read again."""
        info = self._jobs.get(job_id)
        _, title, _size, kind, source = (*message, None, None, None, None)[:5]
        if info is None:
            self._announce(job_id, "started", previous=RUNNING)
        elif title and title != info.title:
            news = {"title": title, "kind": kind or info.item.get("kind"),
                    "source": source or info.item.get("source")}
            info.title, info.item = title, {**info.item, **news}
            self.hub.publish(queue_updated("started", info.item, info.owner_id, RUNNING))

    def _on_expanded(self, job_id: int, added: int) -> None:
        info = self._info(job_id)
        if info is None:
            return
        self.hub.publish_all(self._children_added(job_id, info, added))
        if info.parent_id is None:
            self.hub.publish(notification(
                "info", "New entries found",
                f"{info.title or 'A collection'}: {added} new entries queued.", info.owner_id))

    def _on_exited(self, job_id: int) -> None:
        held = self._throttle.flush(job_id)
        if held is not None:
            self._publish_progress(job_id, held)
        self._throttle.forget(job_id)
        job = self._announce_outcome(job_id)
        self._jobs.pop(job_id, None)
        if job is not None and job.parent_id is None:
            self._notify_outcome(job)

    # -- events ----------------------------------------------------------------------
    def _announce(self, job_id: int, action: QueueAction, previous: str) -> Job | None:
        job, item = self._load(job_id)
        if job is None:
            return None
        self._jobs[job_id] = _JobInfo(job.owner_id, job.parent_id, job.title, item)
        self.hub.publish(queue_updated(action, item, job.owner_id, previous))
        return job

    def _announce_outcome(self, job_id: int) -> Job | None:
        """Completed, failed, or back in the queue for another attempt. Canceled and paused
        jobs were announced by whoever canceled or paused them."""
        job, item = self._load(job_id)
        if job is None or job.status not in _OUTCOMES:
            return None
        self.hub.publish(queue_updated(_OUTCOMES[job.status], item, job.owner_id, RUNNING))
        return job

    def _notify_outcome(self, job: Job) -> None:
        name = job.title or job.url
        if job.status == COMPLETED:
            self.hub.publish(notification("success", "Download finished", name, job.owner_id,
                                          event="download_completed"))
        elif job.status == FAILED:
            self.hub.publish(notification("error", "Download failed",
                                          f"{name}: {job.error or 'unknown error'}",
                                          job.owner_id, event="download_failed"))

    def _children_added(self, job_id: int, info: _JobInfo, added: int) -> list[Event]:
        if added > MAX_ITEM_EVENTS:
            return [resync(info.owner_id)]
        with self.db.read() as session:
            children = list(session.scalars(
                select(Job).where(Job.parent_id == job_id, Job.status == QUEUED)
                .order_by(Job.id.desc()).limit(added)))
        return [queue_updated("added", job_out(child, []).model_dump(mode="json"),
                              child.owner_id, None) for child in reversed(children)]

    # -- job rows --------------------------------------------------------------------
    def _info(self, job_id: int) -> _JobInfo | None:
        if job_id not in self._jobs:
            job, item = self._load(job_id)
            if job is None:
                return None
            self._jobs[job_id] = _JobInfo(job.owner_id, job.parent_id, job.title, item)
        return self._jobs[job_id]

    def _load(self, job_id: int) -> tuple[Job | None, dict[str, Any]]:
        with self.db.read() as session:
            job = session.get(Job, job_id)
            if job is None:
                return None, {}
            downloads = download_ids_by_job(session, [job_id])[job_id]
        return job, job_out(job, downloads).model_dump(mode="json")
