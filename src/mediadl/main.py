"""Composition root of ``mediadl serve``: settings → database → dispatcher → app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import FastAPI

from mediadl.api.app import create_app
from mediadl.app_context import AppContext
from mediadl.core.settings import Settings, prepare_data_dir
from mediadl.db.migrate import upgrade
from mediadl.db.session import Database
from mediadl.jobs.dispatcher import Dispatcher
from mediadl.jobs.shared_storage import claim_storage
from mediadl.monitoring.background import attach_background
from mediadl.realtime.runtime import Realtime
from mediadl.schedules.runtime import attach_scheduler

log = logging.getLogger(__name__)


def build_app(settings: Settings, *, run_workers: bool = True) -> FastAPI:
    """The whole app: API plus, unless told otherwise, the in-process job dispatcher."""
    prepare_data_dir(settings)
    upgrade(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    realtime = Realtime(settings, db)
    context = AppContext(settings=settings, db=db, events=realtime.hub)
    _claim_library_storage(settings, db)
    dispatcher = job_backend(settings, db, realtime) if run_workers else None
    if dispatcher is not None:
        context.wake_dispatcher = dispatcher.wake
        context.cancel_job = dispatcher.cancel
    app = create_app(context)
    app.router.lifespan_context = _lifespan(dispatcher, db, realtime)
    attach_background(app, context, dispatcher)
    attach_scheduler(app, context)
    return app


class JobBackend(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def wake(self) -> None: ...
    def cancel(self, job_id: int) -> None: ...


def job_backend(settings: Settings, db: Database, realtime: Realtime) -> JobBackend:
    """Local job processes by default; broker hints to Celery workers when scaled out."""
    if settings.broker_url:
        from mediadl.jobs.celery_app import make_celery
        from mediadl.jobs.hints import HintDispatcher

        return HintDispatcher(settings, db, make_celery(settings))
    return Dispatcher(settings, db, listener=realtime.bridge)


def _claim_library_storage(settings: Settings, db: Database) -> None:
    with db.session() as session:
        claim_storage(session, settings)


def _lifespan(dispatcher: JobBackend | None, db: Database,  # type: ignore[no-untyped-def]
              realtime: Realtime):
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await realtime.start()
        if dispatcher is not None:
            dispatcher.start()
        try:
            yield
        finally:
            if dispatcher is not None:
                dispatcher.stop()
            await realtime.stop()
            db.dispose()

    return lifespan
