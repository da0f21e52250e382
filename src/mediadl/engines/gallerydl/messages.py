"""gallery-dl's ``--dump-json`` answer -> ProbeResult.

The dump is a list of messages: ``[2, post]`` (a directory: a post or gallery),
``[3, file_url, file]`` (a file), ``[6, url, info]`` (a link gallery-dl would hand to another
extractor: a post of a profile, an image page of a gallery), ``[-1, error]``.

Files of several posts that each have a page of their own become a collection, one entry
per post; otherwise everything is one item, downloaded by one job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mediadl.engines.base import EngineError, Entry, Kind, ProbeResult
from mediadl.engines.gallerydl import metadata as meta
from mediadl.engines.gallerydl.errors import clean

DIRECTORY, URL, QUEUE, ERROR = 2, 3, 6, -1


@dataclass
class Dump:
    posts: list[meta.Info] = field(default_factory=list)
    files: list[meta.Info] = field(default_factory=list)
    queued: list[tuple[str, meta.Info]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse_dump(raw: str) -> Dump:
    try:
        messages = json.loads(raw) if raw.strip() else []
    except json.JSONDecodeError as error:
        raise EngineError(f"gallery-dl answered something unreadable: {error}") from None
    dump = Dump()
    for message in messages if isinstance(messages, list) else []:
        _add(dump, message)
    return dump


def _add(dump: Dump, message: Any) -> None:
    if not isinstance(message, list) or not message:
        return
    kind, info = message[0], message[-1] if isinstance(message[-1], dict) else {}
    if kind == DIRECTORY:
        dump.posts.append(info)
    elif kind == URL and len(message) == 3:
        dump.files.append({**info, "_file_url": str(message[1])})
    elif kind == QUEUE and len(message) == 3 and isinstance(message[1], str):
        dump.queued.append((message[1], info))
    elif kind == ERROR:
        dump.errors.append(clean(f"{info.get('error', 'Error')}: {info.get('message', '')}"))


def probe_result(url: str, dump: Dump, limit: int) -> ProbeResult:
    entries = collection_entries(url, dump, limit)
    if entries:
        return _collection(url, dump, entries)
    if not dump.files:
        raise EngineError(dump.errors[-1] if dump.errors else "gallery-dl found nothing here")
    return _single(url, dump)


def collection_entries(url: str, dump: Dump, limit: int) -> list[Entry]:
    """One entry per post with a page of its own, plus every queued link; [] when the
    link is one post (or a gallery without pages per image)."""
    posts = _posts_with_pages(url, dump.files)
    if len(posts) < 2 and not dump.queued:
        return []
    entries = [Entry(url=page, title=meta.title(info), key=meta.item_key(info, page))
               for page, info in posts.items()]
    entries += [Entry(url=link, title=meta.title(info), key=_queued_key(link, info))
                for link, info in dump.queued]
    unique = {entry.key: entry for entry in entries}
    return list(unique.values())[:limit]


def _posts_with_pages(url: str, files: list[meta.Info]) -> dict[str, meta.Info]:
    pages: dict[str, meta.Info] = {}
    for info in files:
        page = meta.post_url(info)
        if page is None:
            return {}
        pages.setdefault(page, info)
    return pages


def _queued_key(link: str, info: meta.Info) -> str:
    return meta.item_key(info, link) if meta.post_id(info) else link[:500]


def _collection(url: str, dump: Dump, entries: list[Entry]) -> ProbeResult:
    head = dump.posts[0] if dump.posts else (dump.files[0] if dump.files else {})
    return ProbeResult(
        url=url, kind="gallery", title=meta.title(head) or meta.author(head),
        uploader=meta.author(head), source=meta.author(head),
        entries=entries, entry_count=len(entries),
        metadata={"extractor": "gallery-dl", "category": head.get("category")},
    )


def _single(url: str, dump: Dump) -> ProbeResult:
    info = {**(dump.posts[0] if dump.posts else {}), **dump.files[0]}
    kind: Kind = "video" if all(meta.is_video(item) for item in dump.files) else "image"
    return ProbeResult(
        url=url, kind=kind, title=meta.title(info), uploader=meta.author(info),
        source=meta.author(info), description=meta.caption(info),
        thumbnail=info.get("_file_url") if kind == "image" else None,
        media_id=meta.item_key(info, url),
        metadata={**meta.file_metadata(info, url), "file_count": len(dump.files)},
    )
