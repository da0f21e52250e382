"""Readable, safe library paths from hostile remote names.

Titles, uploaders and ids come from remote sites and may hold anything: path separators,
``..``, control characters, bidi overrides, Windows device names, megabytes of emoji.
A library path is ``<source>/<title> [<id>].<ext>``; every component is cleaned here so it
can never leave the library folder, hide itself, pose as an option, or break a file
system's 255-byte name limit.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

FALLBACK_TITLE = "untitled"
FALLBACK_SOURCE = "unknown"
MAX_ID_BYTES = 64
MAX_EXTENSION_CHARS = 10
MAX_COPY_NUMBER = 10_000

# Characters Windows (and SMB shares) refuse in names, mapped to look-alikes a person can
# still read; '/' and '\' are path separators everywhere that matters.
_REPLACEMENTS = str.maketrans({
    "/": "_", "\\": "_", ":": "_", "*": "_", "?": "_", "|": "_",
    '"': "'", "<": "(", ">": ")",
})

# Invisible format characters that are part of real text and emoji and therefore kept:
# zero-width (non-)joiner builds emoji sequences, tag characters build subdivision flags.
_KEPT_FORMAT_CHARS = frozenset({"\u200c", "\u200d"})
_TAG_CHARS = range(0xE0020, 0xE0080)

# Names Windows maps to devices, whatever extension follows them.
RESERVED_DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{prefix}{digit}" for prefix in ("COM", "LPT") for digit in "0123456789¹²³"}
)


def safe_component(text: str | None, *, max_bytes: int, fallback: str) -> str:
    """One path component: cleaned, bounded to ``max_bytes`` of UTF-8, never empty."""
    cleaned = _trim_edges(_collapse_spaces(_replace_unsafe_chars(_normalise(text or ""))))
    bounded = _trim_edges(truncate_utf8(cleaned, max_bytes))
    bounded = _avoid_device_name(bounded)
    bounded = _trim_edges(truncate_utf8(bounded, max_bytes))
    return bounded or fallback


def safe_extension(extension: str | None) -> str:
    """Lower-case ASCII letters and digits only, at most 10 of them; "" when nothing is left."""
    text = (extension or "").lower().lstrip(".")
    return "".join(char for char in text if char.isascii() and char.isalnum())[
        :MAX_EXTENSION_CHARS]


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 form fits ``max_bytes``, cut between
    characters (never inside one)."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


@dataclass(frozen=True)
class LibraryName:
    """The cleaned parts of one library path; ``relative_path(n)`` adds a `` (n)`` copy mark."""

    source: str
    title: str
    media_id: str | None
    extension: str
    max_bytes: int

    def file_name(self, copy_number: int = 1) -> str:
        tail = f" [{self.media_id}]" if self.media_id else ""
        if copy_number > 1:
            tail += f" ({copy_number})"
        # The title gives way, so the id and the copy mark always survive.
        budget = max(1, self.max_bytes - len(tail.encode("utf-8")))
        title = _trim_edges(truncate_utf8(self.title, budget)) or FALLBACK_TITLE
        suffix = f".{self.extension}" if self.extension else ""
        return f"{title}{tail}{suffix}"

    def relative_path(self, copy_number: int = 1) -> PurePosixPath:
        return PurePosixPath(self.source, self.file_name(copy_number))


def library_name(*, source: str | None, title: str | None, media_id: str | None,
                 extension: str | None, max_bytes: int) -> LibraryName:
    """Clean every remote part of a library path."""
    id_part = safe_component(media_id, max_bytes=MAX_ID_BYTES, fallback="") or None
    return LibraryName(
        source=safe_component(source, max_bytes=max_bytes, fallback=FALLBACK_SOURCE),
        title=safe_component(title, max_bytes=max_bytes, fallback=FALLBACK_TITLE),
        media_id=id_part,
        extension=safe_extension(extension),
        max_bytes=max_bytes,
    )


def claim_unique_path(base: Path, name: LibraryName) -> Path:
    """Create an empty placeholder at the first free ``name`` under ``base`` and return it.

    The placeholder is created with O_EXCL, so two workers ingesting at once can never pick
    the same name; the caller then ``os.replace``-s its file onto the placeholder.
    """
    folder = base / name.source
    folder.mkdir(parents=True, exist_ok=True)
    for copy_number in range(1, MAX_COPY_NUMBER + 1):
        candidate = folder / name.file_name(copy_number)
        try:
            descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        os.close(descriptor)
        return candidate
    raise FileExistsError(f"no free name left for {name.file_name()!r} in {folder}")


def _normalise(text: str) -> str:
    # NFC: the same title typed on macOS and Linux becomes the same bytes.
    return unicodedata.normalize("NFC", text)


def _replace_unsafe_chars(text: str) -> str:
    return "".join(_replace_char(char) for char in text.translate(_REPLACEMENTS))


def _replace_char(char: str) -> str:
    category = unicodedata.category(char)
    if category in ("Cc", "Zl", "Zp") or char.isspace():
        return " "
    if category == "Cs":  # lone surrogates cannot even be encoded
        return ""
    if category == "Cf" and char not in _KEPT_FORMAT_CHARS and ord(char) not in _TAG_CHARS:
        # Bidi overrides (U+202E) would make "evil\u202egpj.exe" read as "evilexe.jpg".
        return ""
    return char


def _collapse_spaces(text: str) -> str:
    return " ".join(part for part in text.split(" ") if part)


def _trim_edges(text: str) -> str:
    # Leading dots hide files (and make ".." possible), leading dashes look like options,
    # trailing dots and spaces are silently dropped by Windows.
    return text.lstrip(" .-").rstrip(" .")


def _avoid_device_name(text: str) -> str:
    stem, dot, rest = text.partition(".")
    if stem.rstrip(" ").upper() in RESERVED_DEVICE_NAMES:
        return f"{stem}_{dot}{rest}"
    return text
