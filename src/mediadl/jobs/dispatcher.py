"""The local dispatcher: claims runnable jobs while this host has free slots and hands them
to the supervisor; re-queues what a dead worker left behind."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable

from sqlalchemy import select

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import Job
from mediadl.db.session import Database
from mediadl.jobs import leases
from mediadl.jobs.states import ACTIVE_STATUSES
from mediadl.jobs.supervisor import JobListener, JobSupervisor

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, settings: Settings, db: Database,
                 listener: JobListener | None = None) -> None:
        self.settings = settings
        self.db = db
        self._listener = listener or (lambda _job_id, _message: None)
        self.supervisor = JobSupervisor(settings, db, listener,
                                        on_job_exit=lambda _job_id: self.wake())
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # Asked before each claim: False stops the queue starting jobs (storage is low).
        self.admission: Callable[[], bool] = lambda: True

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self._recover()
        self.supervisor.start()
        self._thread = threading.Thread(target=self._claim_loop, name="dispatcher",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        self.supervisor.stop()

    def wake(self) -> None:
        self._wake.set()

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def cancel(self, job_id: int) -> None:
        self.supervisor.kill(job_id, "canceled")

    # -- claiming --------------------------------------------------------------------
    def _claim_loop(self) -> None:
        last_sweep = 0.0
        while not self._stopping.is_set():
            if time.monotonic() - last_sweep >= self.settings.jobs.sweep_interval_seconds:
                self._sweep()
                last_sweep = time.monotonic()
            self._fill_slots()
            self._wake.wait(self.settings.jobs.poll_interval_seconds)
            self._wake.clear()

    def _fill_slots(self) -> None:
        while self.supervisor.capacity > 0 and self.admission() \
                and not self._stopping.is_set():
            claimed = self._claim_one()
            if claimed is None:
                return
            self.supervisor.run(*claimed)
            # The job left the queue now; its process reports its first message later.
            self._listener(claimed[0], ("claimed",))

    def _claim_one(self) -> tuple[int, str] | None:
        try:
            with self.db.session() as session:
                claimed = leases.claim_next(
                    session, utcnow(), self.settings.jobs.lease_seconds,
                    self.settings.security.max_running_jobs_per_user)
                if claimed is None:
                    return None
                job, token = claimed
                return job.id, token
        except Exception:
            log.exception("claiming a job failed")
            return None

    def _sweep(self) -> None:
        try:
            with self.db.session() as session:
                requeued = leases.sweep_expired(session, utcnow())
        except Exception:
            log.exception("sweeping expired leases failed")
            return
        if requeued:
            log.warning("re-queued jobs with expired leases: %s", requeued)

    def _recover(self) -> None:
        with self.db.session() as session:
            reclaimed = leases.reclaim_dead_local_owners(session, utcnow())
            active = set(session.scalars(select(Job.id).where(Job.status.in_(ACTIVE_STATUSES))))
        if reclaimed:
            log.warning("re-queued jobs of a stopped server: %s", reclaimed)
        self._remove_stale_job_dirs(active)

    def _remove_stale_job_dirs(self, active: set[int]) -> None:
        """Partial files of jobs that are finished or gone: nobody will resume them."""
        for path in self.settings.work_dir.glob("job-*"):
            job_id = path.name.removeprefix("job-")
            if job_id.isdigit() and int(job_id) not in active:
                shutil.rmtree(path, ignore_errors=True)
