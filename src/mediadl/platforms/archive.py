"""Never store the same thing twice.

Two checks, both per owner (each user has a library of their own):

* the download archive: platform + media id (a YouTube video id, an Instagram post, the link
  of a forum image) of every item a job completed. A collection's entries already in it
  are not queued again; a job for one is completed at once as "already downloaded".
* the content hash: a finished file whose sha256 is already in the owner's library is
  dropped and the existing download reported instead (the same picture re-posted under
  another link, the same video under another URL).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediadl.db.models import Download
from mediadl.db.models.platforms import ArchivedItem, SkippedItem

MAX_MEDIA_ID = 512
CHUNK = 500


def archived(session: Session, owner_id: int, platform: str,
             media_id: str | None) -> ArchivedItem | None:
    if not media_id:
        return None
    return session.scalars(select(ArchivedItem).where(
        ArchivedItem.owner_id == owner_id, ArchivedItem.platform == platform,
        ArchivedItem.media_id == media_id[:MAX_MEDIA_ID])).first()


def archived_keys(session: Session, owner_id: int, platform: str,
                  keys: Iterable[str]) -> set[str]:
    """The ``keys`` already in the archive (asked in chunks: SQLite caps bound values)."""
    wanted = list(dict.fromkeys(key[:MAX_MEDIA_ID] for key in keys))
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        found.update(session.scalars(select(ArchivedItem.media_id).where(
            ArchivedItem.owner_id == owner_id, ArchivedItem.platform == platform,
            ArchivedItem.media_id.in_(wanted[start:start + CHUNK]))))
    return found


def remember(session: Session, owner_id: int, platform: str, media_id: str | None,
             download_id: int | None, job_id: int | None) -> None:
    """Add an item to the archive; an item already there keeps its download, or takes
    this one when its file was deleted from the library since."""
    if not media_id:
        return
    known = archived(session, owner_id, platform, media_id)
    if known is not None:
        known.download_id = known.download_id or download_id
        return
    try:
        with session.begin_nested():
            session.add(ArchivedItem(owner_id=owner_id, platform=platform,
                                     media_id=media_id[:MAX_MEDIA_ID],
                                     download_id=download_id, job_id=job_id))
    except IntegrityError:
        pass  # another job of the same owner archived it a moment ago


def link_skip(session: Session, job_id: int, download_id: int) -> None:
    """The skipped job lists the download it found (a row, not a second file)."""
    if download_id:
        session.add(SkippedItem(job_id=job_id, download_id=download_id))


def linked_downloads(session: Session, job_ids: list[int]) -> list[tuple[int, int]]:
    """(job id, download id) of the downloads skipped jobs stand for."""
    rows = session.execute(select(SkippedItem.job_id, SkippedItem.download_id)
                           .where(SkippedItem.job_id.in_(job_ids))
                           .order_by(SkippedItem.download_id))
    return [(job_id, download_id) for job_id, download_id in rows]


def same_file_in_library(session: Session, owner_id: int, sha256: str,
                         size: int) -> Download | None:
    """The owner's download with exactly these bytes, if any."""
    return session.scalars(select(Download).where(
        Download.owner_id == owner_id, Download.sha256 == sha256, Download.size == size)
        .order_by(Download.id)).first()
