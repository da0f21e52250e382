"""Who runs a due schedule, when several processes share one database.

A tick is claimed with one compare-and-set on the schedule row (``next_run_at`` still equal
to the due time the claimer read) plus a run row unique per (schedule, due time). Only one
process can change the row from that due time, and a second run row for the same tick
cannot exist. A partial unique index allows one running run per schedule, so "run now"
and the cron cannot overlap either. Each claim is its own short transaction.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediadl.db.models.schedules import RUN_RUNNING, Schedule, ScheduleRun
from mediadl.db.session import affected_rows
from mediadl.schedules.cron import next_run_after

RUN_FAILED = "failed"
RUN_COMPLETED = "completed"
TRIGGER_CRON = "cron"
TRIGGER_MANUAL = "manual"
MAX_CLAIMS_PER_TICK = 200


def new_instance_name() -> str:
    """Names this process in run rows: which server started a run that never ended."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def jitter(schedule_id: int, due: datetime, max_seconds: float) -> timedelta:
    """A delay in [0, max_seconds) that every process computes alike for one tick, so
    processes need not agree on it and a schedule's runs do not all start on the minute."""
    if max_seconds <= 0:
        return timedelta(0)
    digest = hashlib.sha256(f"{schedule_id}:{due.isoformat()}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return timedelta(seconds=fraction * max_seconds)


@dataclass(frozen=True)
class DueTick:
    schedule_id: int
    due: datetime


def due_ticks(session: Session, now: datetime) -> list[DueTick]:
    """Enabled, unpaused schedules whose next run time has come, oldest first."""
    statement = (select(Schedule.id, Schedule.next_run_at)
                 .where(Schedule.enabled.is_(True), Schedule.next_run_at <= now,
                        or_(Schedule.paused_until.is_(None), Schedule.paused_until <= now))
                 .order_by(Schedule.next_run_at).limit(MAX_CLAIMS_PER_TICK))
    return [DueTick(schedule_id, due) for schedule_id, due in session.execute(statement)
            if due is not None]


def claim_tick(session: Session, schedule: Schedule, due: datetime, now: datetime,
               instance: str) -> ScheduleRun | None:
    """The run of this tick if this process won it, else None.

    However many ticks were missed (the server was down), the schedule moves to its first
    run after ``now``: missed runs are coalesced into this one.
    """
    following = next_run_after(schedule.cron, schedule.timezone, now)
    won = affected_rows(session.execute(
        update(Schedule)
        .where(Schedule.id == schedule.id, Schedule.next_run_at == due,
               Schedule.enabled.is_(True))
        .values(next_run_at=following, paused_until=None, pause_reason=None)))
    if not won:
        return None
    return start_run(session, schedule, TRIGGER_CRON, due, now, instance)


def start_run(session: Session, schedule: Schedule, trigger: str, due: datetime | None,
              now: datetime, instance: str) -> ScheduleRun | None:
    """A new running run, or None when the schedule already has one (that run covers
    this tick too)."""
    run = ScheduleRun(schedule_id=schedule.id, owner_id=schedule.owner_id, trigger=trigger,
                      due_at=due, status=RUN_RUNNING, started_at=now, instance=instance,
                      found=0, new=0, queued=0, failed=0, not_modified=False)
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        return None
    return run


def runs_started_before(session: Session, cutoff: datetime) -> bool:
    return session.scalar(select(ScheduleRun.id).where(
        ScheduleRun.status == RUN_RUNNING, ScheduleRun.started_at < cutoff).limit(1)) is not None


def fail_interrupted(session: Session, now: datetime, *, started_before: datetime | None = None,
                     instance: str | None = None, reason: str) -> int:
    """Fail runs that cannot still be running: started too long ago (their process died),
    or started by ``instance`` (a process that is stopping)."""
    statement = select(ScheduleRun).where(ScheduleRun.status == RUN_RUNNING)
    if started_before is not None:
        statement = statement.where(ScheduleRun.started_at < started_before)
    if instance is not None:
        statement = statement.where(ScheduleRun.instance == instance)
    runs = list(session.scalars(statement))
    for run in runs:
        run.status, run.error, run.finished_at = RUN_FAILED, reason, now
        session.execute(update(Schedule).where(Schedule.id == run.schedule_id)
                        .values(last_status=RUN_FAILED))
    return len(runs)
