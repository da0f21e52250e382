"""HTTP for the forum engine: one client per job with the platform's cookies and proxy,
paced to the platform's least interval between requests, with failures turned into
EngineErrors that say whether trying again can help."""

from __future__ import annotations

import http.cookiejar
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from mediadl.engines.base import EngineError, FetchOptions
from mediadl.engines.ratelimit import pacer_for

USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/130.0 Safari/537.36")
MAX_PAGE_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
BOT_CHECK_MARKERS = ("cf-chl", "just a moment...", "challenge-platform", "captcha")


@dataclass(frozen=True)
class PageAnswer:
    url: str  # after redirects
    content_type: str
    text: str


class ForumClient:
    def __init__(self, options: FetchOptions) -> None:
        self.options = options
        self.pacer = pacer_for(options)  # shared with every job process of the platform
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept-Language": "en"},
            cookies=_cookie_jar(options.cookie_file), proxy=options.proxy or None,
            timeout=options.socket_timeout, follow_redirects=True, max_redirects=10)

    def close(self) -> None:
        self._client.close()
        self.pacer.close()

    def __enter__(self) -> ForumClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def page(self, url: str, referer: str | None = None) -> PageAnswer:
        """The text of a page (or the type of what is there, when it is not a page)."""
        with self.stream(url, referer) as response:
            return page_of(response, response.headers.get("content-type", "").lower())

    @contextmanager
    def stream(self, url: str, referer: str | None = None) -> Iterator[httpx.Response]:
        self.pacer.wait()
        headers = {"Referer": referer} if referer else {}
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                _raise_for_status(response)
                yield response
        except httpx.HTTPError as error:
            raise EngineError(f"{url}: {error}", transient=True) from error


def page_of(response: httpx.Response, content_type: str) -> PageAnswer:
    """What an open response says: its text when it is a page, else only its type."""
    if not _is_text(content_type):
        return PageAnswer(str(response.url), content_type, "")
    body = _read_limited(response.iter_bytes(), MAX_PAGE_BYTES)
    text = body.decode(response.encoding or "utf-8", errors="replace")
    _refuse_bot_check(text)
    return PageAnswer(str(response.url), content_type, text)


def _cookie_jar(path: Path | None) -> http.cookiejar.CookieJar:
    jar = http.cookiejar.MozillaCookieJar()
    if path is not None:
        try:
            jar.load(str(path), ignore_discard=True, ignore_expires=True)
        except (OSError, http.cookiejar.LoadError) as error:
            raise EngineError(f"The platform's cookies.txt cannot be read: {error}") from None
    return jar


def _is_text(content_type: str) -> bool:
    return content_type.startswith(("text/", "application/xhtml")) or not content_type


def _read_limited(chunks: Iterator[bytes], limit: int) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise EngineError("The page is too large to be a forum page.")
    return bytes(body)


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    reason = f"HTTP Error {status}: {response.reason_phrase or 'error'}"
    if response.headers.get("cf-mitigated") == "challenge":
        reason = f"{reason} (the site asks to confirm you're not a bot)"
    transient = status in TRANSIENT_STATUSES or "not a bot" in reason
    raise EngineError(reason, transient=transient,
                      retry_after=retry_after(response.headers.get("retry-after")))


def _refuse_bot_check(text: str) -> None:
    """A "checking your browser" page answered with 200 is no page of the forum."""
    head = text[:4096].lower()
    if "<title>just a moment" in head and any(marker in head for marker in BOT_CHECK_MARKERS):
        raise EngineError("The site asks to confirm you're not a bot.", transient=True)


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (it is either seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
