"""Bodies of ``/api/v1/storage``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mediadl.core.schemas import RequestModel
from mediadl.library.schemas import DownloadOut


class PausedJob(BaseModel):
    job_id: int
    reason: str = Field(description="disk or quota")
    paused_at: str | None


class StorageStatus(BaseModel):
    low: bool = Field(description="Downloads are paused and none start for lack of space.")
    reason: str | None
    free_bytes: int = Field(description="Room left for downloads (disk or storage limit).")
    needed_bytes: int = Field(description="What running downloads still need, or the reserve.")
    reserve_bytes: int
    limit_bytes: int
    checked_at: str | None
    quota_bytes: int | None = Field(description="Your quota; null = none.")
    used_bytes: int = Field(description="Bytes of your downloads.")
    paused_jobs: list[PausedJob] = Field(description="Your jobs paused by the guard.")


class CleanupPolicyOut(BaseModel):
    enabled: bool
    max_age_days: int
    max_per_source: int


class CleanupPreview(BaseModel):
    policy: CleanupPolicyOut
    downloads: int = Field(description="How many downloads a run would delete.")
    bytes: int
    items: list[DownloadOut] = Field(description="The oldest of them.")


class CleanupRequest(RequestModel):
    dry_run: bool = Field(False, description="Only count, delete nothing.")


class CleanupResult(BaseModel):
    dry_run: bool
    downloads: int
    bytes: int
