"""``/api/v1/activity``: the activity log, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from mediadl.app_context import DatabaseDep
from mediadl.auth.deps import AdminUser
from mediadl.core.schemas import MAX_ID
from mediadl.security.activity import ActivityQuery, list_entries
from mediadl.security.schemas import ActivityOut, ActivityPage

router = APIRouter(prefix="/activity", tags=["activity"])


def activity_query(
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ActivityQuery:
    return ActivityQuery(user_id, action, page, page_size)


@router.get("", response_model=ActivityPage, summary="Who did what, newest first (admin)")
def list_activity(_admin: AdminUser, db: DatabaseDep,
                  query: Annotated[ActivityQuery, Depends(activity_query)]) -> ActivityPage:
    with db.read() as session:
        entries, total = list_entries(session, query)
    return ActivityPage(items=[ActivityOut.from_row(entry) for entry in entries], total=total,
                        page=query.page, page_size=query.page_size)
