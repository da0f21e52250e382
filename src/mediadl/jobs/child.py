"""The entry point of a job process.

The process leads its own process group, so cancelling a job kills yt-dlp, gallery-dl and
every ffmpeg they started with one signal. It also dies with its parent: when the pipe from
the server closes (the server was killed), the whole group is killed, so an orphan can never
keep writing after the server restarted and handed the job to someone else.

A process that finished its job cleanly (no program or thread of the job left behind) tells
the server it is idle and may be given the next job over the same pipe (ADR 0002): small
files then skip the fork and reuse the process's database connection and compiled queries.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import signal
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from mediadl.core.settings import Settings
from mediadl.db.session import Database
from mediadl.jobs.runner import JobRun
from mediadl.logs.jobs import configure_job_logging
from mediadl.security.policy import guard_job_process

PR_SET_NAME = 15
IDLE = ("idle",)
IDLE_NAME = "mediadl-idle"

Assignment = tuple[int, str]  # (job id, lease token)


def settings_payload(settings: Settings) -> Settings:
    """The settings a job process gets: a snapshot, pickled whole, because building them
    again from values and the environment cost each small job a tenth of its time."""
    return settings.model_copy(deep=True)


def child_main(first_job: Assignment | None, settings: Settings, events: Connection,
               control: Connection) -> None:
    """Run ``first_job``, then the jobs the server hands over while this process is idle;
    without a first job the process starts idle (a spare, ready before any job comes)."""
    with contextlib.suppress(PermissionError, ProcessLookupError):
        os.setpgid(0, 0)
    assignments = _die_with_parent(control)
    guard_job_process(settings)
    baseline_threads = threading.active_count()
    db = Database(settings.resolved_database_url)
    # A process serves a bounded number of jobs, so what an extractor leaks never piles up.
    jobs_left = settings.jobs.jobs_per_process
    try:
        next_job = first_job
        while True:
            if next_job is None:
                _name_process(IDLE_NAME)
                events.send(IDLE)
                next_job = assignments.get()
            _run_job(db, settings, *next_job, events)
            jobs_left -= 1
            # Only offer to take a job this process will run: the server hands one over
            # as soon as it hears "idle".
            if jobs_left <= 0 or not _clean(baseline_threads):
                break
            next_job = None
    finally:
        db.dispose()
        events.close()


def _run_job(db: Database, settings: Settings, job_id: int, token: str,
             events: Connection) -> None:
    _name_process(f"mediadl-job-{job_id}")
    # Log records travel to the server with the job's id, like the job's own messages.
    send = configure_job_logging(job_id, events.send)
    # A copy: the job applies the stored setting overrides to it, and the next job must
    # start from the server's settings again.
    JobRun(db, settings.model_copy(deep=True), job_id, token, send).execute()


def _clean(baseline_threads: int) -> bool:
    """True when the job left no thread and no child process behind."""
    return threading.active_count() <= baseline_threads and not _child_processes()


def _child_processes() -> bool:
    """Whether any child process is left (unknown counts as yes: the process then ends)."""
    try:
        return any(path.read_text().strip()
                   for path in Path("/proc/self/task").glob("*/children"))
    except OSError:
        return True


def _load_libc() -> ctypes.CDLL | None:
    # The symbols the interpreter already has (its C library): no ldconfig run to find it.
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


LIBC = _load_libc()


def _name_process(name: str) -> None:
    """Shown by ps/top, so a person can tell which process runs which job."""
    with contextlib.suppress(OSError, AttributeError):
        if LIBC is not None:
            LIBC.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def _die_with_parent(control: Connection) -> queue.Queue[Assignment]:
    """Watch the server's pipe: it brings the next jobs, and its end kills the group."""
    assignments: queue.Queue[Assignment] = queue.Queue()

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                _, job_id, token = control.recv()
                assignments.put((job_id, token))
        os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    return assignments
