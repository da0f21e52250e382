"""Events worth telling someone, and how one is recorded: once (by its key, whichever
process notices it first), with one outbox row per channel that wants it.

Other features announce their events here: the scheduler calls ``record_notice`` with
``schedule_run_finished`` or ``schedule_failed`` inside its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediadl.core.clock import utcnow
from mediadl.db.models import User
from mediadl.db.models.library_ops import (
    NotificationChannel,
    NotificationDelivery,
    NotificationEvent,
)
from mediadl.realtime.events import NOTIFICATION, Event

EventName = Literal["download_completed", "download_failed", "schedule_run_finished",
                    "schedule_failed", "disk_low", "platform_rate_limited"]
EVENTS: tuple[EventName, ...] = ("download_completed", "download_failed",
                                 "schedule_run_finished", "schedule_failed", "disk_low",
                                 "platform_rate_limited")
Level = Literal["info", "success", "warning", "error"]
MAX_TITLE = 255
MAX_MESSAGE = 4000


@dataclass(frozen=True)
class Notice:
    """One happening. ``owner_id`` None means the admins; ``key`` names it uniquely."""

    event: str
    owner_id: int | None
    level: str
    title: str
    message: str
    key: str

    def as_event(self) -> Event:
        """The WebSocket ``notification`` message for the web UI."""
        data = {"level": self.level, "title": self.title, "message": self.message,
                "event": self.event}
        return Event(NOTIFICATION, data, owner_id=self.owner_id,
                     admins_only=self.owner_id is None)


def admins_notice(event: str, title: str, message: str, level: str = "warning") -> Notice:
    # Once a minute at most, however many processes notice it.
    return Notice(event=event, owner_id=None, level=level, title=title, message=message,
                  key=f"{event}:{utcnow():%Y%m%d%H%M}")


def record_notice(session: Session, notice: Notice) -> NotificationEvent | None:
    """Record ``notice`` and queue it for every channel that wants it; None when it was
    recorded before (by this or another process)."""
    row = NotificationEvent(key=notice.key[:200], event=notice.event, owner_id=notice.owner_id,
                            level=notice.level, title=notice.title[:MAX_TITLE],
                            message=notice.message[:MAX_MESSAGE], created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    for channel_id in _interested_channels(session, notice):
        session.add(NotificationDelivery(event_id=row.id, channel_id=channel_id,
                                         status="pending", attempts=0, not_before=utcnow(),
                                         created_at=utcnow()))
    return row


def _interested_channels(session: Session, notice: Notice) -> list[int]:
    owners = (select(User.id).where(User.role == "admin", User.is_active.is_(True))
              if notice.owner_id is None else select(User.id).where(User.id == notice.owner_id))
    channels = session.scalars(select(NotificationChannel).where(
        NotificationChannel.owner_id.in_(owners), NotificationChannel.enabled.is_(True)))
    return [channel.id for channel in channels if notice.event in (channel.events or [])]
