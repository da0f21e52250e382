"""Composition root of ``mediadl worker``: a Celery worker that runs jobs on this host.

A message is a wake-up: the task claims the most urgent job it may run by the same rule as
the local dispatcher (``leases.claim_next``: priority and position, not before a retry's
backoff, platforms neither disabled, throttled nor at their limit, the per-user limit, and
no new job while storage is low), whatever job the message happened to name. A duplicate
or late message then simply finds nothing to claim. The job runs in a process of its own
under this host's supervisor, which keeps the lease alive and kills the job's process group
when the lease is taken away (cancel, pause). Tasks run in threads: the work happens in the
job processes.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import redis
from celery import Celery
from celery.signals import worker_shutting_down

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings, prepare_data_dir
from mediadl.db.session import Database
from mediadl.jobs import leases, presence
from mediadl.jobs.celery_app import PRIORITY_QUEUES, RUN_JOB, make_celery
from mediadl.jobs.shared_storage import verify_storage
from mediadl.jobs.supervisor import JobListener, JobSupervisor
from mediadl.logs.setup import InstalledLogging, install_logging
from mediadl.realtime.bridge import JobEventBridge
from mediadl.realtime.factory import hub_from_settings
from mediadl.realtime.hub import EventHub
from mediadl.realtime.messages import log_line
from mediadl.settings.overrides import OverrideTracker
from mediadl.storage.space import measure_room, remaining_bytes, running_jobs

log = logging.getLogger(__name__)
WORKER_NAME = f"{leases.HOST}:{os.getpid()}"


class StorageCheck:
    """The storage guard's rule for starting jobs, seen from a worker: the library is
    shared, so the worker measures the same room the server does."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self._checked_at = float("-inf")
        self._allows = True

    def allows_new_jobs(self) -> bool:
        if time.monotonic() - self._checked_at >= self.settings.storage.check_interval_seconds:
            self._allows = self._measure()
            self._checked_at = time.monotonic()
        return self._allows

    def _measure(self) -> bool:
        with self.db.read() as session:
            room = measure_room(session, self.settings)
            needed = sum(remaining_bytes(session, job, self.settings.work_dir)
                         for job in running_jobs(session))
        return room.room_bytes >= max(needed, room.reserve_bytes)


class WorkerRuntime:
    def __init__(self, settings: Settings, db: Database,
                 listener: JobListener | None = None) -> None:
        self.settings = settings
        self.db = db
        self.listener = listener or (lambda _job_id, _message: None)
        self.supervisor = JobSupervisor(settings, db, listener)
        self.storage = StorageCheck(settings, db)
        self._claim_lock = threading.Lock()

    def run_job(self, hinted_job_id: int) -> str:
        """One wake-up: claim by the common rule, run what was won, wait for it."""
        del hinted_job_id  # which job a hint names does not matter: it only wakes us
        claimed = self._claim()
        if claimed is None:
            return "not claimable"  # a duplicate, a stale hint, or nothing may run now
        job_id, token = claimed
        self.supervisor.run(job_id, token)
        self.listener(job_id, ("claimed",))
        self.supervisor.wait(job_id)
        return f"ran job {job_id}"

    def _claim(self) -> tuple[int, str] | None:
        # One claim at a time per process: the storage rule counts what runs already.
        with self._claim_lock:
            if not self.storage.allows_new_jobs():
                return None
            with self.db.session() as session:
                claimed = leases.claim_next(session, utcnow(), self.settings.jobs.lease_seconds,
                                            self.settings.security.max_running_jobs_per_user)
                return None if claimed is None else (claimed[0].id, claimed[1])

    def shut_down_soon(self) -> None:
        """On SIGTERM: running jobs get the grace period, then are released for others."""
        threading.Thread(target=self.supervisor.stop, name="shutdown", daemon=True).start()


class Presence(threading.Thread):
    """Every heartbeat: tell Redis this worker lives (for ``/health``) and take the
    settings an admin changed through the API (the per-user limit, say)."""

    def __init__(self, settings: Settings, db: Database, slots: int) -> None:
        super().__init__(name="presence", daemon=True)
        self.settings, self.db, self.slots = settings, db, slots
        self.client = redis.Redis.from_url(settings.broker_url or "", socket_timeout=5)
        self.overrides = OverrideTracker()
        self.stopping = threading.Event()

    def run(self) -> None:
        while True:
            self._beat()
            if self.stopping.wait(self.settings.jobs.heartbeat_seconds):
                break
        self._quietly(lambda: presence.forget(self.client, WORKER_NAME))

    def _beat(self) -> None:
        info = {"name": WORKER_NAME, "host": leases.HOST, "pid": os.getpid(),
                "slots": self.slots, "seen_at": utcnow().isoformat()}
        ttl = presence.key_ttl_seconds(self.settings.jobs.heartbeat_seconds)
        self._quietly(lambda: presence.beat(self.client, WORKER_NAME, info, ttl))
        self._quietly(lambda: self.overrides.refresh(self.db, self.settings))

    @staticmethod
    def _quietly(action) -> None:  # type: ignore[no-untyped-def]
        try:
            action()
        except Exception as error:  # Redis or the database away: the next beat retries
            log.warning("worker heartbeat: %s", error)


def concurrency_for(settings: Settings) -> int:
    return settings.celery.worker_concurrency or settings.max_concurrent_downloads


def build_worker(settings: Settings, listener: JobListener | None = None
                 ) -> tuple[Celery, WorkerRuntime]:
    prepare_data_dir(settings)
    db = Database(settings.resolved_database_url)
    with db.session() as session:
        verify_storage(session, settings)
    runtime = WorkerRuntime(settings, db, listener)
    app = make_celery(settings)
    app.task(name=RUN_JOB, acks_late=True, ignore_result=True)(runtime.run_job)
    worker_shutting_down.connect(lambda **_kwargs: runtime.shut_down_soon(), weak=False)
    return app, runtime


def job_events(settings: Settings, db: Database, hub: EventHub) -> JobEventBridge:
    """Progress and state changes of this worker's jobs, published over Redis so that every
    API process hands them to its WebSocket clients. Publishing needs no event loop."""
    bridge = JobEventBridge(db, hub, settings.realtime.progress_interval_seconds)
    bridge.start()
    return bridge


def worker_logging(settings: Settings, hub: EventHub) -> InstalledLogging:
    """This host's log file in the shared log folder, and every record (job logs
    included) published over Redis for ``/ws/logs``."""
    return install_logging(settings, lambda fields: hub.publish(log_line(fields)), worker=True)


def run_worker(settings: Settings, concurrency: int | None = None) -> None:
    prepare_data_dir(settings)
    hub = hub_from_settings(settings)
    installed = worker_logging(settings, hub)
    db = Database(settings.resolved_database_url)
    slots = concurrency or concurrency_for(settings)
    app, runtime = build_worker(settings, listener=job_events(settings, db, hub))
    runtime.supervisor.start()
    beats = Presence(settings, db, slots)
    beats.start()
    try:
        app.worker_main(["worker", "--pool", "threads", "--concurrency", str(slots),
                         "--queues", ",".join(PRIORITY_QUEUES), "--without-gossip",
                         "--without-mingle", "--loglevel", "INFO"])
    finally:
        beats.stopping.set()
        beats.join(5)
        installed.remove()
