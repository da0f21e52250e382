"""Logging of job processes: their records travel to the server over the job's pipe, and
the server logs them as its own (file, ``/ws/logs``), with the job id on every line.

Only the server writes the log file, so rotation never races between processes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mediadl.logs.context import JobIdFilter, set_process_job_id
from mediadl.logs.formatter import record_fields

Send = Callable[[tuple[Any, ...]], None]
LEVELS = logging.getLevelNamesMapping()
LOG_MESSAGE = "log"


class PipeLogHandler(logging.Handler):
    def __init__(self, send: Send) -> None:
        super().__init__()
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._send((LOG_MESSAGE, record_fields(record)))
        except Exception:
            self.handleError(record)


def configure_job_logging(job_id: int, send: Send, level: int = logging.INFO) -> Send:
    """In a job process, before the job runs: every record goes to the server.

    Returns ``send`` guarded by a lock; the job must report through it too, since log
    records come from any thread and a pipe must not carry two messages at once.
    """
    lock = threading.Lock()

    def locked_send(message: tuple[Any, ...]) -> None:
        with lock:
            send(message)

    set_process_job_id(job_id)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = PipeLogHandler(locked_send)
    handler.addFilter(JobIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    return locked_send


def reemit(fields: dict[str, Any]) -> None:
    """On the server: log a job process's record as if it happened here."""
    level = LEVELS.get(str(fields.get("level")), logging.INFO)
    logger = logging.getLogger(str(fields.get("module") or "mediadl.jobs"))
    if not logger.isEnabledFor(level):
        return
    record = logger.makeRecord(logger.name, level, "(job process)", 0,
                               str(fields.get("message", "")), (), None,
                               extra={"job_id": fields.get("job_id")})
    record.created = _created(fields.get("timestamp"), record.created)
    record.process = fields.get("process") if isinstance(fields.get("process"), int) else None
    record.exc_text = fields.get("exception") or None
    logger.handle(record)


def _created(timestamp: object, default: float) -> float:
    if not isinstance(timestamp, str):
        return default
    try:
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return default
