"""A yt-dlp info dict -> ProbeResult (and the metadata FileWritten carries)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from yt_dlp.utils import unsmuggle_url

from mediadl.engines.base import (
    QUALITIES,
    Entry,
    Kind,
    MediaFormat,
    ProbeResult,
    qualities_for_heights,
)

DEFAULT_ENTRY_LIMIT = 100
COLLECTION_TYPES = frozenset({"playlist", "multi_video"})
VIDEO_EXTS = frozenset({"mp4", "m4v", "webm", "mkv", "mov", "avi", "flv", "ts", "3gp", "ogv"})
AUDIO_EXTS = frozenset({"mp3", "m4a", "aac", "opus", "ogg", "oga", "flac", "wav", "weba", "mka"})
IMAGE_EXTS = frozenset({"jpg", "jpeg", "png", "gif", "webp", "avif", "bmp"})
PROBE_METADATA_KEYS = ("extractor", "webpage_url", "upload_date", "tags", "categories",
                       "channel", "view_count")
FILE_METADATA_KEYS = ("width", "height", "duration", "vcodec", "acodec", "ext", "uploader",
                      "upload_date", "webpage_url", "extractor", "tags")


def probe_result_from_info(url: str, info: dict[str, Any], entry_limit: int) -> ProbeResult:
    kind = kind_of(info)
    formats = media_formats(info)
    entries = collection_entries(info, entry_limit) if kind == "playlist" else []
    return ProbeResult(
        url=url, kind=kind, title=_text(info.get("title")), uploader=_text(info.get("uploader")),
        source=source_of(info, url), description=_text(info.get("description")),
        duration=_number(info.get("duration")), thumbnail=_text(info.get("thumbnail")),
        media_id=_text(info.get("id")), formats=formats,
        qualities=qualities_of(kind, formats), entries=entries,
        entry_count=_entry_count(info, entries) if kind == "playlist" else None,
        metadata=json_safe_subset(info, PROBE_METADATA_KEYS),
    )


def kind_of(info: dict[str, Any]) -> Kind:
    """playlist, video or audio from codecs; for direct files without codecs, the extension."""
    if info.get("_type") in COLLECTION_TYPES:
        return "playlist"
    streams = info.get("formats") or [info]
    if any(has_video(stream) for stream in streams):
        return "video"
    if streams and all(stream.get("vcodec") == "none" for stream in streams):
        return "audio"
    return kind_from_ext(str(info.get("ext") or ""))


def kind_from_ext(ext: str) -> Kind:
    ext = ext.lower()
    if ext in VIDEO_EXTS:
        return "video"
    if ext in AUDIO_EXTS:
        return "audio"
    return "image" if ext in IMAGE_EXTS else "file"


def has_video(stream: dict[str, Any]) -> bool:
    vcodec = stream.get("vcodec")
    return (vcodec not in (None, "none")) or bool(stream.get("height"))


def has_audio(stream: dict[str, Any]) -> bool:
    """Unknown codecs count as audio: a direct video file usually has a sound track."""
    return stream.get("acodec") != "none"


def media_formats(info: dict[str, Any]) -> list[MediaFormat]:
    # An extractor that finds a single stream puts it on the info dict itself.
    single = [info] if info.get("url") and info.get("format_id") else []
    streams = info.get("formats") or single
    return [to_media_format(item) for item in streams if is_media(item)]


def is_media(item: dict[str, Any]) -> bool:
    """Storyboards (thumbnail mosaics) are formats to yt-dlp, not to a person."""
    note = str(item.get("format_note") or "").lower()
    mhtml = "mhtml" in (item.get("ext"), item.get("protocol"))
    return not mhtml and "storyboard" not in note


def to_media_format(item: dict[str, Any]) -> MediaFormat:
    return MediaFormat(
        format_id=str(item.get("format_id") or ""), ext=_text(item.get("ext")),
        width=_integer(item.get("width")), height=_integer(item.get("height")),
        fps=_number(item.get("fps")), vcodec=_text(item.get("vcodec")),
        acodec=_text(item.get("acodec")),
        filesize=_integer(item.get("filesize") or item.get("filesize_approx")),
        tbr=_number(item.get("tbr")), note=_text(item.get("format_note")),
    )


def qualities_of(kind: Kind, formats: list[MediaFormat]) -> list[str]:
    """Presets worth offering. Collection entries are not resolved, so a ceiling is always
    offered for them (it falls back to the smallest variant when an item has nothing lower)."""
    if kind == "playlist":
        return list(QUALITIES)
    if kind == "image" or kind == "file":
        return ["best"]
    heights = [fmt.height for fmt in formats if fmt.height and fmt.vcodec != "none"]
    audio = not formats or any(fmt.acodec != "none" for fmt in formats)
    return qualities_for_heights(heights, has_audio=audio)


def collection_entries(info: dict[str, Any], limit: int) -> list[Entry]:
    entries: list[Entry] = []
    for item in info.get("entries") or []:
        if len(entries) >= limit:
            break
        entry = to_entry(item)
        if entry is not None:
            entries.append(entry)
    return entries


def to_entry(item: Any) -> Entry | None:
    if not isinstance(item, dict):
        return None
    url = _text(item.get("url") or item.get("webpage_url") or item.get("original_url"))
    if not url:
        return None
    key = _text(item.get("id")) or _smuggled_id(url) or url
    return Entry(url=url, title=_text(item.get("title")),
                 duration=_number(item.get("duration")), key=key)


def _smuggled_id(url: str) -> str | None:
    """Feed entries carry their id inside the URL (yt-dlp's "smuggled" data)."""
    _, data = unsmuggle_url(url, {})
    return _text(data.get("force_videoid")) if isinstance(data, dict) else None


def _entry_count(info: dict[str, Any], entries: list[Entry]) -> int:
    count = _integer(info.get("playlist_count"))
    return count if count is not None else len(entries)


def source_of(info: dict[str, Any], url: str) -> str | None:
    """Who published it: uploader, channel, else the site's host name."""
    for key in ("uploader", "channel", "playlist_uploader"):
        if _text(info.get(key)):
            return _text(info.get(key))
    return urlsplit(str(info.get("webpage_url") or url)).hostname


def file_metadata(info: dict[str, Any]) -> dict[str, Any]:
    metadata = json_safe_subset(info, FILE_METADATA_KEYS)
    if "webpage_url" in metadata:
        metadata["webpage_url"] = unsmuggle_url(metadata["webpage_url"])[0]
    return metadata


def json_safe_subset(info: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """Only scalars and lists of strings: metadata is stored as JSON and shown in the UI."""
    picked: dict[str, Any] = {}
    for key in keys:
        value = info.get(key)
        if isinstance(value, (str, int, float, bool)):
            picked[key] = value
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            picked[key] = list(value)
    return picked


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None
