"""What a request handler may reach: settings, the database and the job executor.

The composition roots (``main``, ``cli``) build one ``AppContext`` and put it on
``app.state.context``; feature routes get it through the dependencies below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from mediadl.core.settings import Settings
from mediadl.db.session import Database
from mediadl.monitoring.state import OpsState
from mediadl.realtime.hub import EventHub, MemoryHub


@dataclass
class AppContext:
    settings: Settings
    db: Database
    # Called after a transaction that made jobs runnable: wakes the dispatcher at once
    # instead of at its next poll. A hint only; the database stays the truth.
    wake_dispatcher: Callable[[], None] = field(default=lambda: None)
    # Called with a job id to stop it wherever it runs.
    cancel_job: Callable[[int], None] = field(default=lambda _job_id: None)
    # Live events for WebSocket clients; in-process unless the composition root says else.
    events: EventHub = field(default_factory=MemoryHub)
    # Runtime settings applied, storage guard findings, metrics, background loops.
    ops: OpsState = field(default_factory=OpsState)


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def get_settings_dep(context: Annotated[AppContext, Depends(get_context)]) -> Settings:
    return context.settings


def get_db(context: Annotated[AppContext, Depends(get_context)]) -> Database:
    return context.db


ContextDep = Annotated[AppContext, Depends(get_context)]
DatabaseDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
