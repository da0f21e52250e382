"""What a direct file is called and what kind it is, from its URL and the server's headers.

The name only has to be safe inside the job folder: the library gives the file its final
name. The server's ``Content-Disposition`` wins over the URL, as in a browser.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from email.message import Message
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from mediadl.engines.base import Kind

FALLBACK_STEM = "download"
MAX_STEM_CHARS = 100
VIDEO_EXTENSIONS = frozenset({"mp4", "m4v", "mkv", "webm", "mov", "avi", "flv", "ts", "mpg",
                              "mpeg", "wmv", "3gp", "ogv"})
AUDIO_EXTENSIONS = frozenset({"mp3", "m4a", "aac", "flac", "ogg", "oga", "opus", "wav",
                              "wma", "mka", "weba"})
IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "webp", "avif", "bmp", "tif",
                              "tiff", "heic", "jxl"})
# Types the system tables spell differently or not at all.
EXTENSIONS_BY_TYPE = {"video/mp4": "mp4", "audio/mp4": "m4a", "audio/mpeg": "mp3",
                      "image/jpeg": "jpg", "video/x-matroska": "mkv", "audio/ogg": "ogg",
                      "video/quicktime": "mov", "application/zip": "zip"}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def file_name(url: str, content_type: str | None, disposition: str | None) -> str:
    """``<stem>.<ext>`` for the file, never empty, never a path."""
    stem, extension = split_name(disposition_name(disposition) or url_name(url))
    extension = extension or extension_for_type(content_type) or "bin"
    return f"{safe_stem(stem)}.{extension}"


def title_for(name: str) -> str:
    return split_name(name)[0] or FALLBACK_STEM


def url_name(url: str) -> str:
    return unquote(PurePosixPath(urlsplit(url).path).name)


def url_extension(url: str) -> str:
    return split_name(url_name(url))[1]


def disposition_name(value: str | None) -> str | None:
    """``filename*=`` (RFC 6266, any charset) or ``filename=`` of a Content-Disposition."""
    if not value:
        return None
    message = Message()
    message["content-disposition"] = value
    name = message.get_filename()
    return PurePosixPath(name.replace("\\", "/")).name if name else None


def split_name(name: str) -> tuple[str, str]:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not re.fullmatch(r"[A-Za-z0-9]{1,10}", extension):
        return name, ""
    return stem, extension.lower()


def safe_stem(stem: str) -> str:
    text = unicodedata.normalize("NFC", stem)
    text = _UNSAFE.sub("_", text).strip(" .-_")
    return text[:MAX_STEM_CHARS].strip(" .") or FALLBACK_STEM


def extension_for_type(content_type: str | None) -> str | None:
    media_type = (content_type or "").split(";")[0].strip().lower()
    if not media_type or media_type == "application/octet-stream":
        return None
    known = EXTENSIONS_BY_TYPE.get(media_type) or mimetypes.guess_extension(media_type)
    return known.lstrip(".") if known else None


def kind_for(extension: str, content_type: str | None = None) -> Kind:
    media_type = (content_type or "").split("/")[0].lower()
    if extension in VIDEO_EXTENSIONS or (not extension and media_type == "video"):
        return "video"
    if extension in AUDIO_EXTENSIONS or (not extension and media_type == "audio"):
        return "audio"
    if extension in IMAGE_EXTENSIONS or (not extension and media_type == "image"):
        return "image"
    return "file"


def is_web_page(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type in ("text/html", "application/xhtml+xml")
