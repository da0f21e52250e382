"""When the next scheduled run is due, read from the scheduler's table.

The scheduler is a feature of its own; this only reads its ``schedules`` table, and answers
None while that table does not exist (a database from before the scheduler) rather than
guessing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, column, func, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_schedules = table("schedules", column("owner_id", Integer), column("enabled", Boolean),
                   column("next_run_at", DateTime))


def has_schedules_table(session: Session) -> bool:
    return inspect(session.connection()).has_table("schedules")


def next_scheduled_run(session: Session, owner_id: int | None) -> datetime | None:
    """The earliest ``next_run_at`` of an enabled schedule (of ``owner_id``, or of anyone);
    None when nothing is scheduled or there is no scheduler table."""
    if not has_schedules_table(session):
        return None
    statement = select(func.min(_schedules.c.next_run_at)).where(
        _schedules.c.enabled.is_(True), _schedules.c.next_run_at.is_not(None))
    if owner_id is not None:
        statement = statement.where(_schedules.c.owner_id == owner_id)
    try:
        with session.begin_nested():
            found = session.scalar(statement)
    except SQLAlchemyError:
        log.warning("cannot read the next scheduled run", exc_info=True)
        return None
    return found if isinstance(found, datetime) else None
