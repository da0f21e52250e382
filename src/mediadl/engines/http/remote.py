"""What a server tells about a file in its response headers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mediadl.engines.http.digest import Checksum, announced_checksum

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ContentRange:
    start: int
    end: int  # inclusive, as on the wire
    total: int | None


@dataclass(frozen=True)
class RemoteFile:
    url: str  # after redirects
    size: int | None
    ranges: bool
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    disposition: str | None = None
    checksum: Checksum | None = None

    @property
    def validator(self) -> str | None:
        """What ``If-Range`` sends: a strong ETag, else the date (weak ETags may not)."""
        if self.etag and not self.etag.startswith("W/"):
            return self.etag
        return self.last_modified

    def same_file(self, size: int | None, etag: str | None, last_modified: str | None) -> bool:
        """Whether a saved description still matches (so its bytes can be kept)."""
        if size != self.size:
            return False
        if etag and self.etag:
            return etag == self.etag
        if last_modified and self.last_modified:
            return last_modified == self.last_modified
        return not (etag or last_modified or self.etag or self.last_modified)


def parse_content_range(value: str | None) -> ContentRange | None:
    match = _CONTENT_RANGE.match(value or "")
    if match is None:
        return None
    total = None if match.group(3) == "*" else int(match.group(3))
    return ContentRange(int(match.group(1)), int(match.group(2)), total)


def remote_from_response(url: str, status: int, headers: Mapping[str, str]) -> RemoteFile:
    """Describe the file from a 200 or 206 answer (to a GET with ``Range: bytes=N-``)."""
    content_range = parse_content_range(headers.get("content-range")) if status == 206 else None
    if content_range is not None:
        size, ranges = content_range.total, True
    else:
        size = _length(headers.get("content-length"))
        ranges = "bytes" in (headers.get("accept-ranges") or "").lower()
    return RemoteFile(
        url=url, size=size, ranges=ranges and size is not None,
        etag=headers.get("etag"), last_modified=headers.get("last-modified"),
        content_type=headers.get("content-type"), disposition=headers.get("content-disposition"),
        checksum=announced_checksum(headers, whole_body=content_range is None),
    )


def _length(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())
