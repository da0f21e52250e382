"""The library's use cases. Each takes an open session and the calling user; a user sees
only its own downloads, an admin sees all of them. Someone else's download is "not found"
rather than "forbidden", so ids do not reveal what exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import ColumnElement, Select, event, func, select
from sqlalchemy.orm import Session

from mediadl.core.errors import NotFound, UnsupportedURL
from mediadl.core.settings import Settings
from mediadl.db.models import Download, Job, User
from mediadl.db.models.library_ops import LibraryTotal
from mediadl.library import listing
from mediadl.library.schemas import (
    BulkRequest,
    BulkResult,
    DownloadOut,
    DownloadPage,
    DownloadQuery,
    DownloadStats,
    GroupStats,
)
from mediadl.library.storage import remove_quietly, resolve_inside
from mediadl.queue.service import enqueue_job
from mediadl.security import activity
from mediadl.security.activity import Actor
from mediadl.security.quotas import refuse_over_queue_cap

MISSING_FILE = "The file of this download is no longer in the library."


@dataclass(frozen=True)
class StoredFile:
    """A library file that may be sent: its checked path and how to present it."""

    path: Path
    mime: str
    download_name: str
    kind: str


@dataclass(frozen=True)
class StoredThumbnail:
    path: Path | None  # None: no picture, show the placeholder for ``kind``
    kind: str


def list_downloads(session: Session, user: User, query: DownloadQuery) -> DownloadPage:
    return listing.list_downloads(session, user, query)


def visible_download(session: Session, user: User, download_id: int) -> Download:
    row = session.scalars(select(Download).where(Download.id == download_id,
                                                 *_visible_to(user))).first()
    if row is None:
        raise NotFound(f"There is no download {download_id} in your library.")
    return row


def get_download(session: Session, user: User, download_id: int) -> DownloadOut:
    return DownloadOut.from_row(visible_download(session, user, download_id))


def stored_file(session: Session, settings: Settings, user: User,
                download_id: int) -> StoredFile:
    """The download's file, re-checked to lie inside the library."""
    row = visible_download(session, user, download_id)
    path = resolve_inside(settings.library_dir, row.filename)
    if path is None:
        raise NotFound(MISSING_FILE)
    return StoredFile(path=path, mime=row.mime or "application/octet-stream",
                      download_name=PurePosixPath(row.filename).name, kind=row.kind)


def stored_thumbnail(session: Session, settings: Settings, user: User,
                     download_id: int) -> StoredThumbnail:
    row = visible_download(session, user, download_id)
    return StoredThumbnail(path=resolve_inside(settings.thumbnail_dir, row.thumbnail),
                           kind=row.kind)


def delete_download(session: Session, settings: Settings, user: User, download_id: int,
                    delete_file: bool) -> None:
    row = visible_download(session, user, download_id)
    delete_rows(session, settings, [row], delete_file)


def bulk_action(session: Session, settings: Settings, actor: Actor, user: User,
                request: BulkRequest) -> BulkResult:
    """Apply ``request.action`` to the listed downloads the user may see; others are skipped."""
    rows = session.scalars(select(Download).where(Download.id.in_(set(request.ids)),
                                                  *_visible_to(user))).all()
    if request.action == "delete":
        return BulkResult(affected=delete_rows(session, settings, rows, request.delete_file))
    if rows:
        # The caller's cap: a user's rows are its own; an admin has none.
        refuse_over_queue_cap(session, settings, user, adding=len(rows))
    jobs = _redownload(session, settings, rows)
    if jobs:
        activity.record(session, actor, activity.JOB_ADDED, f"{len(jobs)} links",
                        job_ids=[job.id for job in jobs[:100]])
    return BulkResult(affected=len(jobs))


def download_stats(session: Session, user: User) -> DownloadStats:
    """Counts and sizes from the roll-up that triggers keep (no scan of the library)."""
    visible = [] if user.is_admin else [LibraryTotal.owner_id == user.id]
    by_kind = _grouped_stats(session, LibraryTotal.kind, visible)
    return DownloadStats(count=sum(group.count for group in by_kind.values()),
                         total_size=sum(group.size for group in by_kind.values()),
                         by_kind=by_kind,
                         by_platform=_grouped_stats(session, LibraryTotal.platform, visible))


def _visible_to(user: User) -> list[ColumnElement[bool]]:
    return listing.visible_to(user)


def _grouped_stats(session: Session, column: Any,
                   visible: Sequence[ColumnElement[bool]]) -> dict[str, GroupStats]:
    statement: Select[Any] = (
        select(column, func.sum(LibraryTotal.download_count), func.sum(LibraryTotal.byte_count))
        .where(*visible).group_by(column))
    return {str(name): GroupStats(count=int(count), size=int(size))
            for name, count, size in session.execute(statement)}


def delete_rows(session: Session, settings: Settings, rows: Sequence[Download],
                delete_file: bool) -> int:
    """Delete library rows; with ``delete_file`` their files go once the transaction
    commits, except files another row still points at (exact duplicates share one file)."""
    for row in rows:
        session.delete(row)
    session.flush()
    if delete_file:
        _after_commit(session, _remover(_unused_paths(session, settings, rows)))
    return len(rows)


def _unused_paths(session: Session, settings: Settings,
                  rows: Sequence[Download]) -> list[Path]:
    """Files and thumbnails of deleted rows that no remaining row still points at."""
    paths: list[Path | None] = []
    for filename in {row.filename for row in rows}:
        if not _still_used(session, Download.filename == filename):
            paths.append(resolve_inside(settings.library_dir, filename))
    for row in {row.sha256: row for row in rows if row.thumbnail}.values():
        if not _still_used(session, Download.sha256 == row.sha256):
            paths.append(resolve_inside(settings.thumbnail_dir, row.thumbnail))
    return [path for path in paths if path is not None]


def _still_used(session: Session, condition: ColumnElement[bool]) -> bool:
    return session.scalar(select(Download.id).where(condition).limit(1)) is not None


def _remover(paths: list[Path]) -> Callable[[Session], None]:
    def remove(_session: Session) -> None:
        for path in paths:
            remove_quietly(path)
    return remove


def _after_commit(session: Session, callback: Callable[[Session], None]) -> None:
    # Files go only once the rows are really gone: a rolled-back delete keeps its file.
    event.listen(session, "after_commit", callback, once=True)


def _redownload(session: Session, settings: Settings, rows: Sequence[Download]) -> list[Job]:
    """Queue each download's page again for its owner (whose library it refills)."""
    jobs = []
    for row in rows:
        owner = session.get(User, row.owner_id)
        job = _enqueue(session, settings, owner, row.url) if owner is not None else None
        if job is not None:
            jobs.append(job)
    return jobs


def _enqueue(session: Session, settings: Settings, owner: User, url: str) -> Job | None:
    try:
        return enqueue_job(session, settings, owner, url, quality="best")
    except UnsupportedURL:
        # One link no engine reads any more must not block the rest of the selection.
        return None
