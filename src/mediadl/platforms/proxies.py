"""A platform's proxy: checked when an admin sets it, shown without its password."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")
MAX_PROXY_LENGTH = 2048


def check_proxy(value: str) -> str:
    """The proxy URL as given; ValueError with a readable reason otherwise."""
    proxy = value.strip()
    if len(proxy) > MAX_PROXY_LENGTH:
        raise ValueError(f"a proxy URL is at most {MAX_PROXY_LENGTH} characters")
    parts = urlsplit(proxy)
    if parts.scheme.lower() not in SCHEMES:
        raise ValueError(f"the proxy must start with one of {', '.join(SCHEMES)} ://")
    if not parts.hostname:
        raise ValueError("the proxy URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the proxy port is not a number from 1 to 65535") from None
    if port is None:
        raise ValueError("give the proxy's port, like http://proxy.example:8080")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("a proxy URL is scheme://[user:password@]host:port and no more")
    return proxy


def masked(proxy: str | None) -> str | None:
    """``scheme://user:***@host:port``: enough to recognise it, never the password."""
    if not proxy:
        return None
    parts = urlsplit(proxy)
    if parts.password is None:
        return proxy
    user = parts.username or ""
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    location = f"{user}:***@{host}:{parts.port}"
    return urlunsplit((parts.scheme, location, "", "", ""))
