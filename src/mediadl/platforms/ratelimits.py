"""Is a failure the platform telling us to slow down?

A 429, a ``Retry-After``, "confirm you're not a bot", a captcha or a "temporarily blocked"
answer is about the platform, not about one item: the right reaction is to pause every job
of that platform for a while, not to burn the attempts of each of them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

RATE_LIMIT_SIGNS = re.compile(
    r"\b429\b|too many requests|rate[- ]?limit|not a bot|sign in to confirm|captcha|"
    r"checkpoint_required|challenge_required|temporarily blocked|please wait a few minutes|"
    r"try again later|unusual traffic|request limit",
    re.IGNORECASE,
)


URL = re.compile(r"""['"]?https?://\S+""")


def is_rate_limited(message: str, retry_after: float | None) -> bool:
    """Links in a message are left out: a "429" in a URL's path is no status."""
    return retry_after is not None or bool(RATE_LIMIT_SIGNS.search(URL.sub("", message)))


def throttle_delay(level: int, base_s: float, max_s: float,
                   retry_after: float | None = None) -> float:
    """The pause after the ``level``-th rate limit in a row: base, then twice as long each
    time, up to max; at least what the platform asked for (within max)."""
    grown = base_s * 2 ** max(0, level - 1)
    return min(max_s, max(grown, retry_after or 0.0))


def throttled_until(now: datetime, level: int, base_s: float, max_s: float,
                    retry_after: float | None = None) -> datetime:
    return now + timedelta(seconds=throttle_delay(level, base_s, max_s, retry_after))
