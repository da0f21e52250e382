"""Composition root of ``mediadl worker``: a Celery worker that runs jobs on this host.

Each task wins its job's lease in the database, then runs the job in a process of its own
(the same job function as the local mode) under this host's supervisor, which keeps the
lease alive and kills the job's process group when the lease is taken away (cancel, pause).
Tasks run in threads: the work happens in the job processes.
"""

from __future__ import annotations

import logging
import threading

from celery import Celery
from celery.signals import worker_shutting_down

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings, prepare_data_dir
from mediadl.db.session import Database
from mediadl.jobs import leases
from mediadl.jobs.celery_app import PRIORITY_QUEUES, RUN_JOB, make_celery
from mediadl.jobs.shared_storage import verify_storage
from mediadl.jobs.supervisor import JobListener, JobSupervisor
from mediadl.realtime.bridge import JobEventBridge
from mediadl.realtime.factory import hub_from_settings

log = logging.getLogger(__name__)


class WorkerRuntime:
    def __init__(self, settings: Settings, db: Database,
                 listener: JobListener | None = None) -> None:
        self.settings = settings
        self.db = db
        self.listener = listener or (lambda _job_id, _message: None)
        self.supervisor = JobSupervisor(settings, db, listener)

    def run_job(self, job_id: int) -> str:
        with self.db.session() as session:
            claimed = leases.claim_job(session, job_id, utcnow(),
                                       self.settings.jobs.lease_seconds)
        if claimed is None:
            return "not claimable"  # a duplicate or stale hint: nothing to do
        job, token = claimed
        self.supervisor.run(job.id, token)
        self.listener(job.id, ("claimed",))
        self.supervisor.wait(job.id)
        return "ran"

    def shut_down_soon(self) -> None:
        """On SIGTERM: running jobs get the grace period, then are released for others."""
        threading.Thread(target=self.supervisor.stop, name="shutdown", daemon=True).start()


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


def job_events(settings: Settings, db: Database) -> JobEventBridge:
    """Progress and state changes of this worker's jobs, published over Redis so that every
    API process hands them to its WebSocket clients. Publishing needs no event loop."""
    bridge = JobEventBridge(db, hub_from_settings(settings),
                            settings.realtime.progress_interval_seconds)
    bridge.start()
    return bridge


def run_worker(settings: Settings, concurrency: int | None = None) -> None:
    db = Database(settings.resolved_database_url)
    app, runtime = build_worker(settings, listener=job_events(settings, db))
    runtime.supervisor.start()
    slots = concurrency or concurrency_for(settings)
    app.worker_main(["worker", "--pool", "threads", "--concurrency", str(slots),
                     "--queues", ",".join(PRIORITY_QUEUES), "--without-gossip",
                     "--without-mingle", "--loglevel", "INFO"])
