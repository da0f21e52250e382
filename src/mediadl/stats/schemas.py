"""What ``/api/v1/stats/*`` answers. Sizes are bytes; days are UTC."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mediadl.core.schemas import MAX_ID

Interval = Literal["day", "week"]
MAX_DAYS = 3660


class Totals(BaseModel):
    downloads: int = 0
    bytes: int = 0


class PeriodTotals(BaseModel):
    today: Totals
    week: Totals = Field(description="The last 7 days, today included.")
    month: Totals = Field(description="The last 30 days, today included.")
    total: Totals


class QueueCounts(BaseModel):
    queued: int = 0
    paused: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0
    canceled: int = 0


class StorageSummary(BaseModel):
    used_bytes: int = Field(description="Bytes of the downloads in view.")
    free_bytes: int = Field(description="Room left for downloads (disk or storage limit).")
    disk_total_bytes: int
    disk_free_bytes: int
    limit_bytes: int = Field(description="The storage limit; 0 = the whole disk.")
    quota_bytes: int | None = Field(description="The caller's quota; null = none.")
    low: bool = Field(description="Downloads are paused for lack of space.")


class Overview(BaseModel):
    downloads: PeriodTotals
    queue: QueueCounts
    success_rate: float | None = Field(description="Completed / (completed + failed) jobs.")
    storage: StorageSummary
    next_scheduled_run: str | None


class TimelineQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    interval: Interval = "day"
    days: int = Field(30, ge=1, le=MAX_DAYS, description="How many days back from date_to.")
    date_to: date | None = Field(None, description="Last day shown (default today, UTC).")
    user_id: int | None = Field(None, ge=1, le=MAX_ID,
                                description="Admins: one user's figures only.")

    @model_validator(mode="before")
    @classmethod
    def _blank_means_unset(cls, values: object) -> object:
        if isinstance(values, dict):
            return {key: value for key, value in values.items() if value != ""}
        return values


class TimelinePoint(BaseModel):
    period: str = Field(description="First day of the day or ISO week (Monday).")
    downloads: int
    bytes: int
    failed_jobs: int
    platforms: dict[str, int] = Field(description="Downloads per platform.")


class Timeline(BaseModel):
    interval: Interval
    date_from: str
    date_to: str
    items: list[TimelinePoint]


class JobOutcomes(BaseModel):
    completed: int = 0
    failed: int = 0
    active: int = 0


class PlatformStats(BaseModel):
    platform: str
    downloads: int
    bytes: int
    last_download_at: str | None
    jobs: JobOutcomes
    success_rate: float | None


class SourceStats(BaseModel):
    platform: str
    source: str | None
    downloads: int
    bytes: int
    last_download_at: str | None


class GroupUsage(BaseModel):
    name: str
    downloads: int
    bytes: int


class UserUsage(BaseModel):
    user_id: int
    username: str
    downloads: int
    bytes: int
    quota_bytes: int | None


class DiskFigures(BaseModel):
    total_bytes: int
    used_bytes: int
    free_bytes: int


class StorageStats(BaseModel):
    disk: DiskFigures
    library_bytes: int
    partial_bytes: int = Field(description="Unfinished downloads in the work folder.")
    limit_bytes: int
    reserve_bytes: int
    free_for_downloads_bytes: int
    low: bool
    by_platform: list[GroupUsage]
    by_kind: list[GroupUsage]
    by_user: list[UserUsage]
