"""Duplicates: exact ones are never stored twice, near ones are listed for cleaning up.

* Exact: a new file whose sha256 and size match a file already in the library is not
  moved in; its row points at the stored file instead. Deleting one of the rows keeps the
  file for the others (``service.delete_rows`` removes a file only when no row is left).
* Near (pictures): each picture gets a perceptual fingerprint; ``duplicate_groups`` lists
  pictures within a few bits of each other - the same picture re-encoded, resized or
  recompressed, as reposts on Instagram and forums are.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediadl.core.settings import Settings
from mediadl.db.models import Download, User
from mediadl.db.models.library_ops import DownloadFingerprint
from mediadl.library.fingerprint import dhash, near_pairs, to_signed
from mediadl.library.listing import visible_to
from mediadl.library.schemas import DownloadOut, DuplicateGroup, DuplicatePage, DuplicateQuery
from mediadl.library.storage import resolve_inside

TWIN_CANDIDATES = 5


def stored_twin(session: Session, settings: Settings, sha256: str, size: int) -> Download | None:
    """A download whose file has exactly this content and is still on disk."""
    candidates = session.scalars(select(Download).where(Download.sha256 == sha256,
                                                        Download.size == size)
                                 .order_by(Download.id).limit(TWIN_CANDIDATES))
    for candidate in candidates:
        path = resolve_inside(settings.library_dir, candidate.filename)
        if path is not None and path.stat().st_size == size:
            return candidate
    return None


def picture_fingerprint(kind: str, path: Path) -> int | None:
    """A picture's perceptual hash; None for other kinds or unreadable files."""
    return dhash(path) if kind == "image" else None


def record_fingerprint(session: Session, download: Download, value: int | None) -> None:
    if value is not None:
        session.add(DownloadFingerprint(download_id=download.id, owner_id=download.owner_id,
                                        dhash=to_signed(value)))


# --- listing ---------------------------------------------------------------------------------

def duplicate_groups(session: Session, user: User, query: DuplicateQuery) -> DuplicatePage:
    """Groups of downloads that are the same content (exact) or look alike (similar),
    biggest groups first."""
    parent: dict[int, int] = {}
    worst: dict[int, int] = defaultdict(int)
    for first, second in _exact_pairs(session, user, query):
        _union(parent, first, second)
    if query.similar and query.kind in (None, "image"):
        hashes = _fingerprints(session, user)
        for first, second, apart in near_pairs(hashes, query.max_distance):
            _union(parent, first, second)
            worst[first] = max(worst[first], apart)
    groups = _components(parent)
    start = (query.page - 1) * query.page_size
    shown = groups[start:start + query.page_size]
    return DuplicatePage(items=_describe(session, shown, worst), total=len(groups),
                         page=query.page, page_size=query.page_size)


def _exact_pairs(session: Session, user: User, query: DuplicateQuery) -> list[tuple[int, int]]:
    conditions = [*visible_to(user)]
    if query.kind is not None:
        conditions.append(Download.kind == query.kind)
    shared = (select(Download.sha256).where(*conditions).group_by(Download.sha256)
              .having(func.count() > 1))
    rows = session.execute(select(Download.sha256, Download.id)
                           .where(*conditions, Download.sha256.in_(shared))
                           .order_by(Download.sha256, Download.id))
    first_of: dict[str, int] = {}
    pairs = []
    for sha256, row_id in rows:
        if sha256 in first_of:
            pairs.append((first_of[sha256], row_id))
        else:
            first_of[sha256] = row_id
    return pairs


def _fingerprints(session: Session, user: User) -> dict[int, int]:
    statement = select(DownloadFingerprint.download_id, DownloadFingerprint.dhash)
    if not user.is_admin:
        statement = statement.where(DownloadFingerprint.owner_id == user.id)
    return {row_id: value for row_id, value in session.execute(statement)}


def _union(parent: dict[int, int], first: int, second: int) -> None:
    root_a, root_b = _find(parent, first), _find(parent, second)
    if root_a != root_b:
        parent[max(root_a, root_b)] = min(root_a, root_b)


def _find(parent: dict[int, int], item: int) -> int:
    parent.setdefault(item, item)
    while parent[item] != item:
        parent[item] = parent[parent[item]]
        item = parent[item]
    return item


def _components(parent: dict[int, int]) -> list[list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for item in list(parent):
        groups[_find(parent, item)].append(item)
    found = [sorted(members) for members in groups.values() if len(members) > 1]
    return sorted(found, key=lambda members: (-len(members), -members[-1]))


def _describe(session: Session, groups: list[list[int]],
              worst: dict[int, int]) -> list[DuplicateGroup]:
    ids = [row_id for members in groups for row_id in members]
    rows = {row.id: row for row in session.scalars(select(Download).where(Download.id.in_(ids)))}
    described = []
    for members in groups:
        items = [rows[row_id] for row_id in members if row_id in rows]
        exact = len({item.sha256 for item in items}) == 1
        described.append(DuplicateGroup(
            kind="exact" if exact else "similar",
            max_distance=0 if exact else max(worst.get(row_id, 0) for row_id in members),
            total_size=sum(item.size for item in items),
            items=[DownloadOut.from_row(item) for item in items]))
    return described
