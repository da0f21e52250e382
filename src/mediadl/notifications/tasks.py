"""The background round of notifications: turn new job outcomes into events, send what is
due, forget old events. Run every ``notifications.poll_seconds`` by the server."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models.library_ops import NotificationEvent
from mediadl.db.session import Database
from mediadl.notifications.delivery import deliver_due
from mediadl.notifications.outcomes import (
    Outcome,
    collect_outcomes,
    collect_rate_limits,
    has_news,
)

log = logging.getLogger(__name__)

KEEP_EVENTS = timedelta(days=30)

OnOutcome = Callable[[Outcome], None]


def notification_round(db: Database, settings: Settings, on_outcome: OnOutcome) -> None:
    now = utcnow()
    with db.read() as session:
        news = has_news(session, now)
    if news:
        with db.session() as session:
            outcomes = collect_outcomes(session, now)
            collect_rate_limits(session, now)
        for outcome in outcomes:
            on_outcome(outcome)
    deliver_due(db, settings)


def forget_old_events(db: Database) -> int:
    """Events (and their deliveries) older than a month; job outcomes older than the
    look-back are never reported again anyway."""
    with db.session() as session:
        result = session.execute(delete(NotificationEvent).where(
            NotificationEvent.created_at < utcnow() - KEEP_EVENTS))
    return int(getattr(result, "rowcount", 0) or 0)
