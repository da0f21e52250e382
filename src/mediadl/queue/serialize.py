from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from mediadl.core.clock import isoformat
from mediadl.db.models import Job
from mediadl.jobs.states import COMPLETED
from mediadl.queue.schemas import JobOut, ProgressOut
from mediadl.realtime.messages import percent_of

# A job's columns as a bulk insert returns them (``insert_job_rows``).
JobRow = Row[*tuple[Any, ...]]
# A job as the ORM loads it, or as a row of its columns.
JobFields = Job | JobRow


def job_out(job: JobFields, download_ids: list[int]) -> JobOut:
    return JobOut(
        id=job.id, url=job.url, platform=job.platform, engine=job.engine, kind=job.kind,
        title=job.title, source=job.source, status=job.status,
        priority=job.priority, position=job.position,
        quality=job.quality, options=job.options or {},
        progress=ProgressOut(percent=job_percent(job), downloaded_bytes=job.downloaded_bytes or 0,
                             total_bytes=job.total_bytes, speed_bps=job.speed_bps,
                             eta_s=job.eta_s),
        attempts=job.attempts, error=job.error,
        not_before=isoformat(job.not_before), parent_id=job.parent_id, owner_id=job.owner_id,
        schedule_id=job.schedule_id, created_at=isoformat(job.created_at) or "",
        updated_at=isoformat(job.updated_at) or "", started_at=isoformat(job.started_at),
        finished_at=isoformat(job.finished_at), download_ids=download_ids,
    )


def job_percent(job: JobFields) -> float | None:
    if job.status == COMPLETED:
        return 100.0
    return percent_of(job.downloaded_bytes or 0, job.total_bytes)
