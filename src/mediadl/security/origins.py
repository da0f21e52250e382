"""Is a request from our own site? Origin checks for writes and cookie requests (CSRF).

A browser names the page a request comes from in ``Origin`` (and ``Referer``). Our own
origin is taken from the request: the ``Host`` header, with the port of the Origin's
scheme when Host carries none, because a TLS-terminating proxy usually forwards
``Host: media.example.org`` for ``https://media.example.org``. Origins named in
``security.allowed_origins`` (and ``cors_origins``) are trusted as well.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from mediadl.core.errors import Forbidden
from mediadl.core.settings import Settings

CSRF_HEADER = "X-Requested-With"
CSRF_VALUE = "mediadl"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
ORIGIN_PATTERN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
CROSS_SITE_DETAIL = ("This request came from another site and was refused; if mediadl runs "
                     "behind a proxy, set MEDIADL_SECURITY__ALLOWED_ORIGINS to its public URL.")


def validated_origins(origins: list[str], setting: str) -> list[str]:
    """Exact ``scheme://host[:port]`` origins; ValueError for '*', paths or other forms."""
    cleaned = [origin.strip().rstrip("/") for origin in origins]
    for origin in cleaned:
        if not ORIGIN_PATTERN.fullmatch(origin):
            raise ValueError(f"{setting}: '{origin}' is not an origin like "
                             "https://media.example.org (no '*', no path)")
    return [origin.lower() for origin in cleaned]


def request_origin(connection: HTTPConnection) -> str | None:
    """Where the browser says the request comes from: Origin, else the Referer's origin."""
    origin = connection.headers.get("origin")
    if origin is None:
        referer = connection.headers.get("referer")
        if not referer:
            return None
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"
    return origin.strip().lower()


def is_trusted_origin(connection: HTTPConnection, settings: Settings, origin: str) -> bool:
    if origin in _configured_origins(settings):
        return True
    return _same_site(origin, connection.headers.get("host", ""))


def check_origin(connection: HTTPConnection, settings: Settings) -> None:
    """Forbidden when the browser says the request comes from a foreign site."""
    origin = request_origin(connection)
    if origin is not None and not is_trusted_origin(connection, settings, origin):
        raise Forbidden(CROSS_SITE_DETAIL)


def check_cookie_request(connection: HTTPConnection, settings: Settings) -> None:
    """A write authenticated by cookie alone: our custom header (which another site cannot
    send without a CORS preflight we never grant) and, when given, our own origin."""
    if connection.headers.get(CSRF_HEADER, "").lower() != CSRF_VALUE:
        raise Forbidden(f"Requests that rely on the login cookie need the header "
                        f"'{CSRF_HEADER}: {CSRF_VALUE}'.")
    check_origin(connection, settings)


def _configured_origins(settings: Settings) -> set[str]:
    configured = [*settings.security.allowed_origins, *settings.cors_origins]
    return {origin.strip().rstrip("/").lower() for origin in configured}


def _same_site(origin: str, host_header: str) -> bool:
    parts = urlsplit(origin)
    try:
        origin_port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        host = urlsplit(f"//{host_header}")
        host_port = host.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return False
    return (bool(parts.hostname) and parts.hostname == (host.hostname or "").lower()
            and origin_port == host_port)
