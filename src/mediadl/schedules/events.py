"""What a run tells people: ``schedule_failed`` when a run failed, ``schedule_run_finished``
when a run had something to say (items queued, items that could not be queued, the
schedule stopping itself). A quiet run that found nothing new stays quiet, so an hourly
schedule does not send 24 messages a day.

Notices are recorded with the notifications feature inside the run's own transaction
(its channels deliver them, each once, by key) and shown live on the owner's open pages
once the transaction has committed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediadl.db.models.schedules import Schedule, ScheduleRun
from mediadl.notifications.events import Notice, record_notice

SCHEDULE_RUN_FINISHED = "schedule_run_finished"
SCHEDULE_FAILED = "schedule_failed"


def run_notice(schedule: Schedule, run: ScheduleRun,
               stopped_because: str | None) -> Notice | None:
    title = f"Schedule \u201c{schedule.name}\u201d"
    if run.status == "failed":
        return _notice(SCHEDULE_FAILED, schedule, run, "error", f"{title} failed",
                       run.error or "The run failed.")
    if not (run.queued or run.failed or stopped_because):
        return None
    summary = f"{run.new} new, {run.queued} queued"
    if run.failed:
        summary += f", {run.failed} could not be queued"
    level = "warning" if run.failed or stopped_because else "success"
    message = f"{summary}. {stopped_because}" if stopped_because else f"{summary}."
    return _notice(SCHEDULE_RUN_FINISHED, schedule, run, level, title, message)


def _notice(event: str, schedule: Schedule, run: ScheduleRun, level: str, title: str,
            message: str) -> Notice:
    return Notice(event=event, owner_id=schedule.owner_id, level=level, title=title,
                  message=message, key=f"{event}:{run.id}")


def record_run_notice(session: Session, schedule: Schedule, run: ScheduleRun,
                      stopped_because: str | None) -> list[Notice]:
    """The run's notice, recorded for the owner's channels; [] when there is none."""
    notice = run_notice(schedule, run, stopped_because)
    if notice is None:
        return []
    record_notice(session, notice)
    return [notice]
