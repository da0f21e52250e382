"""``/api/v1/stats/*``. A user sees its own figures; an admin everyone's, or one user's
with ``user_id``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from mediadl.app_context import ContextDep, DatabaseDep
from mediadl.auth.deps import CurrentUser
from mediadl.core.schemas import MAX_ID
from mediadl.stats import service
from mediadl.stats.schemas import (
    Overview,
    PlatformStats,
    SourceStats,
    StorageStats,
    Timeline,
    TimelineQuery,
)
from mediadl.stats.service import Scope
from mediadl.stats.storage import storage
from mediadl.storage.space import measure_room

router = APIRouter(prefix="/stats", tags=["stats"])
UserFilter = Annotated[int | None, Query(ge=1, le=MAX_ID,
                                         description="Admins: one user's figures only.")]


@router.get("/overview", summary="Downloads today/week/month, queue, success rate, storage")
def overview(user: CurrentUser, context: ContextDep, user_id: UserFilter = None) -> Overview:
    with context.db.read() as session:
        room = measure_room(session, context.settings)
        return service.overview(session, context.settings, Scope.for_user(user, user_id), room,
                                context.ops.storage.low)


@router.get("/timeline", summary="Downloads per day or week, per platform")
def timeline(user: CurrentUser, db: DatabaseDep,
             query: Annotated[TimelineQuery, Query()]) -> Timeline:
    with db.read() as session:
        return service.timeline(session, Scope.for_user(user, query.user_id), query)


@router.get("/platforms", summary="Downloads, bytes and job outcomes per platform")
def platforms(user: CurrentUser, db: DatabaseDep,
              user_id: UserFilter = None) -> list[PlatformStats]:
    with db.read() as session:
        return service.platforms(session, Scope.for_user(user, user_id))


@router.get("/sources", summary="The sources with the most downloads")
def sources(user: CurrentUser, db: DatabaseDep, user_id: UserFilter = None,
            platform: Annotated[str | None, Query(max_length=32)] = None,
            limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[SourceStats]:
    with db.read() as session:
        return service.sources(session, Scope.for_user(user, user_id), platform or None, limit)


@router.get("/storage", summary="Disk, limit, and usage per platform, kind and user")
def storage_stats(user: CurrentUser, context: ContextDep,
                  user_id: UserFilter = None) -> StorageStats:
    with context.db.read() as session:
        room = measure_room(session, context.settings)
        return storage(session, context.settings, Scope.for_user(user, user_id), room,
                       context.ops.storage.low)
