"""The local execution backend: each job in its own process, forked from a warm template.

Processes come from a ``forkserver`` that has already imported yt-dlp and the engines, so a
job starts in milliseconds without paying an interpreter start-up; a process whose job ended
cleanly waits, idle, for the next job (ADR 0002).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from mediadl.core.settings import Settings
from mediadl.jobs.child import child_main, settings_payload
from mediadl.jobs.template import PRELOAD

log = logging.getLogger(__name__)


OnMessage = Callable[[int, tuple[Any, ...]], None]
OnExit = Callable[["RunningJob"], None]


@dataclass
class RunningJob:
    job_id: int
    token: str
    process: BaseProcess
    events: Connection
    control: Connection
    started: float = field(default_factory=time.monotonic)
    last_message: float = field(default_factory=time.monotonic)
    final_status: str | None = None
    reported_done: bool = False
    killed_reason: str | None = None

    @property
    def exitcode(self) -> int | None:
        return self.process.exitcode


@dataclass
class JobProcess:
    """A job process and the server's ends of its pipes; it runs one job at a time."""

    process: BaseProcess
    events: Connection  # job -> server: progress, logs, "done", "idle"
    control: Connection  # server -> job: the next job; closing it ends the process
    job: RunningJob | None = None
    idle_since: float = 0.0

    def running(self, job_id: int, token: str) -> RunningJob:
        self.job = RunningJob(job_id, token, self.process, self.events, self.control)
        return self.job


class LocalExecutor:
    def __init__(self, settings: Settings, on_message: OnMessage, on_exit: OnExit) -> None:
        self.settings = settings
        self._on_message = on_message
        self._on_exit = on_exit
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._payload = settings_payload(settings)
        self._running: dict[int, RunningJob] = {}
        self._idle: list[JobProcess] = []
        self._lock = threading.Lock()
        self._stopping = False  # no process is kept idle any more

    def warm_up(self) -> None:
        """Start the template process now, and a spare job process from it, so the first
        job after start-up waits neither for the template's imports nor for a fork."""
        forkserver.ensure_running()
        if self.settings.max_concurrent_downloads > 0:
            # The fork waits until the template has loaded: not on the server's start-up.
            threading.Thread(target=self._start_spare, name="job-process-spare",
                             daemon=True).start()

    def _start_spare(self) -> None:
        try:
            self._start_process(None)
        except (OSError, EOFError, ValueError):  # the server is stopping, or cannot fork
            log.warning("could not start a spare job process", exc_info=True)

    @property
    def capacity(self) -> int:
        with self._lock:
            return self.settings.max_concurrent_downloads - len(self._running)

    def running(self) -> list[RunningJob]:
        with self._lock:
            return list(self._running.values())

    def start(self, job_id: int, token: str) -> None:
        """Hand the job to an idle job process, or fork a new one from the template."""
        worker = self._take_idle()
        if worker is not None and self._assign(worker, job_id, token):
            return
        self._spawn(job_id, token)

    def _take_idle(self) -> JobProcess | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def _assign(self, worker: JobProcess, job_id: int, token: str) -> bool:
        job = worker.running(job_id, token)
        with self._lock:
            self._running[job_id] = job
        try:
            worker.control.send(("run", job_id, token))
        except OSError:  # it died while idle: its watcher cleans up, the job goes elsewhere
            with self._lock:
                self._running.pop(job_id, None)
            worker.job = None
            return False
        return True

    def _spawn(self, job_id: int, token: str) -> None:
        self._start_process((job_id, token))

    def _start_process(self, first_job: tuple[int, str] | None) -> None:
        """Fork a job process for ``first_job``, or an idle one when it is None."""
        name = f"mediadl-job-{first_job[0]}" if first_job else "mediadl-job-spare"
        events_out, events_in = self._context.Pipe(duplex=False)
        control_out, control_in = self._context.Pipe(duplex=False)
        process = self._context.Process(target=child_main, name=name, daemon=False,
                                        args=(first_job, self._payload, events_in, control_out))
        process.start()
        # Both sides set the group, so a kill sent right after start cannot miss it.
        with contextlib.suppress(PermissionError, ProcessLookupError):
            os.setpgid(process.pid or 0, process.pid or 0)
        events_in.close()
        control_out.close()
        worker = JobProcess(process, events_out, control_in)
        if first_job is not None:
            job = worker.running(*first_job)
            with self._lock:
                self._running[job.job_id] = job
        threading.Thread(target=self._watch, args=(worker,), name=f"job-process-{process.pid}",
                         daemon=True).start()

    def kill(self, job_id: int, reason: str = "canceled") -> bool:
        with self._lock:
            job = self._running.get(job_id)
        if job is None:
            return False
        job.killed_reason = job.killed_reason or reason
        _signal_group(job.process, signal.SIGKILL)
        return True

    def close_idle(self, idle_seconds: float = 0.0) -> None:
        """End the job processes idle for ``idle_seconds`` or longer."""
        now = time.monotonic()
        with self._lock:
            ending = [worker for worker in self._idle if now - worker.idle_since >= idle_seconds]
            self._idle = [worker for worker in self._idle if worker not in ending]
        for worker in ending:
            # The process sees its pipe close and ends its group (see child.py).
            with contextlib.suppress(OSError):
                worker.control.close()

    def stop_all(self, grace_seconds: float) -> None:
        """SIGTERM every job, wait a little, then SIGKILL what is left."""
        with self._lock:
            self._stopping = True
        self.close_idle()
        jobs = self.running()
        for job in jobs:
            job.killed_reason = "shutdown"
            _signal_group(job.process, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        for job in jobs:
            job.process.join(max(0.0, deadline - time.monotonic()))
            _signal_group(job.process, signal.SIGKILL)
        for job in jobs:
            job.process.join(5)

    def _watch(self, worker: JobProcess) -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                self._receive(worker, worker.events.recv())
        worker.process.join()
        # The whole group goes: an ffmpeg left behind by a crashed engine must not linger.
        _signal_group(worker.process, signal.SIGKILL)
        with self._lock:
            if worker in self._idle:
                self._idle.remove(worker)
            if worker.job is not None:
                self._running.pop(worker.job.job_id, None)
        for end in (worker.events, worker.control):
            with contextlib.suppress(OSError):
                end.close()
        if worker.job is not None:
            self._finish(worker.job)

    def _receive(self, worker: JobProcess, message: tuple[Any, ...]) -> None:
        job = worker.job
        if job is None:
            if message[0] == "idle":  # a spare, ready for its first job
                self._keep_idle(worker)
            return
        if message[0] == "idle":
            self._job_ended_idle(worker, job)
            return
        job.last_message = time.monotonic()
        if message[0] == "done":
            job.reported_done, job.final_status = True, message[1]
        self._on_message(job.job_id, message)

    def _job_ended_idle(self, worker: JobProcess, job: RunningJob) -> None:
        """The job is over and its process clean: keep the process for the next job, up to
        one per download slot, before anyone hears that a slot is free."""
        worker.job = None
        self._keep_idle(worker, ended_job=job.job_id)
        self._finish(job)

    def _keep_idle(self, worker: JobProcess, ended_job: int | None = None) -> None:
        worker.idle_since = time.monotonic()
        with self._lock:  # one step: a free slot is never seen before its idle process
            if ended_job is not None:
                self._running.pop(ended_job, None)
            kept = (not self._stopping
                    and len(self._idle) < self.settings.max_concurrent_downloads)
            if kept:
                self._idle.append(worker)
        if not kept:
            worker.control.close()

    def _finish(self, job: RunningJob) -> None:
        """The job has left ``_running``; the supervisor settles it."""
        try:
            self._on_exit(job)
        except Exception:
            log.exception("finishing job %s failed", job.job_id)


def _signal_group(process: BaseProcess, signum: int) -> None:
    if process.pid is None:
        return
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(process.pid, signum)
