"""The httpx client of one transfer.

httpcore reads 64 KiB per ``recv``; every read then passes through h11's parser in Python.
At loopback or LAN speed that per-read cost, not the network, is the limit, so a job
process raises the read size to 1 MiB (measured: client CPU per GiB falls by about half,
on par with curl). It is a class attribute without a public setting; it is only changed in
job processes, which exist to download, never in the web server.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from functools import cache
from http.cookiejar import LoadError, MozillaCookieJar
from pathlib import Path

import httpx

from mediadl.engines.base import EngineError

READ_SIZE = 1024 * 1024
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
MAX_REDIRECTS = 10
_tuned = False


def tune_reads() -> None:
    global _tuned
    if _tuned:
        return
    try:
        from httpcore._sync.http11 import HTTP11Connection
    except ImportError:  # a future httpcore: keep its defaults
        return
    if isinstance(getattr(HTTP11Connection, "READ_NUM_BYTES", None), int):
        HTTP11Connection.READ_NUM_BYTES = READ_SIZE
    _tuned = True


def default_headers(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Browser-like defaults; ``identity`` so Content-Length and ranges count file bytes."""
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    headers.update(extra or {})
    headers["Accept-Encoding"] = "identity"
    return headers


def load_cookies(path: Path | None) -> MozillaCookieJar | None:
    """A cookies.txt (the format browsers export and yt-dlp reads)."""
    if path is None:
        return None
    jar = MozillaCookieJar(str(path))
    try:
        jar.load(ignore_discard=True, ignore_expires=True)
    except (OSError, LoadError) as error:
        raise EngineError(f"The cookies file cannot be read: {error}") from error
    return jar


def make_client(connections: int, timeout: float, headers: Mapping[str, str] | None = None,
                proxy: str | None = None, cookie_file: Path | None = None) -> httpx.Client:
    tune_reads()
    try:
        return _client(connections, timeout, headers, proxy, load_cookies(cookie_file))
    except ImportError as error:  # a socks5:// proxy needs httpx's "socks" extra
        raise EngineError(f"This proxy cannot be used: {error}") from error


@cache
def tls_context() -> ssl.SSLContext:
    """Loading the CA bundle takes tens of milliseconds; one job makes several clients."""
    return httpx.create_ssl_context()


def _client(connections: int, timeout: float, headers: Mapping[str, str] | None,
            proxy: str | None, cookies: MozillaCookieJar | None) -> httpx.Client:
    return httpx.Client(
        headers=default_headers(headers), proxy=proxy, cookies=cookies, verify=tls_context(),
        timeout=httpx.Timeout(timeout, connect=timeout),
        limits=httpx.Limits(max_connections=connections + 1,
                            max_keepalive_connections=connections + 1),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
    )
