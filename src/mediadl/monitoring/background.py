"""The background loops of a server process, and starting them in the right order.

* ``runtime-settings``: applies settings changed through the API (by any server);
* ``storage-guard``: pauses and resumes downloads by free space and quota;
* ``notifications``: turns job outcomes into notifications and sends the outbox;
* ``cleanup``: applies the auto-cleanup policy when it is switched on;
* ``housekeeping``: forgets old notification events, refreshes SQLite's planner statistics.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from mediadl.app_context import AppContext
from mediadl.core.clock import utcnow
from mediadl.db.dialect import is_sqlite
from mediadl.monitoring.loops import PeriodicTask
from mediadl.notifications.tasks import forget_old_events, notification_round
from mediadl.storage import cleanup
from mediadl.storage.guard import StorageGuard

log = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 3600.0


def background_loops(context: AppContext) -> list[PeriodicTask]:
    settings = context.settings
    guard = StorageGuard(context, context.ops.storage)
    return [
        PeriodicTask("runtime-settings",
                     lambda: settings.monitoring.settings_refresh_seconds,
                     lambda: refresh_settings(context)),
        PeriodicTask("storage-guard", lambda: settings.storage.check_interval_seconds,
                     guard.check),
        PeriodicTask("notifications", lambda: settings.notifications.poll_seconds,
                     lambda: notification_round(context.db, settings,
                                                context.ops.metrics.observe)),
        PeriodicTask("cleanup", lambda: settings.storage.cleanup_interval_minutes * 60,
                     lambda: auto_cleanup(context)),
        PeriodicTask("housekeeping", lambda: HOUSEKEEPING_SECONDS,
                     lambda: housekeeping(context)),
    ]


def attach_background(app: FastAPI, context: AppContext, backend: object | None) -> None:
    """Run the loops with the app: started before the job backend (wrapped inside this
    lifespan) and stopped after it. A local dispatcher asks the storage guard before each
    claim, and the health check asks whether its thread is alive."""
    context.ops.loops = background_loops(context)
    if backend is not None and hasattr(backend, "admission"):
        backend.admission = context.ops.storage.allows_new_jobs
    alive = getattr(backend, "is_alive", None)
    if callable(alive):
        context.ops.liveness["dispatcher"] = alive
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[Any]:
        start_loops(context)
        try:
            async with inner(running) as state:
                yield state
        finally:
            stop_loops(context)

    app.router.lifespan_context = lifespan


def start_loops(context: AppContext) -> None:
    """Settings and the storage guard run once before anything else, so the queue starts
    with the current pool size and never starts a job the disk has no room for."""
    loops = context.ops.loops
    for loop in loops[:2]:
        loop.run_once()
    for loop in loops:
        loop.start()


def stop_loops(context: AppContext) -> None:
    for loop in context.ops.loops:
        loop.stop()


def refresh_settings(context: AppContext) -> None:
    if context.ops.overrides.refresh(context.db, context.settings):
        context.wake_dispatcher()


def auto_cleanup(context: AppContext) -> None:
    policy = cleanup.Policy.of(context.settings)
    if not context.settings.storage.cleanup_enabled or not policy.active:
        return
    deleted, freed = cleanup.run(context.db, context.settings, policy, utcnow())
    if deleted:
        log.info("auto-cleanup deleted %s downloads (%s bytes)", deleted, freed)


def housekeeping(context: AppContext) -> None:
    forget_old_events(context.db)
    if is_sqlite(context.db.url):
        with context.db.session() as session:
            # Keeps the query planner's statistics fit for a library that keeps growing.
            session.execute(text("PRAGMA optimize"))
