"""Which job a log record is about, without passing the id to every call.

Code that works for one job runs inside ``job_context(job_id)``; a job process, which
works for one job all its life, sets it once with ``set_process_job_id``. A record can
also name its job itself: ``log.info("...", extra={"job_id": 42})``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current_job: ContextVar[int | None] = ContextVar("mediadl_job_id", default=None)
_process_job: int | None = None


@contextmanager
def job_context(job_id: int) -> Iterator[None]:
    token = _current_job.set(job_id)
    try:
        yield
    finally:
        _current_job.reset(token)


def set_process_job_id(job_id: int | None) -> None:
    global _process_job
    _process_job = job_id


def current_job_id() -> int | None:
    job_id = _current_job.get()
    return job_id if job_id is not None else _process_job


class JobIdFilter(logging.Filter):
    """Gives every record a ``job_id`` attribute (None when no job is known)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "job_id", None) is None:
            record.job_id = current_job_id()
        return True
