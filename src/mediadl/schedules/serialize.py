"""Rows → response models."""

from __future__ import annotations

from datetime import datetime

from mediadl.core.clock import isoformat
from mediadl.db.models.schedules import Schedule, ScheduleRun
from mediadl.schedules.cron import expression_of
from mediadl.schedules.schemas import RunOut, ScheduleOut, ScheduleState


def schedule_state(schedule: Schedule, running: bool, now: datetime) -> ScheduleState:
    if not schedule.enabled:
        return "disabled"
    if running:
        return "running"
    if schedule.paused_until is not None and schedule.paused_until > now:
        return "paused"
    return "active"


def schedule_out(schedule: Schedule, running: bool, now: datetime) -> ScheduleOut:
    state = schedule_state(schedule, running, now)
    paused = state == "paused"
    return ScheduleOut(
        id=schedule.id, name=schedule.name, url=schedule.url, platform=schedule.platform,
        content_types=list(schedule.content_types or []), cron=schedule.cron,
        cron_expression=expression_of(schedule.cron), timezone=schedule.timezone,
        enabled=schedule.enabled, max_items_per_run=schedule.max_items_per_run,
        date_from=schedule.date_from, date_to=schedule.date_to, quality=schedule.quality,
        priority=schedule.priority, options=dict(schedule.options or {}),
        last_run_at=isoformat(schedule.last_run_at),
        next_run_at=isoformat(schedule.next_run_at) if schedule.enabled else None,
        last_status=schedule.last_status, state=state,
        paused_until=isoformat(schedule.paused_until) if paused else None,
        pause_reason=schedule.pause_reason if paused else None,
        disabled_reason=None if schedule.enabled else schedule.disabled_reason,
        owner_id=schedule.owner_id, created_at=isoformat(schedule.created_at) or "",
        updated_at=isoformat(schedule.updated_at) or "",
    )


def run_out(run: ScheduleRun) -> RunOut:
    duration = None
    if run.finished_at is not None:
        duration = round((run.finished_at - run.started_at).total_seconds(), 3)
    return RunOut(
        id=run.id, schedule_id=run.schedule_id, trigger=run.trigger,
        due_at=isoformat(run.due_at), started_at=isoformat(run.started_at),
        finished_at=isoformat(run.finished_at), status=run.status,
        found=run.found, new=run.new, queued=run.queued, failed=run.failed,
        not_modified=run.not_modified, error=run.error, duration_s=duration,
    )
