"""One log record as one JSON object: what the file holds and ``/ws/logs`` sends."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from mediadl.logs.context import current_job_id

_exception_formatter = logging.Formatter()


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "timestamp": _timestamp(record.created),
        "level": record.levelname,
        "module": record.name,
        "message": record.getMessage(),
    }
    job_id = getattr(record, "job_id", None) or current_job_id()
    if job_id is not None:
        fields["job_id"] = job_id
    if record.exc_info and not record.exc_text:
        record.exc_text = _exception_formatter.formatException(record.exc_info)
    if record.exc_text:
        fields["exception"] = record.exc_text
    fields["process"] = record.process
    return fields


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # ensure_ascii off: titles in any script stay readable in the file.
        return json.dumps(record_fields(record), ensure_ascii=False, default=str)


def _timestamp(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"
