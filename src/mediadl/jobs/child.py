"""The entry point of a job process.

The process leads its own process group, so cancelling a job kills yt-dlp, gallery-dl and
every ffmpeg they started with one signal. It also dies with its parent: when the pipe from
the server closes (the server was killed), the whole group is killed, so an orphan can never
keep writing after the server restarted and handed the job to someone else.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import threading
from multiprocessing.connection import Connection
from typing import Any

from mediadl.core.settings import Settings
from mediadl.db.session import Database
from mediadl.jobs.runner import JobRun
from mediadl.logs.jobs import configure_job_logging
from mediadl.security.policy import guard_job_process

PR_SET_NAME = 15


def settings_payload(settings: Settings) -> dict[str, Any]:
    payload = settings.model_dump(mode="json")
    payload["secret_key"] = settings.secret()
    return payload


def child_main(job_id: int, token: str, payload: dict[str, Any], events: Connection,
               control: Connection) -> None:
    with contextlib.suppress(PermissionError, ProcessLookupError):
        os.setpgid(0, 0)
    _name_process(f"mediadl-job-{job_id}")
    _die_with_parent(control)
    # Log records travel to the server with the job's id, like the job's own messages.
    send = configure_job_logging(job_id, events.send)
    settings = Settings(**payload)
    guard_job_process(settings)
    db = Database(settings.resolved_database_url)
    try:
        JobRun(db, settings, job_id, token, send).execute()
    finally:
        db.dispose()
        events.close()


def _name_process(name: str) -> None:
    """Shown by ps/top, so a person can tell which process runs which job."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def _die_with_parent(control: Connection) -> None:
    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                control.recv()
        os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
