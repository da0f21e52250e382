"""What a watched forum thread looked like at its last run: the page it was read up to, the
last post, and when something new last appeared. The next run starts at that page (one
request when nothing is new); the scheduler expires threads by ``last_new_at``."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediadl.db.models.platforms import ForumThread

MAX_POST_ID = 64


def url_key(url: str) -> str:
    return hashlib.sha256(url.split("#", 1)[0].encode()).hexdigest()


def thread_row(session: Session, owner_id: int, url: str) -> ForumThread | None:
    return session.scalars(select(ForumThread).where(
        ForumThread.owner_id == owner_id, ForumThread.url_key == url_key(url))).first()


def resume_url(session: Session, owner_id: int, url: str) -> str | None:
    row = thread_row(session, owner_id, url)
    return row.last_page_url if row is not None else None


def record_read(session: Session, owner_id: int, url: str, metadata: dict[str, Any],
                title: str | None, new_items: int, now: datetime) -> ForumThread:
    """Note where a run of ``url`` stopped and how many items it found that were new."""
    row = thread_row(session, owner_id, url) or _new_row(session, owner_id, url, now)
    row.title = title or row.title
    row.last_page_url = _text(metadata.get("last_page_url")) or row.last_page_url
    row.last_post_id = (_text(metadata.get("last_post_id")) or row.last_post_id or "")[
        :MAX_POST_ID] or None
    row.pages_seen += int(metadata.get("pages_read") or 0)
    row.items_seen += new_items
    row.last_checked_at = now
    if new_items or row.last_new_at is None:
        row.last_new_at = now
    return row


def _new_row(session: Session, owner_id: int, url: str, now: datetime) -> ForumThread:
    row = ForumThread(owner_id=owner_id, url_key=url_key(url), url=url, pages_seen=0,
                      items_seen=0, extra={}, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = thread_row(session, owner_id, url)
        assert found is not None
        return found
    return row


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
