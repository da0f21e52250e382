"""How many connections one download uses: start with one, add while throughput grows.

Like TCP's slow start, the count doubles after each measuring window in which the last
increase paid off, up to the per-host limit. A server that caps each connection (a CDN at
4 MiB/s per connection) gets its full limit within a second; on a fast server or under a
speed limit a second connection brings nothing, so the count goes back to one and stays.
A window starts only once every connection delivers data, so a slow handshake is not
mistaken for a connection that brings nothing.

One connection that already brings SATURATED_RATE is not split at all. Per-connection caps
sit far below it (a few MiB/s at CDNs and file hosts); at that speed the link, the disk or
the CPU is the limit, and a trial second connection only costs: over loopback, 1 GiB took
0.96 s with one connection against 1.05 s with the trial (median of 12 runs each), the
bytes it fetched out of order having to be read back for the hash.
"""

from __future__ import annotations

from dataclasses import dataclass

WINDOW_SECONDS = 0.25
GROWTH = 2
MIN_GAIN = 1.5  # doubling the connections must bring at least this much more (noise < 50 %)
# When the last step scaled almost perfectly (each connection brings its full share, the
# mark of a per-connection cap), the next step quadruples instead of doubling.
LINEAR_SCALING = 0.8
MAX_WAIT_FOR_STREAMS = 5.0  # measure anyway when new connections take this long to start
SATURATED_RATE = 256 * 1024 * 1024  # bytes/s: one connection this fast is kept alone


@dataclass
class Ramp:
    limit: int
    window: float = WINDOW_SECONDS
    growth: int = GROWTH
    min_gain: float = MIN_GAIN
    target: int = 1
    settled: bool = False
    _window_start: float | None = None
    _window_bytes: int = 0
    _asked_at: float = 0.0
    _previous_rate: float | None = None
    _last_step: int = 1

    def __post_init__(self) -> None:
        self.settled = self.limit <= 1

    def update(self, now: float, received: int, streaming: int) -> int:
        """The number of connections wanted, given the bytes received so far and how many
        connections are delivering data right now."""
        if self.settled:
            return self.target
        if self._window_start is None:
            if streaming >= self.target or now - self._asked_at >= MAX_WAIT_FOR_STREAMS:
                self._window_start, self._window_bytes = now, received
            return self.target
        elapsed = now - self._window_start
        if elapsed < self.window:
            return self.target
        self._judge((received - self._window_bytes) / elapsed, now)
        return self.target

    def stop(self) -> None:
        """No more connections (nothing left to split, or the server refused one)."""
        self.settled = True

    def _judge(self, rate: float, now: float) -> None:
        previous, step = self._previous_rate, self._last_step
        if previous is None and rate >= SATURATED_RATE:
            self.settled = True
            return
        if previous is not None and rate < previous * self.min_gain:
            # The last increase brought nothing: back to the count before it, for good.
            self.target = max(1, self.target // step)
            self.settled = True
            return
        linear = previous is not None and rate >= previous * step * LINEAR_SCALING
        self._last_step = self.growth * self.growth if linear else self.growth
        self._previous_rate = rate
        self.target = min(self.limit, self.target * self._last_step)
        self.settled = self.target >= self.limit
        self._window_start, self._asked_at = None, now
