"""From a file an engine wrote to a library row: check, identify, hash, move, record.

Runs in the job's worker process for each ``FileWritten`` event, in two steps:
``prepare_file`` does everything slow that needs no database (the media probe, the hash, the
thumbnail, a picture's fingerprint) before the runner opens its transaction, because on
SQLite a write transaction holds the one write lock of the whole app; ``ingest_file`` then
only decides, moves (a rename) and records. A file is recorded exactly once per (job,
item): a job that runs again after a crash finds its earlier row and drops the duplicate.
"""

from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediadl.core.errors import BadRequest
from mediadl.core.settings import Settings
from mediadl.db.models import Download, Job
from mediadl.engines.base import FileWritten
from mediadl.library.duplicates import (
    picture_fingerprint,
    record_fingerprint,
    stored_twin,
)
from mediadl.library.media_types import (
    ALLOWED_EXTENSIONS,
    PROBE_OPTIONAL_EXTENSIONS,
    SUBTITLE_EXTENSIONS,
    category,
    media_kind,
    mime_type,
)
from mediadl.library.metadata import enriched
from mediadl.library.naming import library_name, safe_extension
from mediadl.library.probe import MediaInfo, probe_media
from mediadl.library.storage import (
    file_digest,
    library_relative_name,
    move_into_library,
    remove_quietly,
)
from mediadl.library.thumbnails import ensure_thumbnail

MAX_ITEM_KEY = 512
MAX_SOURCE = 255
MAX_TITLE = 1_000
MAX_DESCRIPTION = 20_000
MAX_TAGS = 4_000
MAX_METADATA_DEPTH = 8
# Bulky or secret parts of an engine's info dict that have no place in the library:
# format tables, fragment lists and the request headers (which may carry cookies).
DROPPED_METADATA_KEYS = frozenset({
    "formats", "requested_formats", "requested_downloads", "thumbnails", "fragments",
    "automatic_captions", "subtitles", "requested_subtitles", "http_headers", "cookies",
    "_format_sort_fields", "__files_to_move", "__postprocessors",
})


class UnsafeFile(BadRequest):
    default_detail = ("The downloaded file was refused: only media, image, subtitle and archive "
                      "files inside the job folder are added to the library.")


@dataclass(frozen=True)
class PreparedFile:
    """A finished file, checked and identified; nothing of it is in the database yet."""

    path: Path
    extension: str
    item_key: str
    title: str
    info: MediaInfo | None
    kind: str
    sha256: str
    size: int
    thumbnail: str | None
    fingerprint: int | None


def prepare_file(settings: Settings, written: FileWritten, job_dir: Path) -> PreparedFile:
    """Check and identify one finished file, outside any transaction."""
    path = verified_job_file(written.path, job_dir)
    extension = allowed_extension(path)
    info = readable_media(path, extension)
    kind = media_kind(extension, info)
    sha256, size = _digest(written, path)
    return PreparedFile(
        path=path, extension=extension, item_key=item_key_for(written, path, extension),
        title=_title(written, path), info=info, kind=kind, sha256=sha256, size=size,
        thumbnail=ensure_thumbnail(settings, path, sha256, kind, info),
        fingerprint=picture_fingerprint(kind, path))


def ingest_file(session: Session, settings: Settings, job: Job, written: FileWritten,
                prepared: PreparedFile) -> Download:
    """Add one prepared file of ``job`` to the library and return its (flushed) row."""
    existing = find_download(session, job.id, prepared.item_key)
    if existing is not None:
        remove_quietly(prepared.path)
        return existing
    download = _new_download(job, written, prepared)
    twin = stored_twin(session, settings, prepared.sha256, prepared.size)
    if twin is not None:
        return _link_to_twin(session, download, twin, prepared)
    name = library_name(source=written.source or job.source, title=prepared.title,
                        media_id=written.media_id, extension=prepared.extension,
                        max_bytes=settings.downloads.max_title_length)
    target = move_into_library(settings, prepared.path, name)
    try:
        download.filename = library_relative_name(settings, target)
        row = _insert_once(session, download, target)
        if row is download:
            record_fingerprint(session, row, prepared.fingerprint)
        return row
    except BaseException:
        remove_quietly(target)
        raise


def _digest(written: FileWritten, path: Path) -> tuple[str, int]:
    """The engine's own digest when it hashed the file while writing it (the http engine
    does; a 1 GiB file then is not read once more), else a fresh read."""
    known = (written.metadata or {}).get("sha256")
    size = path.stat().st_size
    if isinstance(known, str) and len(known) == 64 and (written.metadata or {}).get(
            "size") == size:
        return known.lower(), size
    return file_digest(path)


def _link_to_twin(session: Session, download: Download, twin: Download,
                  prepared: PreparedFile) -> Download:
    """The same bytes are in the library already: point at that file, store nothing."""
    download.filename, download.thumbnail = twin.filename, twin.thumbnail
    download.extra = {**(download.extra or {}), "duplicate_of": twin.id}
    row = _insert_once(session, download, None)
    remove_quietly(prepared.path)
    if row is download:
        record_fingerprint(session, row, prepared.fingerprint)
    return row


def verified_job_file(path: Path, job_dir: Path) -> Path:
    """The real path of a regular file inside ``job_dir``, reached without any symlink."""
    lexical_root = Path(os.path.abspath(job_dir))
    candidate = Path(os.path.abspath(job_dir / path))
    if not candidate.is_relative_to(lexical_root) or candidate == lexical_root:
        raise UnsafeFile("The downloaded file lies outside its job folder and was refused.")
    relative = candidate.relative_to(lexical_root)
    try:
        resolved = candidate.resolve(strict=True)
        root = job_dir.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise UnsafeFile("The downloaded file is missing from its job folder.") from exc
    if resolved != root / relative:
        raise UnsafeFile("The downloaded file is reached through a symbolic link and was refused.")
    _check_regular_file(resolved)
    return resolved


def allowed_extension(path: Path) -> str:
    extension = safe_extension(path.suffix)
    if extension not in ALLOWED_EXTENSIONS or extension != path.suffix.lstrip(".").lower():
        shown = path.suffix[:12] or "without an extension"
        raise UnsafeFile(f"A file {shown} is not a media, image, subtitle or archive file "
                         "and was not added to the library.")
    return extension


def item_key_for(written: FileWritten, path: Path, extension: str) -> str:
    """What makes this file unique within its job: the media id, or the file name.

    Subtitles share the media id of their video, so their language suffix is added
    ("abc:en.vtt") to keep each of them.
    """
    media_id = storable_text(written.media_id or "")
    if not media_id:
        return storable_text(path.name)[:MAX_ITEM_KEY]
    if extension in SUBTITLE_EXTENSIONS:
        suffix = "".join(path.suffixes[-2:]).lstrip(".")
        return storable_text(f"{media_id}:{suffix}")[:MAX_ITEM_KEY]
    return media_id[:MAX_ITEM_KEY]


def storable_text(text: str) -> str:
    """``text`` without what databases refuse: NUL (PostgreSQL text and JSONB) and lone
    surrogates (not encodable as UTF-8)."""
    if text.isascii():
        return text.replace("\x00", "")
    return text.encode("utf-8", errors="replace").decode("utf-8").replace("\x00", "")


def find_download(session: Session, job_id: int, item_key: str) -> Download | None:
    statement = select(Download).where(Download.job_id == job_id,
                                       Download.item_key == item_key)
    return session.scalars(statement).first()


def readable_media(path: Path, extension: str) -> MediaInfo | None:
    """libav's view of a media or image file; refuses what libav cannot read."""
    kind_of_file = category(extension)
    if kind_of_file not in ("playable", "image"):
        return None
    info = probe_media(path)
    if info is None and extension in PROBE_OPTIONAL_EXTENSIONS:
        return None
    # image2 trusts the extension and "reads" any bytes as a 0x0 picture.
    unreadable_image = kind_of_file == "image" and not (info and info.width and info.height)
    if info is None or info.is_indirect or unreadable_image:
        raise UnsafeFile(f"The downloaded .{extension} file is not readable media and was "
                         "not added to the library.")
    if kind_of_file == "playable" and not (info.has_video or info.has_audio):
        raise UnsafeFile(f"The downloaded .{extension} file holds neither video nor audio.")
    return info


def json_safe(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` that any JSON column accepts (no NaN, no objects, bounded depth)."""
    if depth > MAX_METADATA_DEPTH:
        return None
    if isinstance(value, dict):
        return {storable_text(str(key)): json_safe(item, depth + 1)
                for key, item in value.items() if str(key) not in DROPPED_METADATA_KEYS}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item, depth + 1) for item in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, int | bool):
        return value
    return storable_text(str(value))


def _check_regular_file(path: Path) -> None:
    status = os.lstat(path)
    if not stat.S_ISREG(status.st_mode):
        raise UnsafeFile("The downloaded path is not a regular file and was refused.")
    # A second name for the same data could be a hard link to a file outside the job.
    if status.st_nlink > 1:
        raise UnsafeFile("The downloaded file is a hard link and was refused.")


def _new_download(job: Job, written: FileWritten, prepared: PreparedFile) -> Download:
    metadata = json_safe(written.metadata or {})
    info, kind = prepared.info, prepared.kind
    return Download(
        owner_id=job.owner_id, job_id=job.id, item_key=prepared.item_key,
        url=_page_url(metadata) or job.url, platform=job.platform,
        source=_clip(written.source or job.source, MAX_SOURCE),
        title=_clip(prepared.title, MAX_TITLE),
        description=_clip(written.description or _text(metadata.get("description")),
                          MAX_DESCRIPTION),
        tags=_tags(metadata.get("tags")), kind=kind,
        width=info.width if info and kind != "audio" else None,
        height=info.height if info and kind != "audio" else None,
        duration=info.duration if info and kind in ("video", "audio") else None,
        extra=enriched(metadata, info), sha256=prepared.sha256, size=prepared.size,
        mime=mime_type(prepared.extension, kind), thumbnail=prepared.thumbnail,
    )


def _insert_once(session: Session, download: Download, target: Path | None) -> Download:
    """Insert ``download``, or return the row that won the race; ``target`` is the file
    this row brought into the library (None when it shares another row's file)."""
    try:
        # A savepoint: losing the race must not undo the rest of the caller's transaction.
        with session.begin_nested():
            session.add(download)
            session.flush()
    except IntegrityError:
        winner = find_download(session, download.job_id or 0, download.item_key)
        if winner is None:
            raise
        remove_quietly(target)
        return winner
    if target is not None:
        _remove_if_rolled_back(session, target)
    return download


def _remove_if_rolled_back(session: Session, target: Path) -> None:
    """A row the caller never commits must not leave its file behind in the library."""
    settled = False

    def on_commit(_session: Session) -> None:
        nonlocal settled
        settled = True

    def on_rollback(_session: Session) -> None:
        nonlocal settled
        if not settled:
            settled = True
            remove_quietly(target)

    event.listen(session, "after_commit", on_commit)
    event.listen(session, "after_rollback", on_rollback)


def _title(written: FileWritten, path: Path) -> str:
    return (written.title or _text(written.metadata.get("title")) or path.stem).strip()


def _page_url(metadata: dict[str, Any]) -> str | None:
    url = metadata.get("webpage_url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return url
    return None


def _tags(value: object) -> str | None:
    if not isinstance(value, list):
        return None
    words = [tag.strip() for tag in value if isinstance(tag, str) and tag.strip()]
    return _clip(" ".join(words), MAX_TAGS)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _clip(text: str | None, limit: int) -> str | None:
    return storable_text(text)[:limit] or None if text else None


__all__ = ["PreparedFile", "UnsafeFile", "ingest_file", "json_safe", "prepare_file",
           "storable_text", "verified_job_file"]
