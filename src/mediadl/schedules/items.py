"""A schedule's download archive: every entry it has seen, and which of them still wait.

Entries are remembered as ``pending`` when first seen; each run queues the newest pending
ones that fit its filters, up to ``max_items_per_run``. So a first run on a huge source
queues a handful and later runs work through the rest, without listing the source again.

The date range skips entries by their date. An entry without one is queued, except where
its place shows it is outside the range: in a listing that is newest first (a channel, a
profile), an undated entry is older than the dated entry above it and newer than the one
below it, so it is skipped when the entry above is already older than ``date_from``, or
the entry below is still newer than ``date_to``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from mediadl.db.models.schedules import (
    ITEM_PENDING,
    ITEM_QUEUED,
    ITEM_SKIPPED,
    Schedule,
    ScheduleItem,
)
from mediadl.engines.base import Entry
from mediadl.platforms import archive

# Why an item was skipped; filter reasons are undone when the filters change.
OUT_OF_RANGE = "outside the date range"
OTHER_CONTENT = "not one of the schedule's content types"
IN_LIBRARY = "already in the library"
FILTER_REASONS = (OUT_OF_RANGE, OTHER_CONTENT)
# Media kinds of entries, as the platforms' content type names.
CONTENT_TYPE_OF_KIND = {"video": "videos", "audio": "audio", "image": "images",
                        "file": "files", "gallery": "galleries", "thread": "threads"}
CHUNK = 500


def known_keys(session: Session, schedule_id: int) -> frozenset[str]:
    keys = session.scalars(select(ScheduleItem.item_key)
                           .where(ScheduleItem.schedule_id == schedule_id))
    return frozenset(keys)


def entry_key(entry: Entry) -> str:
    return (entry.key or entry.url)[:512]


def remember(session: Session, schedule: Schedule, entries: Sequence[Entry],
             now: datetime, newest_first: bool = False) -> int:
    """Store entries not seen before; returns how many were new."""
    fresh = _unseen(session, schedule.id, entries)
    # Whatever the owner already has on this platform (a download by hand, another
    # schedule) is remembered as seen but never queued again.
    archived = archive.archived_keys(session, schedule.owner_id, schedule.platform,
                                     [entry_key(entry) for entry in fresh])
    outside = undated_outside(entries, schedule) if newest_first else frozenset()
    rows = [_item_row(schedule.id, entry, entry_key(entry) in archived, now) for entry in fresh]
    for row in rows:
        if row["state"] == ITEM_PENDING and row["item_key"] in outside:
            row["state"], row["reason"] = ITEM_SKIPPED, OUT_OF_RANGE
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(ScheduleItem), rows[start:start + CHUNK])
    return len(rows)


def undated_outside(entries: Sequence[Entry], schedule: Schedule) -> frozenset[str]:
    """Keys of the undated entries of a newest-first listing that lie outside the date
    range, by their dated neighbours (see the module's doc)."""
    start, end = _window(schedule)
    outside: set[str] = set()
    newer: datetime | None = None  # the nearest dated entry above
    waiting: list[str] = []  # undated entries since then: decided by the next dated one
    for entry in entries:
        if entry.published_at is None:
            if start is not None and newer is not None and newer < start:
                outside.add(entry_key(entry))
            else:
                waiting.append(entry_key(entry))
            continue
        if end is not None and entry.published_at >= end:
            outside.update(waiting)
        waiting, newer = [], entry.published_at
    return frozenset(outside)


def _window(schedule: Schedule) -> tuple[datetime | None, datetime | None]:
    """[start, end) of the date range, as naive UTC datetimes."""
    start = datetime.combine(schedule.date_from, time()) if schedule.date_from else None
    end = (datetime.combine(schedule.date_to, time()) + timedelta(days=1)
           if schedule.date_to else None)
    return start, end


def _unseen(session: Session, schedule_id: int, entries: Sequence[Entry]) -> list[Entry]:
    """Entries whose key is new, each key once (a listing may repeat an entry)."""
    first: dict[str, Entry] = {}
    for entry in entries:
        first.setdefault(entry_key(entry), entry)
    keys = list(first)
    existing: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        existing.update(session.scalars(select(ScheduleItem.item_key).where(
            ScheduleItem.schedule_id == schedule_id,
            ScheduleItem.item_key.in_(keys[start:start + CHUNK]))))
    return [entry for key, entry in first.items() if key not in existing]


def _item_row(schedule_id: int, entry: Entry, archived: bool, now: datetime) -> dict[str, object]:
    return {
        "schedule_id": schedule_id, "item_key": entry_key(entry), "url": entry.url,
        "title": entry.title, "kind": entry.kind, "published_at": entry.published_at,
        "state": ITEM_SKIPPED if archived else ITEM_PENDING,
        "reason": IN_LIBRARY if archived else None, "discovered_at": now,
    }


def skip_filtered(session: Session, schedule: Schedule) -> None:
    """Mark pending items outside the date range or content types as skipped."""
    for reason, condition in _filters(schedule):
        session.execute(update(ScheduleItem).where(
            ScheduleItem.schedule_id == schedule.id, ScheduleItem.state == ITEM_PENDING,
            condition).values(state=ITEM_SKIPPED, reason=reason))


def _filters(schedule: Schedule) -> Iterable[tuple[str, ColumnElement[bool]]]:
    published = ScheduleItem.published_at
    start, end = _window(schedule)
    if start is not None:
        yield OUT_OF_RANGE, published < start
    if end is not None:
        yield OUT_OF_RANGE, published >= end
    kinds = kinds_of(schedule.content_types or [])
    if kinds is not None:
        yield OTHER_CONTENT, and_(ScheduleItem.kind.is_not(None), ScheduleItem.kind.not_in(kinds))


def kinds_of(content_types: Iterable[str]) -> list[str] | None:
    """Entry kinds the content types allow; None when they do not restrict kinds (empty,
    or only platform-specific types such as 'shorts' that an entry cannot tell)."""
    wanted = set(content_types)
    kinds = [kind for kind, name in CONTENT_TYPE_OF_KIND.items() if name in wanted]
    return kinds or None


def backlog(session: Session, schedule_id: int, limit: int) -> list[ScheduleItem]:
    """The pending items to queue now: newest first (undated ones after, as listed)."""
    if limit <= 0:
        return []
    statement = (select(ScheduleItem)
                 .where(ScheduleItem.schedule_id == schedule_id,
                        ScheduleItem.state == ITEM_PENDING)
                 .order_by(ScheduleItem.published_at.desc().nulls_last(), ScheduleItem.id)
                 .limit(limit))
    return list(session.scalars(statement))


def mark_queued(item: ScheduleItem, job_id: int, now: datetime) -> None:
    item.state, item.job_id, item.queued_at, item.reason = ITEM_QUEUED, job_id, now, None


def reconsider_filtered(session: Session, schedule_id: int) -> None:
    """The filters changed: items they skipped get another look at the next run."""
    session.execute(update(ScheduleItem).where(
        ScheduleItem.schedule_id == schedule_id, ScheduleItem.state == ITEM_SKIPPED,
        ScheduleItem.reason.in_(FILTER_REASONS)).values(state=ITEM_PENDING, reason=None))


def forget_pending(session: Session, schedule_id: int) -> None:
    """The URL changed: what the old source had waiting is not wanted any more."""
    session.execute(delete(ScheduleItem).where(ScheduleItem.schedule_id == schedule_id,
                                               ScheduleItem.state == ITEM_PENDING))
