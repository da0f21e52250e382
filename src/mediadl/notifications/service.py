"""A user's notification channels. Each user manages their own; someone else's channel is
"not found"."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediadl.core.clock import utcnow
from mediadl.core.errors import Conflict, NotFound
from mediadl.core.settings import Settings
from mediadl.db.models import User
from mediadl.db.models.library_ops import NotificationChannel
from mediadl.db.session import Database
from mediadl.notifications.delivery import Message, Result, send
from mediadl.notifications.schemas import (
    ChannelCreate,
    ChannelOut,
    ChannelPatch,
    ChannelTestResult,
)
from mediadl.notifications.urls import checked_url, open_url, preview, seal_url

TEST_TITLE = "mediadl: test notification"
TEST_BODY = "This channel works: mediadl can reach it."


def list_channels(session: Session, user: User) -> list[ChannelOut]:
    rows = session.scalars(select(NotificationChannel)
                           .where(NotificationChannel.owner_id == user.id)
                           .order_by(NotificationChannel.id))
    return [ChannelOut.from_row(row) for row in rows]


def create_channel(session: Session, settings: Settings, user: User,
                   body: ChannelCreate) -> ChannelOut:
    _refuse_too_many(session, settings, user)
    url = checked_url(settings, body.url)
    row = NotificationChannel(owner_id=user.id, name=body.name, sealed_url=seal_url(settings, url),
                              url_preview=preview(url), events=list(dict.fromkeys(body.events)),
                              enabled=body.enabled, created_at=utcnow(), updated_at=utcnow())
    session.add(row)
    session.flush()
    return ChannelOut.from_row(row)


def update_channel(session: Session, settings: Settings, user: User, channel_id: int,
                   patch: ChannelPatch) -> ChannelOut:
    row = own_channel(session, user, channel_id)
    if patch.url is not None:
        url = checked_url(settings, patch.url)
        row.sealed_url, row.url_preview = seal_url(settings, url), preview(url)
        row.last_error = None
    if patch.name is not None:
        row.name = patch.name
    if patch.events is not None:
        row.events = list(dict.fromkeys(patch.events))
    if patch.enabled is not None:
        row.enabled = patch.enabled
    row.updated_at = utcnow()
    session.flush()
    return ChannelOut.from_row(row)


def delete_channel(session: Session, user: User, channel_id: int) -> None:
    session.delete(own_channel(session, user, channel_id))


def own_channel(session: Session, user: User, channel_id: int) -> NotificationChannel:
    row = session.get(NotificationChannel, channel_id)
    if row is None or row.owner_id != user.id:
        raise NotFound(f"You have no notification channel {channel_id}.")
    return row


def test_channel(db: Database, settings: Settings, user: User,
                 channel_id: int) -> ChannelTestResult:
    """Send a test message now (disabled channels too) and remember how it went."""
    with db.read() as session:
        row = own_channel(session, user, channel_id)
        message = Message(row.id, open_url(settings, row.sealed_url), TEST_TITLE, TEST_BODY,
                          "info")
    result = send(settings, [message]).get(row.id, Result(False, "No answer."))
    with db.session() as session:
        stored = session.get(NotificationChannel, channel_id)
        if stored is not None:
            stored.last_error = None if result.ok else result.error
            stored.last_sent_at = utcnow() if result.ok else stored.last_sent_at
    detail = "Sent." if result.ok else result.error or "The service did not accept it."
    return ChannelTestResult(delivered=result.ok, detail=detail)


def _refuse_too_many(session: Session, settings: Settings, user: User) -> None:
    limit = settings.notifications.max_channels_per_user
    count = session.scalar(select(func.count()).select_from(NotificationChannel)
                           .where(NotificationChannel.owner_id == user.id)) or 0
    if count >= limit:
        raise Conflict(f"You have {count} notification channels, the most allowed; remove one "
                       "first.")
