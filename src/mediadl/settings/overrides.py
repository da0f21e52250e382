"""Stored overrides applied to a process's live ``Settings`` object.

Every part of the app reads its settings from the one ``Settings`` object of its process
(the dispatcher's pool size, the outbound guard, the storage guard), so changing that object
is what makes a new value take effect without a restart. Each process re-reads the table
every few seconds, so a change made through one server reaches the others too; job
processes read it once when they start.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediadl.core.errors import InvalidPayload
from mediadl.core.settings import Settings
from mediadl.db.models.library_ops import RuntimeSetting
from mediadl.db.session import Database
from mediadl.logs.files import JsonLinesFileHandler
from mediadl.security import outbound
from mediadl.security.policy import guard_job_process
from mediadl.settings.fields import MANAGED, PATH_TO_FIELD, read_path, validate_value, write_path

log = logging.getLogger(__name__)
DAY_SECONDS = 24 * 3600


def stored_overrides(session: Session, settings: Settings) -> dict[str, Any]:
    """Settings path → checked value of every stored override; a value that no longer
    passes its checks (edited by hand, or a tightened limit) is skipped with a warning."""
    found: dict[str, Any] = {}
    for row in session.scalars(select(RuntimeSetting)):
        field = PATH_TO_FIELD.get(row.key)
        if field is None:
            continue
        try:
            found[row.key] = validate_value(settings, field, row.value)
        except InvalidPayload as error:
            log.warning("ignoring the stored setting %s: %s", field, error.detail)
    return found


def apply_stored_overrides(db: Database, settings: Settings) -> None:
    """For a process that starts with fresh settings (a job process): take the stored values."""
    with db.read() as session:
        overrides = stored_overrides(session, settings)
    for path, value in overrides.items():
        write_path(settings, path, value)


def apply_in_job_process(db: Database, settings: Settings) -> None:
    """At the start of a job: the stored values, and the outbound guard matching the
    current ``allow_private_networks`` (the process was started with the start-up value)."""
    apply_stored_overrides(db, settings)
    if settings.allow_private_networks:
        outbound.uninstall()
    else:
        guard_job_process(settings)


class OverrideTracker:
    """Applies overrides to a live Settings object and remembers the start-up value of each
    one it changed, so removing an override restores exactly that value."""

    def __init__(self) -> None:
        self._start_values: dict[str, Any] = {}
        self._lock = threading.Lock()

    def refresh(self, db: Database, settings: Settings) -> list[str]:
        with db.read() as session:
            overrides = stored_overrides(session, settings)
        return self.apply(settings, overrides)

    def apply(self, settings: Settings, overrides: dict[str, Any]) -> list[str]:
        """Make ``settings`` match ``overrides``; returns the API fields that changed."""
        changed = []
        with self._lock:
            for path in MANAGED.values():
                wanted = self._wanted(settings, path, overrides)
                if wanted is _KEEP or read_path(settings, path) == wanted:
                    continue
                write_path(settings, path, wanted)
                changed.append(PATH_TO_FIELD[path])
        if changed:
            apply_log_retention(settings)
        return changed

    def _wanted(self, settings: Settings, path: str, overrides: dict[str, Any]) -> Any:
        if path in overrides:
            self._start_values.setdefault(path, read_path(settings, path))
            return overrides[path]
        if path in self._start_values:
            return self._start_values.pop(path)
        return _KEEP


_KEEP = object()


def apply_log_retention(settings: Settings) -> None:
    """The log file handlers of this process take the current size and age limits."""
    logs = settings.logs
    for handler in logging.getLogger().handlers:
        if isinstance(handler, JsonLinesFileHandler):
            handler.maxBytes = logs.max_file_bytes
            handler.backupCount = logs.backup_count
            handler.max_age_seconds = logs.max_age_days * DAY_SECONDS
