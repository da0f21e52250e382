"""Saving one image: streamed into a part file of the job folder, named by the URL (or its
content type), renamed when complete."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from mediadl.engines.base import Emit, EngineError, Progress, Started
from mediadl.engines.forum.client import CHUNK_BYTES, ForumClient, PageAnswer, page_of

MEDIA_TYPES = ("image/", "video/")
_SAFE_STEM = re.compile(r"[^\w.-]+")
MAX_STEM = 80


class NotMedia(Exception):
    """The link answered with something else than an image: ``page`` holds what it said
    (the text of an HTML page, which the caller looks inside)."""

    def __init__(self, page: PageAnswer) -> None:
        super().__init__(page.content_type)
        self.page = page


def save_media(client: ForumClient, url: str, dest: Path, emit: Emit,
               referer: str | None = None) -> Path:
    """Download ``url`` into ``dest``; NotMedia when it answers with something else."""
    part = dest / f".part-{hashlib.sha256(url.encode()).hexdigest()[:16]}"
    with client.stream(url, referer) as response:
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if not is_media(content_type, url):
            raise NotMedia(page_of(response, content_type))
        total = _length(response.headers.get("content-length"))
        emit(Started(title=None, total_bytes=total))
        _write(part, response.iter_bytes(CHUNK_BYTES), total, emit)
    target = _free_path(dest / file_name(url, content_type))
    os.replace(part, target)
    return target


def _write(part: Path, chunks: object, total: int | None, emit: Emit) -> None:
    written = 0
    with part.open("wb") as handle:
        for chunk in chunks:  # type: ignore[attr-defined]
            handle.write(chunk)
            written += len(chunk)
            emit(Progress(downloaded_bytes=written, total_bytes=total))
    if total is not None and written < total:
        part.unlink(missing_ok=True)
        raise EngineError(f"The image was cut off after {written} of {total} bytes.",
                          transient=True)


def file_name(url: str, content_type: str) -> str:
    name = unquote(PurePosixPath(urlsplit(url).path).name)
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    guessed = (mimetypes.guess_extension(content_type) or "").lstrip(".")
    if not extension or (guessed and extension.lower() not in _extensions_of(content_type)):
        extension = guessed or extension or "bin"
    stem = _SAFE_STEM.sub("_", stem).strip("._")[:MAX_STEM] or "image"
    return f"{stem}.{extension.lower()}"


def _extensions_of(content_type: str) -> set[str]:
    found = {ext.lstrip(".") for ext in mimetypes.guess_all_extensions(content_type)}
    return found | ({"jpg", "jpeg"} if content_type == "image/jpeg" else set())


def is_media(content_type: str, url: str) -> bool:
    """An image or video by its type; a generic binary type counts when the URL's extension
    says image or video. A text answer never does (a hotlink-protection page)."""
    if content_type.startswith(MEDIA_TYPES):
        return True
    if content_type.startswith("text/"):
        return False
    guessed = mimetypes.guess_type(urlsplit(url).path)[0] or ""
    return guessed.startswith(MEDIA_TYPES)


def _length(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _free_path(path: Path) -> Path:
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate
