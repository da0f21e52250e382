"""Where the bytes are: the disk, the storage limit, and usage per platform, kind and user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediadl.core.settings import Settings
from mediadl.db.models import User
from mediadl.db.models.library_ops import LibraryTotal
from mediadl.stats.schemas import DiskFigures, GroupUsage, StorageStats, UserUsage
from mediadl.stats.service import Scope
from mediadl.storage.space import Room


def storage(session: Session, settings: Settings, scope: Scope, room: Room,
            low: bool) -> StorageStats:
    return StorageStats(
        disk=DiskFigures(total_bytes=room.disk.total, used_bytes=room.disk.used,
                         free_bytes=room.disk.free),
        library_bytes=room.library_bytes, partial_bytes=room.partial_bytes,
        limit_bytes=room.limit_bytes, reserve_bytes=room.reserve_bytes,
        free_for_downloads_bytes=room.free_bytes, low=low,
        by_platform=_usage_by(session, scope, LibraryTotal.platform),
        by_kind=_usage_by(session, scope, LibraryTotal.kind),
        by_user=usage_by_user(session, settings, scope))


def _usage_by(session: Session, scope: Scope, group: Any) -> list[GroupUsage]:
    size = func.sum(LibraryTotal.byte_count)
    rows = session.execute(select(group, func.sum(LibraryTotal.download_count), size)
                           .where(*scope.on(LibraryTotal.owner_id))
                           .group_by(group).order_by(size.desc()))
    return [GroupUsage(name=str(name), downloads=int(count), bytes=int(total))
            for name, count, total in rows]


def usage_by_user(session: Session, settings: Settings, scope: Scope) -> list[UserUsage]:
    size = func.coalesce(func.sum(LibraryTotal.byte_count), 0)
    statement = (select(User.id, User.username, User.role,
                        func.coalesce(func.sum(LibraryTotal.download_count), 0), size)
                 .outerjoin(LibraryTotal, LibraryTotal.owner_id == User.id)
                 .where(*scope.on(User.id)).group_by(User.id, User.username, User.role)
                 .order_by(size.desc(), User.id))
    quota = settings.storage.user_quota_bytes or None
    return [UserUsage(user_id=user_id, username=name, downloads=int(count), bytes=int(total),
                      quota_bytes=None if role == "admin" else quota)
            for user_id, name, role, count, total in session.execute(statement)]
