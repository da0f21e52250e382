"""Request and response shapes of the scheduler (API.md, Scheduler)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from mediadl.core.schemas import RequestModel, ResponseModel
from mediadl.engines.base import Quality
from mediadl.jobs.states import Priority
from mediadl.media.urls import validate_media_url
from mediadl.queue.schemas import JobOptions
from mediadl.schedules.cron import CronError, check_cron, check_zone

MAX_ITEMS_PER_RUN = 10_000
RunStatus = Literal["running", "completed", "failed"]
ScheduleState = Literal["active", "running", "paused", "disabled"]


def _readable(check: Any) -> Any:
    """A validator whose ValueError reads as its own sentence, without pydantic's prefix."""

    def validate(value: str) -> str:
        try:
            return str(check(value))
        except CronError as error:
            raise PydanticCustomError("invalid_schedule", str(error)) from None

    return validate


MediaURL = Annotated[str, AfterValidator(validate_media_url)]
CronText = Annotated[str, Field(min_length=1, max_length=120),
                     AfterValidator(_readable(check_cron))]
ZoneName = Annotated[str, Field(min_length=1, max_length=64),
                     AfterValidator(_readable(check_zone))]
ContentType = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z_]*$")]


class _DateRange(RequestModel):
    date_from: date | None = None
    date_to: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> _DateRange:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise PydanticCustomError("date_range", "date_from must not be after date_to")
        return self


class ScheduleCreate(_DateRange):
    url: MediaURL
    name: str | None = Field(None, min_length=1, max_length=200)
    cron: CronText = "daily"
    timezone: ZoneName = "UTC"
    enabled: bool = True
    platform: str | None = Field(None, max_length=32)
    # null is taken as "the default" below, as the web client sends it for empty fields.
    content_types: list[ContentType] | None = Field(None, max_length=20)
    max_items_per_run: int | None = Field(None, ge=1, le=MAX_ITEMS_PER_RUN)
    quality: Quality | None = None
    priority: Priority | None = None
    options: JobOptions | None = None


class SchedulePatch(_DateRange):
    """Only the fields sent change; ``null`` clears the optional ones."""

    url: MediaURL | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    cron: CronText | None = None
    timezone: ZoneName | None = None
    enabled: bool | None = None
    platform: str | None = Field(None, max_length=32)
    content_types: list[ContentType] | None = Field(None, max_length=20)
    max_items_per_run: int | None = Field(None, ge=1, le=MAX_ITEMS_PER_RUN)
    quality: Quality | None = None
    priority: Priority | None = None
    options: JobOptions | None = None


class ScheduleOut(ResponseModel):
    id: int
    name: str
    url: str
    platform: str
    content_types: list[str]
    cron: str
    cron_expression: str
    timezone: str
    enabled: bool
    max_items_per_run: int | None
    date_from: date | None
    date_to: date | None
    quality: str
    priority: str
    options: dict[str, Any]
    last_run_at: str | None
    next_run_at: str | None
    last_status: str | None
    # Why the schedule is not running as planned: "active", "running", "paused" (its
    # platform is rate-limited, until paused_until) or "disabled".
    state: ScheduleState
    paused_until: str | None
    pause_reason: str | None
    disabled_reason: str | None
    owner_id: int
    created_at: str
    updated_at: str


class SchedulePage(ResponseModel):
    items: list[ScheduleOut]
    total: int
    page: int
    page_size: int


class RunOut(ResponseModel):
    id: int
    schedule_id: int
    trigger: str
    due_at: str | None
    started_at: str | None
    finished_at: str | None
    status: RunStatus
    found: int
    new: int
    queued: int
    failed: int
    not_modified: bool
    error: str | None
    duration_s: float | None


class RunPage(ResponseModel):
    items: list[RunOut]
    total: int
    page: int
    page_size: int
