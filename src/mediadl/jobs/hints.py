"""The server's dispatcher in the scaled-out mode: it runs no job itself. It sends a broker
hint for every runnable job, sends it again when nobody claimed the job for a while (a
broker restart loses messages; the database does not), and re-queues jobs whose worker
stopped renewing its lease."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery import Celery
from sqlalchemy import or_, select, update

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import Job
from mediadl.db.session import Database
from mediadl.jobs import leases
from mediadl.jobs.celery_app import RUN_JOB, queue_for

log = logging.getLogger(__name__)
HINT_BATCH = 500


class HintDispatcher:
    def __init__(self, settings: Settings, db: Database, app: Celery) -> None:
        self.settings = settings
        self.db = db
        self.app = app
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="hints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def wake(self) -> None:
        self._wake.set()

    def cancel(self, job_id: int) -> None:
        """Nothing to send: the worker's next heartbeat finds its lease gone and kills the
        job's process group."""
        del job_id

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._sweep()
            while self.send_due_hints() == HINT_BATCH and not self._stopping.is_set():
                pass
            self._wake.wait(self.settings.jobs.poll_interval_seconds)
            self._wake.clear()

    def send_due_hints(self) -> int:
        now = utcnow()
        stale = now - timedelta(seconds=self.settings.celery.rehint_after_seconds)
        with self.db.read() as session:
            due = session.execute(
                select(Job.id, Job.priority).where(
                    Job.id.in_(leases.runnable_jobs(now).subquery().select()),
                    # Never hinted, hinted long ago (lost with a broker restart?), or
                    # queued again since (a retry, a resume) after its last hint.
                    or_(Job.hinted_at.is_(None), Job.hinted_at < stale,
                        Job.hinted_at < Job.updated_at))
                .order_by(Job.priority_rank, Job.position, Job.id).limit(HINT_BATCH)).all()
        sent = [job_id for job_id, priority in due if self._send(job_id, priority)]
        if sent:
            with self.db.session() as session:
                session.execute(update(Job).where(Job.id.in_(sent))
                                .values(hinted_at=now, updated_at=Job.updated_at))
        return len(sent)

    def _send(self, job_id: int, priority: str) -> bool:
        try:
            self.app.send_task(RUN_JOB, args=[job_id], queue=queue_for(priority))
        except Exception as error:  # the broker is down: the database keeps the job
            log.warning("could not send the hint for job %s: %s", job_id, error)
            return False
        return True

    def _sweep(self) -> None:
        try:
            with self.db.session() as session:
                requeued = leases.sweep_expired(session, utcnow())
        except Exception:
            log.exception("sweeping expired leases failed")
            return
        if requeued:
            log.warning("re-queued jobs with expired leases: %s", requeued)
