"""Installing the log handlers of a server or a worker on the root logger, and removing
them again (an app built twice in one process, as tests do, must not write every line
twice).

The server writes ``mediadl.log``; a Celery worker writes ``mediadl-worker-<host>.log`` in
the same (shared) folder, so the API's log query reads every host's lines.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field

from mediadl.core.settings import Settings
from mediadl.logs.context import JobIdFilter
from mediadl.logs.files import LOG_FILE_NAME, JsonLinesFileHandler
from mediadl.logs.stream import LogStreamHandler, Publish

LEVELS = logging.getLevelNamesMapping()
WORKER_LOG_PATTERN = "mediadl-worker-*.log"


def worker_log_name(host: str | None = None) -> str:
    """One file per worker host; worker processes of one host append to the same file."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in host or socket.gethostname())
    return WORKER_LOG_PATTERN.replace("*", name)


class SharedLogFileHandler(JsonLinesFileHandler):
    """A log file other processes may replace (another worker process of this host
    rotating it, the server clearing the logs): reopened when the path names a new file."""

    def emit(self, record: logging.LogRecord) -> None:
        stream = self.stream
        if stream is not None and _replaced(self.baseFilename, stream.fileno()):
            stream.close()
            self.stream = None
        super().emit(record)


def _replaced(path: str, descriptor: int) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return True
    opened = os.fstat(descriptor)
    return (on_disk.st_dev, on_disk.st_ino) != (opened.st_dev, opened.st_ino)


@dataclass
class InstalledLogging:
    handlers: list[logging.Handler] = field(default_factory=list)
    previous_level: int = logging.WARNING

    def remove(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(self.previous_level)
        self.handlers = []


def install_logging(settings: Settings, publish: Publish | None = None, *,
                    worker: bool = False) -> InstalledLogging:
    """The JSON-lines file (the worker's own file with ``worker``), and the ``/ws/logs``
    stream when ``publish`` is given."""
    logs = settings.logs
    file_class, name = ((SharedLogFileHandler, worker_log_name()) if worker
                        else (JsonLinesFileHandler, LOG_FILE_NAME))
    handlers: list[logging.Handler] = [file_class(
        settings.log_dir / name, logs.max_file_bytes, logs.backup_count, logs.max_age_days)]
    handlers[0].setLevel(LEVELS[logs.level])
    if publish is not None:
        handlers.append(LogStreamHandler(publish, LEVELS[logs.stream_level]))
    root = logging.getLogger()
    installed = InstalledLogging(handlers, root.level)
    for handler in handlers:
        handler.addFilter(JobIdFilter())
        root.addHandler(handler)
    lowest = min(handler.level for handler in handlers)
    if root.level == logging.NOTSET or root.level > lowest:
        root.setLevel(lowest)
    return installed
