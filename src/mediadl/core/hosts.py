"""The site a link belongs to, as the queue counts it for per-site limits."""

from __future__ import annotations

from urllib.parse import urlsplit

# A DNS name is at most 253 characters; the jobs column holds 255.
MAX_SITE_LENGTH = 255


def site_of(url: str) -> str:
    """Lower-case host without a trailing dot or a leading ``www.``; "" when the link has
    none (the queue then counts such links as one site)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().rstrip(".").removeprefix("www.")[:MAX_SITE_LENGTH]
