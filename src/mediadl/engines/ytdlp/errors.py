"""yt-dlp exceptions -> EngineError with a one-line message and a transient/permanent verdict."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import UnsupportedError

from mediadl.engines.base import EngineError

MAX_MESSAGE_LENGTH = 300
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# "[generic] 404: " / "[youtube] dQw4w9WgXcQ: " - yt-dlp's extractor and media id prefix.
_EXTRACTOR_PREFIX = re.compile(r"^\[[^\]\s]+\]\s*(?:[^\s:]+:\s+)?")
_CAUSED_BY = re.compile(r"\s*\(caused by .*\)\s*$", re.DOTALL)
_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
_TRANSIENT_WORDS = re.compile(
    r"timed out|timeout|connection (?:reset|refused|aborted)|remote end closed|"
    r"temporary failure|network is unreachable|incomplete ?read|bytes read|"
    r"giving up after|http error (?:429|5\d\d)",
    re.IGNORECASE,
)
_PERMANENT_WORDS = re.compile(r"unsupported url|http error 4(?!08|25|29)\d\d", re.IGNORECASE)


def clean_message(text: str) -> str:
    """One readable line: no ANSI colours, no ``ERROR:`` prefix, no ``(caused by …)`` tail."""
    text = _ANSI.sub("", text).strip()
    text = text.removeprefix("ERROR:").strip()
    text = _CAUSED_BY.sub("", text.splitlines()[0] if text else "")
    text = _EXTRACTOR_PREFIX.sub("", text)
    if len(text) > MAX_MESSAGE_LENGTH:
        text = text[: MAX_MESSAGE_LENGTH - 1] + "…"
    return text or "download failed"


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (yt-dlp's exc_info/cause and Python's own)."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(_wrapped(current))


def _wrapped(exc: BaseException) -> list[BaseException]:
    exc_info = getattr(exc, "exc_info", None)
    candidates = [
        exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) > 1 else None,
        getattr(exc, "cause", None), exc.__cause__, exc.__context__,
    ]
    return [item for item in candidates if isinstance(item, BaseException)]


def engine_error_from(exc: BaseException) -> EngineError:
    chain = list(exception_chain(exc))
    message = clean_message(str(exc))
    http_error = next((item for item in chain if isinstance(item, HTTPError)), None)
    if http_error is not None:
        return _from_http_error(message, http_error)
    if any(isinstance(item, (UnsupportedError, PermissionError)) for item in chain):
        # PermissionError: the outbound guard refused the address; trying again won't help.
        return EngineError(message)
    if any(isinstance(item, (TransportError, socket.timeout, ConnectionError)) for item in chain):
        return EngineError(message, transient=True)
    return EngineError(message, transient=_looks_transient(message))


def _looks_transient(message: str) -> bool:
    if _PERMANENT_WORDS.search(message):
        return False
    return bool(_TRANSIENT_WORDS.search(message))


def _from_http_error(message: str, error: HTTPError) -> EngineError:
    transient = error.status in _TRANSIENT_STATUSES
    retry_after = _retry_after(error) if transient else None
    return EngineError(message, transient=transient, retry_after=retry_after)


def _retry_after(error: HTTPError) -> float | None:
    headers = getattr(error.response, "headers", None)
    value = headers.get("Retry-After") if headers is not None else None
    return parse_retry_after(value) if value else None


def parse_retry_after(value: str) -> float | None:
    """``Retry-After`` is either delay seconds or an HTTP date."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
