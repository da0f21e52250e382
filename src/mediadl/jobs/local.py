"""The local execution backend: each job in its own process, forked from a warm template.

Processes come from a ``forkserver`` that has already imported yt-dlp and the engines, so a
job starts in milliseconds without paying an interpreter start-up (ADR 0003).
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


class LocalExecutor:
    def __init__(self, settings: Settings, on_message: OnMessage, on_exit: OnExit) -> None:
        self.settings = settings
        self._on_message = on_message
        self._on_exit = on_exit
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._payload = settings_payload(settings)
        self._running: dict[int, RunningJob] = {}
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Start the template process now, so the first job does not wait for its imports."""
        forkserver.ensure_running()

    @property
    def capacity(self) -> int:
        with self._lock:
            return self.settings.max_concurrent_downloads - len(self._running)

    def running(self) -> list[RunningJob]:
        with self._lock:
            return list(self._running.values())

    def start(self, job_id: int, token: str) -> None:
        events_out, events_in = self._context.Pipe(duplex=False)
        control_out, control_in = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=child_main, name=f"mediadl-job-{job_id}", daemon=False,
            args=(job_id, token, self._payload, events_in, control_out))
        process.start()
        # Both sides set the group, so a kill sent right after start cannot miss it.
        with contextlib.suppress(PermissionError, ProcessLookupError):
            os.setpgid(process.pid or 0, process.pid or 0)
        events_in.close()
        control_out.close()
        job = RunningJob(job_id, token, process, events_out, control_in)
        with self._lock:
            self._running[job_id] = job
        threading.Thread(target=self._watch, args=(job,), name=f"job-{job_id}",
                         daemon=True).start()

    def kill(self, job_id: int, reason: str = "canceled") -> bool:
        with self._lock:
            job = self._running.get(job_id)
        if job is None:
            return False
        job.killed_reason = job.killed_reason or reason
        _signal_group(job.process, signal.SIGKILL)
        return True

    def stop_all(self, grace_seconds: float) -> None:
        """SIGTERM every job, wait a little, then SIGKILL what is left."""
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

    def _watch(self, job: RunningJob) -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                message = job.events.recv()
                job.last_message = time.monotonic()
                if message[0] == "done":
                    job.reported_done, job.final_status = True, message[1]
                self._on_message(job.job_id, message)
        job.process.join()
        # The whole group goes: an ffmpeg left behind by a crashed engine must not linger.
        _signal_group(job.process, signal.SIGKILL)
        job.events.close()
        job.control.close()
        with self._lock:
            self._running.pop(job.job_id, None)
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
