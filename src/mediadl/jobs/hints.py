"""The server's dispatcher in the scaled-out mode: it runs no job itself.

A hint is a wake-up, not an order: the worker that receives one claims the most urgent
runnable job by the same rule as the local dispatcher (``leases.claim_next``). So the
dispatcher only keeps enough hints waiting in the broker: as many as there are jobs a
worker could claim now. It counts both each round and sends the difference - new jobs get
their hint, and hints lost with a broker restart (or swallowed by a worker that found
nothing it was allowed to run) are made good, while a backlog of ten thousand queued jobs
never turns into more than ten thousand waiting messages. It also re-queues jobs whose
worker stopped renewing its lease."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis
from celery import Celery
from sqlalchemy import select, update

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import Job
from mediadl.db.session import Database
from mediadl.jobs import leases
from mediadl.jobs.celery_app import PRIORITY_QUEUES, RUN_JOB, queue_for, waiting_hints

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
        self._broker = redis.Redis.from_url(settings.broker_url or "", socket_timeout=5)
        # Asked before each round: False sends no hint (storage is low).
        self.admission: Callable[[], bool] = lambda: True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="hints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        self._broker.close()

    def wake(self) -> None:
        self._wake.set()

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def cancel(self, job_id: int) -> None:
        """Nothing to send: the worker's next heartbeat finds its lease gone and kills the
        job's process group."""
        del job_id

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._sweep()
            try:
                while self.send_due_hints() == HINT_BATCH and not self._stopping.is_set():
                    pass
            except Exception as error:  # the broker or the database is away: next round
                log.warning("sending hints failed: %s", error)
            self._wake.wait(self.settings.jobs.poll_interval_seconds)
            self._wake.clear()

    def send_due_hints(self) -> int:
        """Top the broker up to one waiting hint per claimable job; returns hints sent."""
        if not self.admission():
            return 0
        missing = min(self.claimable_count() - waiting_hints(self._broker), HINT_BATCH)
        if missing <= 0:
            return 0
        jobs = self._jobs_to_hint(missing)
        sent = [job_id for job_id, priority in jobs if self._send(job_id, priority)]
        if sent:
            with self.db.session() as session:
                session.execute(update(Job).where(Job.id.in_(sent))
                                .values(hinted_at=utcnow(), updated_at=Job.updated_at))
        return len(sent)

    def claimable_count(self) -> int:
        with self.db.read() as session:
            return leases.claimable_count(session, utcnow(),
                                          self.settings.security.max_running_jobs_per_user)

    def _jobs_to_hint(self, count: int) -> list[tuple[int, str]]:
        """The most urgent claimable jobs, those never hinted first: a hint's queue is its
        job's priority class, so urgent work reaches a free worker first."""
        candidates = leases.claimable_jobs(utcnow(),
                                           self.settings.security.max_running_jobs_per_user)
        with self.db.read() as session:
            rows = session.execute(
                select(Job.id, Job.priority).where(Job.id.in_(candidates.subquery().select()))
                .order_by(Job.hinted_at.is_not(None), Job.priority_rank, Job.position, Job.id)
                .limit(count)).all()
        return [(job_id, priority) for job_id, priority in rows]

    def _send(self, job_id: int, priority: str) -> bool:
        queue = queue_for(priority)
        try:
            self.app.send_task(RUN_JOB, args=[job_id],
                               queue=queue if queue in PRIORITY_QUEUES else None)
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
