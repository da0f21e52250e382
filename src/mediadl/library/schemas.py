"""What the library endpoints read and answer (API.md, "Downloads")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mediadl.core.clock import isoformat
from mediadl.core.schemas import MAX_ID, Page, RequestModel, ResponseModel
from mediadl.db.models import Download

API_PREFIX = "/api/v1"
MAX_DB_INTEGER = 2**63 - 1
MAX_BULK_IDS = 1_000

Kind = Literal["video", "audio", "image", "file"]
SortField = Literal["created_at", "title", "size", "duration", "relevance"]
Order = Literal["asc", "desc"]
DownloadId = Annotated[int, Field(ge=1, le=MAX_ID)]

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A "+" of an unencoded UTC offset arrives as a space in a query string.
_SPACED_OFFSET = re.compile(r" (\d{2}:?\d{2})$")
MOMENT_HINT = "must be an ISO date (2026-11-21) or date-time (2026-11-21T10:30:00Z)"


class DownloadOut(ResponseModel):
    id: int
    job_id: int | None
    url: str
    platform: str
    source: str | None
    title: str | None
    description: str | None
    kind: str
    filename: str
    size: int
    sha256: str
    mime: str | None
    width: int | None
    height: int | None
    duration: float | None
    file_url: str
    thumbnail_url: str
    created_at: str | None
    metadata: dict[str, Any]

    @classmethod
    def from_row(cls, row: Download) -> DownloadOut:
        base = f"{API_PREFIX}/downloads/{row.id}"
        return cls(
            id=row.id, job_id=row.job_id, url=row.url, platform=row.platform,
            source=row.source, title=row.title, description=row.description, kind=row.kind,
            filename=row.filename, size=row.size, sha256=row.sha256, mime=row.mime,
            width=row.width, height=row.height, duration=row.duration,
            file_url=f"{base}/file", thumbnail_url=f"{base}/thumbnail",
            created_at=isoformat(row.created_at), metadata=row.extra or {},
        )


class DownloadPage(Page[DownloadOut]):
    total_exact: bool = Field(True, description="False when ``total`` is a lower bound: "
                              "matches are counted up to a limit in a very large library.")


class DownloadQuery(BaseModel):
    """The filters, order and page of ``GET /downloads`` (query parameters)."""

    # Unknown query parameters (cache busters, say) are ignored rather than refused.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    platform: str | None = Field(None, max_length=32)
    source: str | None = Field(None, max_length=255)
    kind: Kind | None = None
    q: str | None = Field(None, max_length=500, description="Words to find in title, "
                          "description, source and tags.")
    date_from: datetime | None = Field(None, description="Created at or after (ISO).")
    date_to: datetime | None = Field(None, description="Created at or before (ISO); a date "
                                     "alone includes that whole day.")
    min_size: int | None = Field(None, ge=0, le=MAX_DB_INTEGER)
    max_size: int | None = Field(None, ge=0, le=MAX_DB_INTEGER)
    sort: SortField | None = Field(None, description="Default: relevance with q, else "
                                   "created_at.")
    order: Order | None = Field(None, description="Default: asc for title, else desc.")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=200)

    @model_validator(mode="before")
    @classmethod
    def _blank_means_unset(cls, values: Any) -> Any:
        # "?platform=&kind=" from a form with empty inputs means "no filter".
        if isinstance(values, dict):
            return {key: value for key, value in values.items() if value != ""}
        return values

    @field_validator("date_from", mode="before")
    @classmethod
    def _parse_date_from(cls, value: Any) -> Any:
        return parse_moment(value, end_of_day=False) if isinstance(value, str) else value

    @field_validator("date_to", mode="before")
    @classmethod
    def _parse_date_to(cls, value: Any) -> Any:
        return parse_moment(value, end_of_day=True) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _ranges_in_order(self) -> DownloadQuery:
        if self.min_size is not None and self.max_size is not None \
                and self.min_size > self.max_size:
            raise ValueError("min_size must not be greater than max_size")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from must not be later than date_to")
        return self


def parse_moment(text: str, *, end_of_day: bool) -> datetime:
    """A naive UTC datetime from an ISO date or date-time; a bare date means the start of
    that day, or its very end for an upper bound."""
    text = _SPACED_OFFSET.sub(r"+\1", text.strip())
    try:
        if _DATE_ONLY.match(text):
            return datetime.combine(date.fromisoformat(text), time.max if end_of_day else time.min)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(MOMENT_HINT) from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


class BulkRequest(RequestModel):
    action: Literal["delete", "redownload"]
    ids: list[DownloadId] = Field(min_length=1, max_length=MAX_BULK_IDS)
    delete_file: bool = Field(False, description="With delete: remove the files too.")


class BulkResult(BaseModel):
    affected: int


class GroupStats(BaseModel):
    count: int
    size: int


class DownloadStats(BaseModel):
    count: int
    total_size: int
    by_kind: dict[str, GroupStats]
    by_platform: dict[str, GroupStats]


class DuplicateQuery(BaseModel):
    """``GET /downloads/duplicates``: which duplicates to list."""

    model_config = ConfigDict(extra="ignore")

    kind: Kind | None = Field(None, description="Only this kind (near duplicates exist for "
                              "pictures only).")
    similar: bool = Field(True, description="Also pictures that look alike (re-encoded, "
                          "resized); false lists exact duplicates only.")
    max_distance: int = Field(6, ge=0, le=12, description="Most differing bits (of 64) for "
                              "two pictures to count as the same picture.")
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=100)


class DuplicateGroup(BaseModel):
    kind: Literal["exact", "similar"] = Field(description="exact: the same bytes (stored "
                                              "once); similar: pictures that look alike.")
    max_distance: int
    total_size: int
    items: list[DownloadOut]


class DuplicatePage(Page[DuplicateGroup]):
    pass
