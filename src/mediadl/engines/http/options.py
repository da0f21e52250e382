"""FetchOptions -> the settings of one transfer (connections, retries, speed limits)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from mediadl.engines.base import FetchOptions
from mediadl.engines.http.transfer import TransferRequest
from mediadl.engines.ratelimit import speed_limiter


def transfer_request(url: str, part: Path, options: FetchOptions,
                     headers: Mapping[str, str] | None = None,
                     max_request_bytes: int | None = None,
                     with_cookie_file: bool = True) -> TransferRequest:
    """``with_cookie_file=False`` when the caller already puts the cookies in ``headers``."""
    host = urlsplit(url).hostname or ""
    limiter = speed_limiter(host, options.speed_limit_bps, options.global_speed_limit_bps,
                            options.shared_state_dir)
    return TransferRequest(url=url, part=part, headers=dict(headers or {}),
                           connections=connections_for(options), retries=options.retries,
                           timeout=options.socket_timeout, limiter=limiter,
                           max_request_bytes=max_request_bytes, proxy=options.proxy,
                           cookie_file=options.cookie_file if with_cookie_file else None)


def connections_for(options: FetchOptions) -> int:
    """A platform that wants time between requests gets no parallel ones either."""
    return 1 if options.min_request_interval_s > 0 else options.per_host_connections
