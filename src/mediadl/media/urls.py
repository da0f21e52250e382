"""What counts as a URL mediadl will fetch. Shared by parse and the queue."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_URL_LENGTH = 4096
# Control characters and whatever str.isspace() calls a space (the regex engine's \s
# is that same test); one search instead of a Python loop over each character.
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x1f\s]")


def validate_media_url(value: str) -> str:
    """Only absolute http(s) URLs with a host; nothing that could be read as a flag."""
    url = value.strip()
    if not url:
        raise ValueError("a URL is required")
    if url.startswith("-"):
        raise ValueError("a URL cannot start with '-'")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"a URL is at most {MAX_URL_LENGTH} characters")
    if _SPACE_OR_CONTROL.search(url):
        raise ValueError("a URL cannot contain spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("only http and https URLs can be downloaded")
    if not parts.hostname:
        raise ValueError("the URL has no host name")
    return url
