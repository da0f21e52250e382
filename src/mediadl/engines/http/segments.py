"""Which bytes of a file are on disk, and which connection fetches which of the rest.

Ranges are half-open ``[start, end)``. A ``Segment`` is owned by one connection: its
``start`` is the next byte that connection will receive, its ``end`` may move down when
another connection takes over the back half (work stealing, as aria2c and JDownloader do),
so every connection stays busy until the last byte. Bytes a connection has received but not
yet written lie below its ``start`` and are never given to anyone else.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

Span = tuple[int, int]
ALIGNMENT = 64 * 1024  # split points fall on page-friendly offsets


@dataclass
class Segment:
    start: int
    end: int

    @property
    def remaining(self) -> int:
        return max(0, self.end - self.start)


def merge_spans(spans: list[Span]) -> list[Span]:
    """Sorted, non-overlapping, with touching spans joined."""
    merged: list[Span] = []
    for start, end in sorted(span for span in spans if span[1] > span[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def missing_spans(done: list[Span], size: int) -> list[Span]:
    """The parts of ``[0, size)`` not covered by ``done``."""
    gaps: list[Span] = []
    cursor = 0
    for start, end in merge_spans(done):
        if start > cursor:
            gaps.append((cursor, min(start, size)))
        cursor = max(cursor, end)
    if cursor < size:
        gaps.append((cursor, size))
    return [gap for gap in gaps if gap[1] > gap[0]]


def covered(spans: list[Span]) -> int:
    return sum(end - start for start, end in merge_spans(spans))


class SegmentTable:
    """The shared plan of one transfer. Every method is safe to call from any thread."""

    def __init__(self, size: int, done: list[Span] | None = None,
                 min_split: int = 1024 * 1024) -> None:
        self.size = size
        self.min_split = min_split
        self._done = merge_spans(list(done or []))
        self._free = missing_spans(self._done, size)
        self._active: list[Segment] = []
        self._lock = threading.Lock()

    # -- handing out work -------------------------------------------------------------
    def take(self) -> Segment | None:
        """A free span, else the back half of the largest active segment, else None."""
        with self._lock:
            if self._free:
                start, end = self._free.pop(0)
                return self._activate(Segment(start, end))
            return self._steal()

    def can_split(self) -> bool:
        """Whether one more connection would get work of its own."""
        with self._lock:
            if self._free:
                return True
            return any(seg.remaining >= 2 * self.min_split for seg in self._active)

    def claim(self, segment: Segment, received: int) -> int:
        """``received`` bytes arrived at ``segment.start``; returns how many of them are the
        segment's (fewer once its end moved down) and moves ``start`` past them."""
        with self._lock:
            mine = max(0, min(received, segment.end - segment.start))
            segment.start += mine
            return mine

    def release(self, segment: Segment) -> None:
        """The connection stopped (finished or failed): what is left becomes free again."""
        with self._lock:
            if segment in self._active:
                self._active.remove(segment)
            if segment.remaining:
                self._free = merge_spans([*self._free, (segment.start, segment.end)])

    # -- what is on disk ----------------------------------------------------------------
    def mark_written(self, start: int, end: int) -> None:
        with self._lock:
            self._done = merge_spans([*self._done, (start, end)])

    def done_spans(self) -> list[Span]:
        with self._lock:
            return list(self._done)

    def prefix(self) -> int:
        """How far the file is on disk without a gap from byte 0."""
        with self._lock:
            return self._done[0][1] if self._done and self._done[0][0] == 0 else 0

    def written(self) -> int:
        with self._lock:
            return covered(self._done)

    def complete(self) -> bool:
        with self._lock:
            return self._done == [(0, self.size)] or self.size == 0

    def active_count(self) -> int:
        with self._lock:
            return len(self._active)

    # -- internals --------------------------------------------------------------------
    def _activate(self, segment: Segment) -> Segment:
        self._active.append(segment)
        return segment

    def _steal(self) -> Segment | None:
        victim = max(self._active, key=lambda seg: seg.remaining, default=None)
        if victim is None or victim.remaining < 2 * self.min_split:
            return None
        middle = victim.start + victim.remaining // 2
        middle = max(victim.start + self.min_split, middle - middle % ALIGNMENT)
        stolen = Segment(middle, victim.end)
        victim.end = middle
        return self._activate(stolen)
