"""Installing the server's log handlers on the root logger, and removing them again (an
app built twice in one process, as tests do, must not write every line twice)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from mediadl.core.settings import Settings
from mediadl.logs.context import JobIdFilter
from mediadl.logs.files import LOG_FILE_NAME, JsonLinesFileHandler
from mediadl.logs.stream import LogStreamHandler, Publish

LEVELS = logging.getLevelNamesMapping()


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


def install_logging(settings: Settings, publish: Publish | None = None) -> InstalledLogging:
    """The JSON-lines file, and the ``/ws/logs`` stream when ``publish`` is given."""
    logs = settings.logs
    handlers: list[logging.Handler] = [JsonLinesFileHandler(
        settings.log_dir / LOG_FILE_NAME, logs.max_file_bytes, logs.backup_count,
        logs.max_age_days)]
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
