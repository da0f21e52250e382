"""The scheduler of an app: built by the composition root, whose lifespan runs its loop.

``attach_scheduler`` wraps the app's lifespan so the loop starts after everything else and
stops first. An app built without it (a test app) still gets a scheduler for "run now"
the first time one is needed, without a loop.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from mediadl.app_context import AppContext, get_context
from mediadl.schedules.scheduler import Scheduler

_lazy_lock = threading.Lock()


def attach_scheduler(app: FastAPI, context: AppContext) -> Scheduler:
    scheduler = Scheduler(context)
    app.state.scheduler = scheduler
    if context.settings.scheduler.enabled:
        app.router.lifespan_context = _with_loop(app.router.lifespan_context, scheduler)
    return scheduler


def _with_loop(inner: Any, scheduler: Scheduler) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with inner(app) as state:
            scheduler.start()
            try:
                yield state
            finally:
                scheduler.stop()

    return lifespan


def scheduler_of(request: Request) -> Scheduler:
    with _lazy_lock:
        scheduler = getattr(request.app.state, "scheduler", None)
        if scheduler is None:
            scheduler = Scheduler(get_context(request))
            request.app.state.scheduler = scheduler
    return scheduler


SchedulerDep = Annotated[Scheduler, Depends(scheduler_of)]
