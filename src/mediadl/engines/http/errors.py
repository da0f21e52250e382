"""HTTP answers and network failures -> EngineError with a transient/permanent verdict."""

from __future__ import annotations

import http
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from mediadl.engines.base import EngineError

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
MAX_RETRY_AFTER = 24 * 3600.0


class TransferInterrupted(Exception):
    """A connection ended early or failed; the bytes so far are kept and it is retried."""


class FileChanged(Exception):
    """The server now serves a different file (validators or size changed): start over."""


def status_error(status: int, headers: Mapping[str, str]) -> EngineError:
    transient = status in TRANSIENT_STATUSES
    retry_after = parse_retry_after(headers.get("retry-after")) if transient else None
    return EngineError(f"The server answered {status} {_reason(status)}.",
                       transient=transient, retry_after=retry_after)


def network_error(error: Exception) -> EngineError:
    """A failure that outlived the retries; the network may be back later."""
    if isinstance(error, PermissionError):  # the outbound guard said no: that stays so
        return EngineError(str(error))
    return EngineError(f"The connection failed: {describe(error)}", transient=True)


def refused_by_guard(error: BaseException) -> PermissionError | None:
    """The PermissionError behind a failed connection (the outbound guard raises one)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, PermissionError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def describe(error: BaseException) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "the server stopped sending (timed out)."
    text = str(error).strip() or type(error).__name__
    return text[:200]


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` is delay seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - datetime.now(UTC)).total_seconds()), MAX_RETRY_AFTER)


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "(unknown status)"
