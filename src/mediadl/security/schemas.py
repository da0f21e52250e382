"""Bodies of the activity log API."""

from __future__ import annotations

from typing import Any

from mediadl.core.clock import isoformat
from mediadl.core.schemas import ResponseModel
from mediadl.db.models.security import ActivityEntry


class ActivityOut(ResponseModel):
    id: int
    created_at: str
    user_id: int | None
    username: str | None
    action: str
    target: str | None
    client_address: str | None
    details: dict[str, Any]

    @classmethod
    def from_row(cls, row: ActivityEntry) -> ActivityOut:
        return cls(id=row.id, created_at=isoformat(row.created_at) or "", user_id=row.user_id,
                   username=row.username, action=row.action, target=row.target,
                   client_address=row.client_address, details=row.details or {})


class ActivityPage(ResponseModel):
    items: list[ActivityOut]
    total: int
    page: int
    page_size: int
