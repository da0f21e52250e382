"""What the library keeps about a file besides its bytes: the media facts libav found
(container, codecs, resolution, duration) and the engine's facts made uniform across
sites (uploader, post date, tags), stored in the download's ``metadata``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mediadl.library.probe import MediaInfo

UPLOADER_KEYS = ("uploader", "channel", "creator", "artist", "author", "username")
MAX_TAGS = 100


def enriched(metadata: dict[str, Any], info: MediaInfo | None) -> dict[str, Any]:
    """``metadata`` plus ``media`` (from libav), ``uploader``, ``posted_at`` and ``tags``."""
    result = dict(metadata)
    if info is not None:
        result["media"] = media_facts(info)
    uploader = _first_text(metadata, UPLOADER_KEYS)
    if uploader:
        result["uploader"] = uploader
    posted = posted_at(metadata)
    if posted:
        result["posted_at"] = posted
    tags = _tags(metadata.get("tags"))
    if tags:
        result["tags"] = tags
    return result


def media_facts(info: MediaInfo) -> dict[str, Any]:
    facts = {"container": info.format_name, "video_codec": info.vcodec,
             "audio_codec": info.acodec, "width": info.width, "height": info.height,
             "duration": info.duration}
    return {key: value for key, value in facts.items() if value is not None}


def posted_at(metadata: dict[str, Any]) -> str | None:
    """When the original was posted, as ISO 8601 UTC: a timestamp, else an upload date."""
    for key in ("timestamp", "release_timestamp"):
        value = metadata.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            try:
                moment = datetime.fromtimestamp(value, UTC)
            except (OverflowError, OSError, ValueError):
                continue
            return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    for key in ("upload_date", "release_date"):
        day = _yyyymmdd(metadata.get(key))
        if day:
            return day
    return None


def _yyyymmdd(value: object) -> str | None:
    if not isinstance(value, str) or len(value) != 8 or not value.isdigit():
        return None
    try:
        return datetime.strptime(value, "%Y%m%d").date().isoformat()
    except ValueError:
        return None


def _first_text(metadata: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:255]
    return None


def _tags(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [tag.strip()[:100] for tag in value if isinstance(tag, str) and tag.strip()][:MAX_TAGS]
