"""Which files the library accepts, what they are called (MIME) and what kind they are.

An allowlist, not a denylist: anything else an engine leaves behind (``.part``, ``.ytdl``,
``.html``, scripts, executables) never reaches the library.
"""

from __future__ import annotations

import mimetypes

from mediadl.library.probe import MediaInfo

VIDEO_EXTENSIONS = frozenset({"mp4", "m4v", "mkv", "webm", "mov", "avi", "flv", "ts", "mts",
                              "m2ts", "mpg", "mpeg", "wmv", "3gp", "ogv"})
AUDIO_EXTENSIONS = frozenset({"mp3", "m4a", "aac", "opus", "ogg", "oga", "flac", "wav",
                              "wma", "mka", "aif", "aiff", "weba", "alac"})
IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff",
                              "avif", "heic", "heif", "jxl"})
SUBTITLE_EXTENSIONS = frozenset({"srt", "vtt", "ass", "ssa", "lrc", "ttml"})
# Disk images (iso) are what people fetch from mirrors with a download manager.
ARCHIVE_EXTENSIONS = frozenset({"zip", "cbz", "cbr", "rar", "7z", "tar", "iso"})
# Opaque payloads of direct-file downloads (the fake engine writes ``<slug>.bin``).
DATA_EXTENSIONS = frozenset({"bin"})

PLAYABLE_EXTENSIONS = VIDEO_EXTENSIONS | AUDIO_EXTENSIONS
ALLOWED_EXTENSIONS = (PLAYABLE_EXTENSIONS | IMAGE_EXTENSIONS | SUBTITLE_EXTENSIONS
                      | ARCHIVE_EXTENSIONS | DATA_EXTENSIONS)
# Pictures this ffmpeg may not decode; they are accepted without a probe.
PROBE_OPTIONAL_EXTENSIONS = frozenset({"avif", "heic", "heif", "jxl"})

# Our own table first: system MIME databases differ between machines and miss many of these.
MIME_TYPES = {
    "mp4": "video/mp4", "m4v": "video/mp4", "mkv": "video/x-matroska", "webm": "video/webm",
    "mov": "video/quicktime", "avi": "video/x-msvideo", "flv": "video/x-flv",
    "ts": "video/mp2t", "mts": "video/mp2t", "m2ts": "video/mp2t", "mpg": "video/mpeg",
    "mpeg": "video/mpeg", "wmv": "video/x-ms-wmv", "3gp": "video/3gpp", "ogv": "video/ogg",
    "mp3": "audio/mpeg", "m4a": "audio/mp4", "aac": "audio/aac", "opus": "audio/ogg",
    "ogg": "audio/ogg", "oga": "audio/ogg", "flac": "audio/flac", "wav": "audio/wav",
    "wma": "audio/x-ms-wma", "mka": "audio/x-matroska", "aif": "audio/aiff",
    "aiff": "audio/aiff", "weba": "audio/webm", "alac": "audio/mp4",
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
    "webp": "image/webp", "bmp": "image/bmp", "tif": "image/tiff", "tiff": "image/tiff",
    "avif": "image/avif", "heic": "image/heic", "heif": "image/heif", "jxl": "image/jxl",
    "srt": "application/x-subrip", "vtt": "text/vtt", "ass": "text/x-ssa",
    "ssa": "text/x-ssa", "lrc": "text/plain", "ttml": "application/ttml+xml",
    "zip": "application/zip", "cbz": "application/vnd.comicbook+zip",
    "cbr": "application/vnd.comicbook-rar", "rar": "application/vnd.rar",
    "7z": "application/x-7z-compressed", "tar": "application/x-tar",
    "iso": "application/x-iso9660-image",
    "bin": "application/octet-stream",
}
FALLBACK_MIME = "application/octet-stream"


def category(extension: str) -> str:
    """"playable", "image", "subtitle" or "file" for an allowed extension."""
    if extension in PLAYABLE_EXTENSIONS:
        return "playable"
    if extension in IMAGE_EXTENSIONS:
        return "image"
    if extension in SUBTITLE_EXTENSIONS:
        return "subtitle"
    return "file"


def media_kind(extension: str, info: MediaInfo | None) -> str:
    """The library kind: video, audio, image or file. Content decides over the name for
    playable files, so an audio-only ".webm" is audio."""
    if extension in IMAGE_EXTENSIONS:
        return "image"
    if extension in PLAYABLE_EXTENSIONS and info is not None:
        if info.has_video:
            return "video"
        if info.has_audio:
            return "audio"
    return "file"


def mime_type(extension: str, kind: str) -> str:
    mime = MIME_TYPES.get(extension) or mimetypes.guess_type(f"x.{extension}")[0]
    mime = mime or FALLBACK_MIME
    # The container name is shared by audio and video ("webm", "mp4", "ogg").
    if kind == "audio" and mime.startswith("video/"):
        return "audio/" + mime.removeprefix("video/")
    if kind == "video" and mime.startswith("audio/"):
        return "video/" + mime.removeprefix("audio/")
    return mime
