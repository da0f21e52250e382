"""yt-dlp progress hooks -> Started / Progress events for one item.

An item may be downloaded as several parts (DASH video + audio, merged afterwards). yt-dlp
reports bytes per part, restarting at zero for each; the events report the item as a whole,
so ``downloaded_bytes`` never goes backwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mediadl.engines.base import Emit, Progress, Started

MIN_INTERVAL_S = 0.1  # the job layer throttles further; this only saves CPU


@dataclass
class PartProgress:
    downloaded: int = 0
    total: int | None = None


def part_total(status: dict[str, Any]) -> int | None:
    """Bytes of one part: exact, estimated, or extrapolated from fragments done so far."""
    total = status.get("total_bytes") or status.get("total_bytes_estimate")
    if total:
        return int(total)
    index, count = status.get("fragment_index"), status.get("fragment_count")
    downloaded = status.get("downloaded_bytes") or 0
    if index and count and downloaded:
        return int(downloaded * count / index)
    return None


def announced_total(status: dict[str, Any], info: dict[str, Any]) -> int | None:
    """The size known before any byte arrives (no extrapolation), for ``Started``."""
    announced = status.get("total_bytes") or info.get("filesize") or info.get("filesize_approx")
    return int(announced) if announced else None


def expected_part_sizes(info: dict[str, Any]) -> list[int | None]:
    """Announced sizes of the parts yt-dlp is going to download, in download order."""
    parts = info.get("requested_formats") or [info]
    return [part.get("filesize") or part.get("filesize_approx") for part in parts]


class ProgressReporter:
    """Turns progress hook calls into events; ``hook`` is what yt-dlp is given."""

    def __init__(self, emit: Emit, clock: Callable[[], float] = time.monotonic) -> None:
        self._emit = emit
        self._clock = clock
        self._parts: dict[str, PartProgress] = {}
        self._expected: list[int | None] = []
        self._started = False
        self._last_emit = float("-inf")
        self._last_downloaded = 0
        self._lock = threading.Lock()

    def start(self, title: str | None, total: int | None) -> None:
        if not self._started:
            self._started = True
            self._emit(Started(title=title, total_bytes=total))

    def hook(self, status: dict[str, Any]) -> None:
        # Concurrent fragment downloads call hooks from several threads at once.
        with self._lock:
            self._handle(status)

    def _handle(self, status: dict[str, Any]) -> None:
        state = status.get("status")
        if state not in ("downloading", "finished"):
            return
        info = status.get("info_dict") or {}
        if not self._parts:
            self._expected = expected_part_sizes(info)
        self._update_part(status, finished=state == "finished")
        self.start(info.get("title"), announced_total(status, info))
        self._maybe_emit(status, force=state == "finished")

    def _update_part(self, status: dict[str, Any], *, finished: bool) -> None:
        key = str(status.get("filename") or status.get("tmpfilename") or "")
        part = self._parts.setdefault(key, PartProgress())
        part.downloaded = int(status.get("downloaded_bytes") or part.downloaded)
        part.total = part_total(status) or part.total
        if finished:  # the size on disk now; an earlier estimate may have been off
            part.total = part.downloaded

    def _maybe_emit(self, status: dict[str, Any], *, force: bool) -> None:
        now = self._clock()
        if not force and now - self._last_emit < MIN_INTERVAL_S:
            return
        self._last_emit = now
        downloaded = max(self._last_downloaded, sum(p.downloaded for p in self._parts.values()))
        self._last_downloaded = downloaded
        total = self._total()
        if total is not None:
            total = max(total, downloaded)  # estimates can fall short
        self._emit(Progress(downloaded_bytes=downloaded, total_bytes=total,
                            speed_bps=status.get("speed"), eta_s=status.get("eta")))

    def _total(self) -> int | None:
        """Sizes of the parts seen so far plus the announced sizes of those still to come."""
        seen = [part.total for part in self._parts.values()]
        still_to_come = self._expected[len(seen):]
        return _sum_or_none([*seen, *still_to_come])


def _sum_or_none(values: list[int | None]) -> int | None:
    if not values or any(value is None for value in values):
        return None
    return sum(value for value in values if value is not None)
