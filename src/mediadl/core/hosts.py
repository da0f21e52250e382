"""The host of a link, and the site it belongs to as the queue counts it for per-site
limits."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

# A DNS name is at most 253 characters; the jobs column holds 255.
MAX_SITE_LENGTH = 255


@lru_cache(maxsize=256)  # adding a link asks for its host three times (guard, route, site)
def host_of(url: str) -> str:
    """The link's host in lower case, without a trailing dot; "" when it has none."""
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def site_of(url: str) -> str:
    """The host without a leading ``www.``; "" when the link has none (the queue then
    counts such links as one site)."""
    return host_of(url).removeprefix("www.")[:MAX_SITE_LENGTH]
