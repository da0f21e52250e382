"""What gallery-dl tells about a file or post -> ids, author, date, caption.

gallery-dl's extractors name things differently (Instagram: ``username``, ``post_shortcode``;
TikTok: ``author.uniqueId``, ``desc``; image hosts: ``filename`` only), so each field is the
first of a few names that is present.
"""

from __future__ import annotations

from typing import Any

Info = dict[str, Any]

POST_ID_KEYS = ("post_shortcode", "shortcode", "post_id", "gallery_id", "album_id", "id")
POST_URL_KEYS = ("post_url", "page_url", "webpage_url", "permalink")
AUTHOR_KEYS = ("username", "author", "uploader", "user", "owner", "artist")
AUTHOR_NAME_KEYS = ("uniqueId", "username", "name", "nick", "nickname")
CAPTION_KEYS = ("description", "desc", "caption", "content", "title")
DATE_KEYS = ("post_date", "date", "created_at")
KEPT_KEYS = ("category", "subcategory", "width", "height", "extension", "tags", "num",
             "count", "likes", "views")
TITLE_LENGTH = 120
VIDEO_EXTENSIONS = frozenset({"mp4", "webm", "mov", "m4v", "mkv"})


def text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def first(info: Info, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        found = text(info.get(key))
        if found:
            return found
    return None


def post_id(info: Info) -> str | None:
    return first(info, POST_ID_KEYS)


def post_url(info: Info) -> str | None:
    url = first(info, POST_URL_KEYS)
    return url if url and url.startswith(("http://", "https://")) else None


def item_key(info: Info, url: str) -> str:
    """The archive key of a post: ``<category>:<post id>``, the same whether the post is an
    entry of a profile or a link of its own, so a post is never fetched twice."""
    category = text(info.get("category")) or "gallerydl"
    return f"{category}:{post_id(info) or url}"[:500]


def file_key(info: Info, url: str) -> str:
    """Unique per file within a post (a carousel has several)."""
    number = text(info.get("num")) or text(info.get("filename")) or "1"
    return f"{item_key(info, url)}:{number}"[:500]


def author(info: Info) -> str | None:
    for key in AUTHOR_KEYS:
        value = info.get(key)
        if isinstance(value, dict):
            value = first(value, AUTHOR_NAME_KEYS)
        found = text(value)
        if found:
            return found
    return None


def caption(info: Info) -> str | None:
    return first(info, CAPTION_KEYS)


def published(info: Info) -> str | None:
    return first(info, DATE_KEYS)


def title(info: Info) -> str | None:
    words = caption(info)
    if words:
        line = words.splitlines()[0].strip()
        return line[:TITLE_LENGTH] or None
    who, ident = author(info), post_id(info)
    return " ".join(part for part in (who, ident) if part) or None


def is_video(info: Info) -> bool:
    return str(info.get("extension") or "").lower() in VIDEO_EXTENSIONS


def file_metadata(info: Info, url: str) -> dict[str, Any]:
    """What the library keeps: post id, author, date, caption, the page, a few counts."""
    kept: dict[str, Any] = {key: info[key] for key in KEPT_KEYS if _scalar_or_words(info.get(key))}
    extra = {"post_id": post_id(info), "author": author(info), "date": published(info),
             "caption": caption(info), "webpage_url": post_url(info) or url,
             "extractor": "gallery-dl"}
    kept.update({key: value for key, value in extra.items() if value})
    return kept


def _scalar_or_words(value: Any) -> bool:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value != ""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
