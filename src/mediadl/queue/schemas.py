"""Request and response shapes of the queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from mediadl.core.schemas import MAX_ID, RequestModel, ResponseModel
from mediadl.engines.base import Quality
from mediadl.jobs.states import Priority, Status
from mediadl.media.urls import validate_media_url

MediaURL = Annotated[str, AfterValidator(validate_media_url)]
MAX_BATCH = 10_000
ClearableStatus = Literal["completed", "failed", "canceled"]
# A start time further ahead is more likely a typo (a wrong year) than a plan.
LATEST_START = timedelta(days=366)


def start_time(value: datetime) -> datetime:
    """A start time as the database keeps it: naive UTC (a time without a zone is UTC)."""
    try:
        moment = value.astimezone(UTC) if value.tzinfo is not None else value
    except OverflowError as error:  # the zone pushes it past year 1 or 9999
        raise ValueError("the start time is out of range") from error
    moment = moment.replace(tzinfo=None)
    if moment - datetime.now(UTC).replace(tzinfo=None) > LATEST_START:
        raise ValueError("a start time is at most a year ahead")
    return moment


StartTime = Annotated[datetime, AfterValidator(start_time), Field(
    description="Start no earlier than this (ISO 8601; without a zone it is UTC). "
                "A time already past starts now.")]


class JobOptions(RequestModel):
    """The closed list of presets a person may choose; no engine flag ever passes."""

    audio_format: Literal["best", "mp3", "m4a", "opus", "flac", "wav"] | None = None
    container: Literal["auto", "mp4", "mkv", "webm"] | None = None
    subtitles: bool | None = None
    embed_metadata: bool | None = None
    embed_thumbnail: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class EnqueueRequest(RequestModel):
    url: MediaURL
    quality: Quality = "best"
    priority: Priority = "normal"
    paused: bool = False
    options: JobOptions = Field(default_factory=JobOptions)
    not_before: StartTime | None = None


class BatchRequest(RequestModel):
    urls: list[MediaURL] = Field(min_length=1, max_length=MAX_BATCH)
    quality: Quality = "best"
    priority: Priority = "normal"
    paused: bool = False
    options: JobOptions = Field(default_factory=JobOptions)
    not_before: StartTime | None = None


class JobPatch(RequestModel):
    priority: Priority | None = None
    paused: bool | None = None
    position: int | None = Field(None, ge=0, le=2**62)


class ClearRequest(RequestModel):
    statuses: list[ClearableStatus] = Field(
        default_factory=lambda: list[ClearableStatus](["completed"]), min_length=1)


class BulkRequest(RequestModel):
    action: Literal["delete", "retry", "pause", "resume", "priority"]
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=MAX_BATCH)
    priority: Priority | None = None

    @model_validator(mode="after")
    def priority_given_for_priority(self) -> Self:
        if self.action == "priority" and self.priority is None:
            raise ValueError("the 'priority' action needs the new 'priority'")
        return self


class ProgressOut(ResponseModel):
    percent: float | None
    downloaded_bytes: int
    total_bytes: int | None
    speed_bps: float | None
    eta_s: float | None


class JobOut(ResponseModel):
    id: int
    url: str
    platform: str
    engine: str
    kind: str | None
    title: str | None
    source: str | None
    status: Status
    priority: Priority
    position: int
    quality: str
    options: dict[str, Any]
    progress: ProgressOut
    attempts: int
    error: str | None
    not_before: str | None = Field(description="Not started before this time: the start "
                                   "time asked for, or the next attempt after a failure.")
    parent_id: int | None
    owner_id: int
    schedule_id: int | None
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None
    download_ids: list[int]


class JobPage(ResponseModel):
    items: list[JobOut]
    total: int
    page: int
    page_size: int


class BatchOut(ResponseModel):
    items: list[JobOut]


class QueueStats(ResponseModel):
    queued: int = 0
    paused: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0
    canceled: int = 0


class AffectedOut(ResponseModel):
    affected: int
