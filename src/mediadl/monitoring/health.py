"""``/health``: can this server do its work? Database, broker, workers, disk.

Only an unreachable database makes the answer 503 (the server can do nothing); anything
else that is wrong - a stopped background loop, a missing broker, a full disk - is
"degraded" with the reason, answered with 200 so a container is not restarted for it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import redis
from sqlalchemy import func, select, text

from mediadl.app_context import AppContext
from mediadl.core.clock import utcnow
from mediadl.db.models import Job
from mediadl.jobs.presence import alive_workers
from mediadl.jobs.states import RUNNING
from mediadl.storage.space import disk_usage

BROKER_TIMEOUT_SECONDS = 2.0
# A running job whose lease ran out this long ago has no live worker.
STALE_LEASE_GRACE = timedelta(seconds=5)


def health_report(context: AppContext) -> tuple[dict[str, Any], bool]:
    """(the report, whether the database answered)."""
    database, stale = _database(context)
    broker, celery_workers = _broker(context)
    workers = _workers(context, stale, celery_workers)
    disk = _disk(context)
    problems = [name for name, healthy in (
        ("database", database == "ok"), ("broker", broker in ("ok", "not configured")),
        ("workers", workers["alive"]), ("disk", not disk["low"])) if not healthy]
    report = {"status": "degraded" if problems else "ok", "database": database,
              "broker": broker, "workers": workers, "disk": disk, "problems": problems}
    return report, database == "ok"


def _database(context: AppContext) -> tuple[str, int]:
    try:
        with context.db.read() as session:
            session.execute(text("SELECT 1"))
            stale = session.scalar(select(func.count()).select_from(Job).where(
                Job.status == RUNNING, Job.lease_expires_at < utcnow() - STALE_LEASE_GRACE))
    except Exception:  # any failure means the same thing to a health check
        return "error", 0
    return "ok", int(stale or 0)


def _workers(context: AppContext, stale: int,
             celery_workers: list[dict[str, Any]] | None) -> dict[str, Any]:
    """This process's loops; scaled out, also the Celery workers whose heartbeat is
    recent (``celery_workers`` is None without a broker)."""
    ops = context.ops
    checks = {name: check() for name, check in ops.liveness.items()}
    checks.update({loop.name: loop.is_alive() for loop in ops.loops})
    report: dict[str, Any] = {"slots": context.settings.max_concurrent_downloads}
    alive = all(checks.values()) and stale == 0
    if celery_workers is not None:
        report["slots"] = sum(int(worker.get("slots", 0)) for worker in celery_workers)
        report["celery"] = [{"name": worker.get("name"), "slots": worker.get("slots"),
                             "seen_at": worker.get("seen_at")} for worker in celery_workers]
        alive = alive and bool(celery_workers)
    return {"alive": alive, **report, "stale_jobs": stale, "loops": checks}


def _broker(context: AppContext) -> tuple[str, list[dict[str, Any]] | None]:
    """(the broker's state, the live Celery workers - None when there is no broker)."""
    url = context.settings.broker_url
    if not url:
        return "not configured", None
    try:
        client = redis.Redis.from_url(url, socket_timeout=BROKER_TIMEOUT_SECONDS,
                                      socket_connect_timeout=BROKER_TIMEOUT_SECONDS)
        try:
            client.ping()
            return "ok", alive_workers(client)
        finally:
            client.close()
    except Exception:  # unreachable, refused, wrong password: all "error" here
        return "error", []


def _disk(context: AppContext) -> dict[str, Any]:
    usage = disk_usage(context.settings.library_dir)
    state = context.ops.storage
    return {"free_bytes": usage.free, "total_bytes": usage.total, "low": state.low,
            "reason": state.reason}
