"""The auto-cleanup policy: delete downloads older than N days, and/or keep only the newest
N of each source (per user and platform). ``preview`` lists what a run would delete (the
dry run); ``run`` deletes it in small transactions. Files shared with a download that stays
(exact duplicates) are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select, tuple_
from sqlalchemy.orm import Session

from mediadl.core.settings import Settings
from mediadl.db.models import Download
from mediadl.db.models.library_ops import LibrarySource
from mediadl.db.session import Database
from mediadl.library.service import delete_rows

BATCH = 500


@dataclass(frozen=True)
class Policy:
    max_age_days: int
    max_per_source: int

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        storage = settings.storage
        return cls(storage.cleanup_max_age_days, storage.cleanup_max_per_source)

    @property
    def active(self) -> bool:
        return self.max_age_days > 0 or self.max_per_source > 0


def doomed_ids(policy: Policy, now: datetime) -> Select[Any]:
    """SELECT of the ids the policy deletes."""
    reasons = []
    if policy.max_age_days > 0:
        reasons.append(Download.created_at < now - timedelta(days=policy.max_age_days))
    if policy.max_per_source > 0:
        reasons.append(Download.id.in_(_beyond_newest(policy.max_per_source)))
    return select(Download.id).where(or_(*reasons))


def _beyond_newest(keep: int) -> Select[Any]:
    source = func.coalesce(Download.source, "")
    crowded = select(LibrarySource.owner_id, LibrarySource.platform, LibrarySource.source).where(
        LibrarySource.download_count > keep)
    ranked = (select(Download.id, func.row_number().over(
        partition_by=(Download.owner_id, Download.platform, source),
        order_by=(Download.created_at.desc(), Download.id.desc())).label("newest"))
        .where(tuple_(Download.owner_id, Download.platform, source).in_(crowded)).subquery())
    return select(ranked.c.id).where(ranked.c.newest > keep)


def preview(session: Session, policy: Policy, now: datetime,
            limit: int) -> tuple[int, int, list[Download]]:
    """(how many, how many bytes, the oldest ``limit`` of them)."""
    if not policy.active:
        return 0, 0, []
    ids = doomed_ids(policy, now)
    count, size = session.execute(select(func.count(), func.coalesce(func.sum(Download.size), 0))
                                  .where(Download.id.in_(ids))).one()
    rows = session.scalars(select(Download).where(Download.id.in_(ids))
                           .order_by(Download.created_at, Download.id).limit(limit)).all()
    return int(count), int(size), list(rows)


def run(db: Database, settings: Settings, policy: Policy, now: datetime) -> tuple[int, int]:
    """Delete what the policy names, oldest first; returns (downloads, bytes) deleted."""
    deleted = freed = 0
    while policy.active:
        with db.session() as session:
            rows = session.scalars(select(Download).where(Download.id.in_(doomed_ids(
                policy, now))).order_by(Download.created_at, Download.id).limit(BATCH)).all()
            freed += sum(row.size for row in rows)
            deleted += delete_rows(session, settings, rows, delete_file=True)
        if len(rows) < BATCH:
            break
    return deleted, freed
