"""HTTP answers for library files: ranges, safe headers, placeholders.

Downloaded files come from anywhere, so they are never given a chance to run in the
browser: ``nosniff`` stops content-type guessing, the sandbox CSP stops scripts even if a
file is opened directly, and files are attachments unless they are plain audio, video or
pictures.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable

SAFETY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
}
# SVG is a picture that can carry scripts: it is never shown inline.
INLINE_MIME_PREFIXES = ("audio/", "video/", "image/")
NEVER_INLINE_MIMES = frozenset({"image/svg+xml"})
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()\[\]+-]")


class LibraryFileResponse(FileResponse):
    """Starlette's FileResponse (single and multiple ranges, If-Range, 206) with one change:
    a malformed Range header is ignored and the whole file sent, as RFC 9110 asks, instead
    of a bare 400."""

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            return super()._parse_range_header(http_range, file_size)
        except MalformedRangeHeader:
            return []

    @classmethod
    def range_unsatisfiable(cls, http_range: str, file_size: int) -> bool:
        """True when the Range header asks only for bytes beyond the end of the file, so
        the caller can answer 416 in the API's own error format."""
        try:
            cls._parse_range_header(http_range, file_size)
        except RangeNotSatisfiable:
            return True
        return False


def may_show_inline(mime: str) -> bool:
    return mime.startswith(INLINE_MIME_PREFIXES) and mime not in NEVER_INLINE_MIMES


def content_disposition(name: str, *, inline: bool = False) -> str:
    """``attachment`` (or ``inline``) with an ASCII fallback name and the exact UTF-8 name
    in RFC 5987 form, so no quote, semicolon or newline in a title can break the header."""
    disposition = "inline" if inline else "attachment"
    encoded = quote(name, safe="")
    return f"{disposition}; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{encoded}"


def ascii_fallback(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    cleaned = _ASCII_UNSAFE.sub("_", decomposed).strip(" .")
    return cleaned or "download"


_PLACEHOLDER_SHAPES = {
    # A play triangle, a note, a mountain-and-sun picture and a folded page.
    "video": '<path d="M130 80 L200 120 L130 160 Z" fill="#9aa4b2"/>',
    "audio": '<path d="M150 70 L190 62 L190 150 A16 14 0 1 1 178 137 L178 90 L162 93 L162 158'
             ' A16 14 0 1 1 150 145 Z" fill="#9aa4b2"/>',
    "image": '<circle cx="130" cy="90" r="14" fill="#9aa4b2"/><path d="M90 170 L140 115'
             ' L170 145 L190 125 L230 170 Z" fill="#9aa4b2"/>',
    "file": '<path d="M130 60 L175 60 L200 85 L200 180 L130 180 Z" fill="none" '
            'stroke="#9aa4b2" stroke-width="8"/>',
}


def placeholder_svg(kind: str) -> str:
    shape = _PLACEHOLDER_SHAPES.get(kind, _PLACEHOLDER_SHAPES["file"])
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" '
            f'viewBox="0 0 320 240"><rect width="320" height="240" fill="#e6e9ee"/>{shape}</svg>')
