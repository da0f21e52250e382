"""Reading the JSON-lines log files back: filter, page, download, clear.

The files are ``mediadl.log`` (current) and ``mediadl.log.1`` … ``.N`` (older), and the
same for each worker host's ``mediadl-worker-<host>.log``; they are merged by time. One JSON
object per line (``timestamp``, ``level``, ``module``, ``message``, ``job_id``,
``exception``). They are read as streams, never whole, so memory stays small however big
the files are; a file that lies entirely outside the time range is skipped unread.
"""

from __future__ import annotations

import heapq
import json
import logging
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediadl.logs.files import LOG_FILE_NAME, JsonLinesFileHandler
from mediadl.logs.setup import WORKER_LOG_PATTERN

LEVELS = logging.getLevelNamesMapping()


@dataclass(frozen=True)
class LogFilter:
    level: str | None = None  # this level and above
    module: str | None = None  # this logger and its children
    job_id: int | None = None
    q: str | None = None  # words in the message or exception, any case
    since: datetime | None = None
    until: datetime | None = None
    jobs: frozenset[int] | None = None  # only records of these jobs (a user's view)

    def accepts(self, record: dict[str, Any]) -> bool:
        checks: tuple[Callable[[dict[str, Any]], bool], ...] = (
            self._level_ok, self._module_ok, self._job_ok, self._text_ok, self._time_ok)
        return all(check(record) for check in checks)

    def _level_ok(self, record: dict[str, Any]) -> bool:
        if self.level is None:
            return True
        return LEVELS.get(str(record.get("level")), 0) >= LEVELS[self.level]

    def _module_ok(self, record: dict[str, Any]) -> bool:
        module = str(record.get("module") or "")
        return self.module is None or module == self.module or \
            module.startswith(self.module + ".")

    def _job_ok(self, record: dict[str, Any]) -> bool:
        job = record.get("job_id")
        if self.job_id is not None and job != self.job_id:
            return False
        return self.jobs is None or job in self.jobs

    def _text_ok(self, record: dict[str, Any]) -> bool:
        if not self.q:
            return True
        text = f"{record.get('message', '')}\n{record.get('exception', '')}".casefold()
        return self.q.casefold() in text

    def _time_ok(self, record: dict[str, Any]) -> bool:
        if self.since is None and self.until is None:
            return True
        moment = record_time(record)
        if moment is None:
            return False
        return (self.since is None or moment >= self.since) and \
            (self.until is None or moment <= self.until)


def record_time(record: dict[str, Any]) -> datetime | None:
    """The record's time as naive UTC."""
    stamp = record.get("timestamp")
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def log_files(log_dir: Path) -> list[Path]:
    return [path for stream in log_streams(log_dir) for path in stream]


def log_streams(log_dir: Path) -> list[list[Path]]:
    """The server's files, then each worker host's; every stream oldest first."""
    workers = sorted(path.name for path in log_dir.glob(WORKER_LOG_PATTERN))
    return [_stream_files(log_dir, name) for name in (LOG_FILE_NAME, *workers)]


def _stream_files(log_dir: Path, name: str) -> list[Path]:
    """Oldest first: ``name.N`` … ``name.1``, then ``name``."""
    rotated = [path for path in log_dir.glob(name + ".*")
               if path.suffix.lstrip(".").isdigit()]
    rotated.sort(key=lambda path: int(path.suffix.lstrip(".")), reverse=True)
    current = log_dir / name
    return [*rotated, current] if current.exists() else rotated


def records(log_dir: Path, wanted: LogFilter) -> Iterator[dict[str, Any]]:
    """Matching records, oldest first, the hosts' streams merged by time."""
    streams = [_stream_records(files, wanted) for files in log_streams(log_dir)]
    return heapq.merge(*streams, key=_merge_key)


def _stream_records(files: list[Path], wanted: LogFilter) -> Iterator[dict[str, Any]]:
    for path in files:
        if _file_outside(path, wanted):
            continue
        for record in _read(path):
            if wanted.accepts(record):
                yield record


def _merge_key(record: dict[str, Any]) -> datetime:
    return record_time(record) or datetime.min


def page_of(log_dir: Path, wanted: LogFilter, page: int,
            page_size: int) -> tuple[list[dict[str, Any]], int]:
    """(newest-first page, number of matches). Keeps only the records up to that page."""
    skip = (page - 1) * page_size
    newest: deque[dict[str, Any]] = deque(maxlen=skip + page_size)
    total = 0
    for record in records(log_dir, wanted):
        newest.append(record)
        total += 1
    ordered = list(reversed(newest))
    return ordered[skip:skip + page_size], total


def _read(path: Path) -> Iterator[dict[str, Any]]:
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:  # rotated away meanwhile
        return
    with handle:
        for line in handle:
            record = _parse(line)
            if record is not None:
                yield record


def _parse(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _file_outside(path: Path, wanted: LogFilter) -> bool:
    """A file last written before ``since`` holds nothing newer."""
    if wanted.since is None:
        return False
    try:
        written = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    except FileNotFoundError:
        return True
    return written < wanted.since


# --- clearing --------------------------------------------------------------------------------

def clear(log_dir: Path, before: datetime | None) -> int:
    """Remove records older than ``before`` (all of them without it); returns how many."""
    removed = 0
    with _writer_paused(log_dir) as reopen:
        for path in log_files(log_dir):
            removed += _drop_old_lines(path, before)
        reopen()
    return removed


def _drop_old_lines(path: Path, before: datetime | None) -> int:
    kept: list[str] = []
    removed = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            record = _parse(line)
            moment = record_time(record) if record is not None else None
            # Lines without a readable time cannot be shown or dated: they go too.
            if before is not None and moment is not None and moment >= before:
                kept.append(line)
            else:
                removed += 1
    if removed:
        _replace(path, kept)
    return removed


def _replace(path: Path, lines: list[str]) -> None:
    if not lines and path.suffix != ".log":  # a rotated file; current ones stay
        path.unlink(missing_ok=True)
        return
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".clear-")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.writelines(lines)
    os.replace(temporary, path)


@contextmanager
def _writer_paused(log_dir: Path) -> Iterator[Callable[[], None]]:
    """Hold the log handlers of this process that write into ``log_dir`` (no line is
    written or rotated meanwhile); ``reopen`` makes them write to the new current file."""
    handlers = [handler for handler in logging.getLogger().handlers
                if isinstance(handler, JsonLinesFileHandler)
                and Path(handler.baseFilename).resolve().parent == log_dir.resolve()]
    for handler in handlers:
        handler.acquire()

    def reopen() -> None:
        for handler in handlers:
            stream, handler.stream = handler.stream, None  # reopened by the next record
            if stream is not None:
                stream.close()

    try:
        yield reopen
    finally:
        for handler in handlers:
            handler.release()
