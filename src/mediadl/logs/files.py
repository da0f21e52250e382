"""The log file: JSON lines, rotated by size and at least daily, old files deleted."""

from __future__ import annotations

import logging
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path

from mediadl.logs.formatter import JsonLineFormatter

LOG_FILE_NAME = "mediadl.log"
DAY_SECONDS = 24 * 3600


class JsonLinesFileHandler(RotatingFileHandler):
    """``mediadl.log`` is the current file; ``mediadl.log.1`` … ``.N`` are older ones.

    A file is rotated when it reaches ``max_bytes`` or is a day old, so deleting rotated
    files older than ``max_age_days`` keeps no line much longer than that.
    """

    def __init__(self, path: Path, max_bytes: int, backup_count: int,
                 max_age_days: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8")
        self.max_age_seconds = max_age_days * DAY_SECONDS
        self._opened_at = time.time()
        self.setFormatter(JsonLineFormatter())
        self.prune()

    def shouldRollover(self, record: logging.LogRecord) -> int:
        if super().shouldRollover(record):
            return 1
        too_old = time.time() - self._opened_at >= DAY_SECONDS
        return int(too_old and self.stream is not None and self.stream.tell() > 0)

    def doRollover(self) -> None:
        super().doRollover()
        self._opened_at = time.time()
        self.prune()

    def prune(self) -> None:
        """Delete rotated files older than the age limit."""
        cutoff = time.time() - self.max_age_seconds
        base = Path(self.baseFilename)
        for rotated in base.parent.glob(base.name + ".*"):
            try:
                if rotated.stat().st_mtime < cutoff:
                    rotated.unlink()
            except FileNotFoundError:
                continue
