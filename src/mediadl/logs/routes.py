"""``/api/v1/logs``: the structured log, filtered and paged (newest first), downloadable as
JSON lines, and clearable by admins. An admin sees every record; a user sees the records
of their own jobs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from mediadl.app_context import DatabaseDep, SettingsDep
from mediadl.auth.deps import AdminUser, CurrentUser
from mediadl.core.clock import utcnow
from mediadl.core.errors import InvalidPayload
from mediadl.core.schemas import MAX_ID
from mediadl.db.models import Job, User
from mediadl.db.session import Database
from mediadl.library.schemas import parse_moment
from mediadl.logs.query import LogFilter, clear, page_of, records

router = APIRouter(prefix="/logs", tags=["logs"])
Level = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
MAX_RECORDS_PER_VIEW = 100_000


class LogPage(BaseModel):
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


class Cleared(BaseModel):
    removed: int = Field(description="Log records removed.")


def _moment(value: str | None, name: str, end_of_day: bool) -> datetime | None:
    if not value:
        return None
    try:
        return parse_moment(value, end_of_day=end_of_day)
    except ValueError as error:
        raise InvalidPayload(f"{name}: {error}.") from None


def log_filter(
    user: CurrentUser, db: DatabaseDep,
    level: Annotated[Level | None, Query(description="This level and above.")] = None,
    module: Annotated[str | None, Query(max_length=200, description="A logger, e.g. "
                                        "mediadl.jobs (its children too).")] = None,
    job_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the message.")] = None,
    since: Annotated[str | None, Query(description="ISO date or date-time.")] = None,
    until: Annotated[str | None, Query(description="ISO date or date-time.")] = None,
) -> LogFilter:
    return LogFilter(level=level, module=module or None, job_id=job_id, q=q or None,
                     since=_moment(since, "since", end_of_day=False),
                     until=_moment(until, "until", end_of_day=True),
                     jobs=None if user.is_admin else _own_jobs(db, user))


def _own_jobs(db: Database, user: User) -> frozenset[int]:
    with db.read() as session:
        return frozenset(session.scalars(select(Job.id).where(Job.owner_id == user.id)))


Filter = Annotated[LogFilter, Depends(log_filter)]


@router.get("", summary="Log records, newest first")
def list_logs(wanted: Filter, settings: SettingsDep,
              page: Annotated[int, Query(ge=1, le=100_000)] = 1,
              page_size: Annotated[int, Query(ge=1, le=1000)] = 100) -> LogPage:
    if page * page_size > MAX_RECORDS_PER_VIEW:
        raise InvalidPayload(f"page: at most the newest {MAX_RECORDS_PER_VIEW} records can be "
                             "paged through; narrow the filter or download the log.")
    items, total = page_of(settings.log_dir, wanted, page, page_size)
    return LogPage(items=items, total=total, page=page, page_size=page_size)


@router.get("/download", summary="The matching records as a JSON-lines file, oldest first",
            response_class=StreamingResponse)
def download_logs(wanted: Filter, settings: SettingsDep) -> StreamingResponse:
    def lines() -> Iterator[str]:
        for record in records(settings.log_dir, wanted):
            yield json.dumps(record, ensure_ascii=False) + "\n"

    name = f"mediadl-logs-{utcnow():%Y%m%d-%H%M%S}.jsonl"
    return StreamingResponse(lines(), media_type="application/x-ndjson",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.delete("", summary="Remove log records older than 'before' (all without it; admin)")
def clear_logs(_admin: AdminUser, settings: SettingsDep,
               before: Annotated[str | None, Query(description="ISO date or date-time.")] = None
               ) -> Cleared:
    return Cleared(removed=clear(settings.log_dir, _moment(before, "before", end_of_day=False)))
