"""The first message of every socket: small and bounded however long the history is.

Only active jobs (running first, then the head of the queue) up to a limit, and the
counters of ``GET /api/v1/queue/stats``, read in one transaction so they agree.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from mediadl.db.models import Job
from mediadl.db.session import Database
from mediadl.jobs.states import ACTIVE_STATUSES, PAUSED, QUEUED, RUNNING, STATUSES
from mediadl.queue.serialize import job_out
from mediadl.queue.service import download_ids_by_job
from mediadl.realtime.fanout import LocalFanout
from mediadl.realtime.principal import Principal

PROGRESS_FIELDS = ("percent", "downloaded_bytes", "total_bytes", "speed_bps", "eta_s")
AnySelect = TypeVar("AnySelect", bound=Select)


def queue_snapshot(db: Database, principal: Principal, limit: int,
                   fanout: LocalFanout) -> dict[str, Any]:
    with db.read() as session:
        stats = status_counts(session, principal)
        jobs = list(session.scalars(_active_first(principal).limit(limit)))
        downloads = download_ids_by_job(session, (job.id for job in jobs))
    items = [job_out(job, downloads[job.id]).model_dump(mode="json") for job in jobs]
    for item in items:
        _merge_live_progress(item, fanout)
    total_active = stats[QUEUED] + stats[PAUSED] + stats[RUNNING]
    return {"items": items, "stats": stats, "total_active": total_active,
            "truncated": total_active > len(items)}


def running_progress(snapshot: dict[str, Any]) -> dict[int, int]:
    """Bytes of every running job in a snapshot (the floor for later progress)."""
    return {item["id"]: item["progress"]["downloaded_bytes"] for item in snapshot["items"]
            if item["status"] == RUNNING}


def status_counts(session: Session, principal: Principal) -> dict[str, int]:
    statement = select(Job.status, func.count()).group_by(Job.status)
    rows = session.execute(_visible(statement, principal))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: count for status, count in rows if status in counts})
    return counts


def _visible(statement: AnySelect, principal: Principal) -> AnySelect:
    # The queue's rule (queue.service.visible_jobs): admins see every job, users their own.
    if principal.is_admin:
        return statement
    return statement.where(Job.owner_id == principal.user_id)


def _active_first(principal: Principal) -> Select[Any]:
    running_first = case((Job.status == RUNNING, 0), else_=1)
    statement = select(Job).where(Job.status.in_(ACTIVE_STATUSES))
    return _visible(statement, principal).order_by(running_first, Job.priority_rank,
                                                   Job.position, Job.id)


def _merge_live_progress(item: dict[str, Any], fanout: LocalFanout) -> None:
    """The database gets progress about once a second; the hub has the latest value."""
    if item["status"] != RUNNING:
        return
    live = fanout.latest_progress(item["id"])
    if live is not None and live["downloaded_bytes"] >= item["progress"]["downloaded_bytes"]:
        item["progress"] = {name: live[name] for name in PROGRESS_FIELDS}
