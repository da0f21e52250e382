"""Supervises the job processes of one host: keeps their leases alive, writes their progress
into the database, kills the ones whose lease was taken away, and settles what a process
leaves unfinished. The local dispatcher and the Celery worker both run jobs through it."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import Job
from mediadl.db.session import Database
from mediadl.jobs import leases
from mediadl.jobs.local import LocalExecutor, RunningJob
from mediadl.jobs.runner import job_dir_for, retry_policy
from mediadl.jobs.states import ACTIVE_STATUSES, COMPLETED, FAILED, QUEUED, RUNNING

log = logging.getLogger(__name__)

# An idle job process is kept this long for the next job, then ends (its memory goes back).
IDLE_PROCESS_SECONDS = 30.0

JobListener = Callable[[int, tuple[Any, ...]], None]
# Outcomes after which the job process itself removed its folder (completed, failed) or
# kept it for the next attempt (queued): no need to ask the database what became of it.
SETTLED_BY_THE_JOB = frozenset({COMPLETED, FAILED, QUEUED})


class JobSupervisor:
    def __init__(self, settings: Settings, db: Database, listener: JobListener | None = None,
                 on_job_exit: Callable[[int], None] | None = None) -> None:
        self.settings = settings
        self.db = db
        self._listener = listener or (lambda _job_id, _message: None)
        self._on_job_exit = on_job_exit or (lambda _job_id: None)
        self.executor = LocalExecutor(settings, self._on_message, self._on_exit)
        self._stopping = threading.Event()
        self._progress: dict[int, tuple[Any, ...]] = {}
        self._progress_lock = threading.Lock()
        self._exited: dict[int, threading.Event] = {}
        # Leases won but whose process is still starting: they need renewing too.
        self._starting: dict[int, str] = {}
        self._heartbeat: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self.executor.warm_up()
        self._heartbeat = threading.Thread(target=self._heartbeat_loop, name="heartbeat",
                                           daemon=True)
        self._heartbeat.start()

    def stop(self) -> None:
        """Running jobs get ``cancel_grace_seconds`` to finish; the rest are released."""
        self._stopping.set()
        if self._heartbeat is not None:
            self._heartbeat.join(10)
        self.executor.stop_all(self.settings.jobs.cancel_grace_seconds)
        self._flush_progress()

    @property
    def capacity(self) -> int:
        return self.executor.capacity

    def run(self, job_id: int, token: str) -> None:
        """Start a job whose lease ``token`` this host has just won."""
        self._exited[job_id] = threading.Event()
        self._starting[job_id] = token
        try:
            self.executor.start(job_id, token)
        finally:
            self._starting.pop(job_id, None)

    def wait(self, job_id: int, timeout: float | None = None) -> bool:
        exited = self._exited.get(job_id)
        return exited.wait(timeout) if exited is not None else True

    def kill(self, job_id: int, reason: str = "canceled") -> None:
        self.executor.kill(job_id, reason)

    # -- while jobs run --------------------------------------------------------------
    def _heartbeat_loop(self) -> None:
        interval = min(self.settings.jobs.heartbeat_seconds, 1.0)
        last_renew = 0.0
        while not self._stopping.wait(interval):
            self._flush_progress()
            self.executor.close_idle(IDLE_PROCESS_SECONDS)
            if time.monotonic() - last_renew >= self.settings.jobs.heartbeat_seconds:
                self._renew_leases()
                last_renew = time.monotonic()

    def _renew_leases(self) -> None:
        running = self.executor.running()
        tokens = [job.token for job in running] + list(self._starting.values())
        if not tokens:
            return
        try:
            with self.db.session() as session:
                held = leases.renew(session, tokens, utcnow(), self.settings.jobs.lease_seconds)
        except Exception:
            log.exception("renewing leases failed")
            return
        stalled_before = time.monotonic() - self.settings.jobs.stall_timeout_seconds
        for job in running:
            if job.last_message < stalled_before:
                self.executor.kill(job.job_id, "stalled")
            if job.token not in held and not job.reported_done:
                # Canceled, paused or deleted meanwhile, maybe by another server process.
                self.executor.kill(job.job_id, "lease lost")

    def _on_message(self, job_id: int, message: tuple[Any, ...]) -> None:
        if message[0] == "progress":
            with self._progress_lock:
                self._progress[job_id] = message
        self._listener(job_id, message)

    def _flush_progress(self) -> None:
        with self._progress_lock:
            pending, self._progress = self._progress, {}
        if not pending:
            return
        tokens = {job.job_id: job.token for job in self.executor.running()}
        try:
            with self.db.session() as session:
                for job_id, (_, done, total, speed, eta) in pending.items():
                    session.execute(
                        update(Job)
                        .where(Job.id == job_id, Job.status == RUNNING,
                               Job.lease_owner == tokens.get(job_id, ""))
                        .values(downloaded_bytes=done, total_bytes=total, speed_bps=speed,
                                eta_s=eta))
        except Exception:
            log.exception("writing progress failed")

    # -- after a job process ended ---------------------------------------------------
    def _on_exit(self, job: RunningJob) -> None:
        try:
            if not job.reported_done:
                self._handle_unfinished(job)
            if job.final_status not in SETTLED_BY_THE_JOB:
                self._cleanup_if_finished(job.job_id)
            self._listener(job.job_id, ("exited", job.exitcode))
        finally:
            exited = self._exited.pop(job.job_id, None)
            if exited is not None:
                exited.set()
            self._on_job_exit(job.job_id)

    def _handle_unfinished(self, job: RunningJob) -> None:
        """The process ended without writing an outcome: a crash, a kill or a shutdown."""
        with self.db.session() as session:
            if job.killed_reason == "shutdown":
                leases.release_on_shutdown(session, job.job_id, job.token)
                return
            row = session.get(Job, job.job_id)
            if row is None or row.lease_owner != job.token:
                return
            leases.release_for_retry(session, row, job.token, _exit_reason(job), utcnow(),
                                     retry_policy(self.settings))

    def _cleanup_if_finished(self, job_id: int) -> None:
        with self.db.read() as session:
            status = session.scalar(select(Job.status).where(Job.id == job_id))
        if status is None or status not in ACTIVE_STATUSES:
            shutil.rmtree(job_dir_for(self.settings, job_id), ignore_errors=True)


def _exit_reason(job: RunningJob) -> str:
    if job.killed_reason == "stalled":
        return "The download made no progress for too long."
    return f"The worker process ended unexpectedly (exit code {job.exitcode})."
