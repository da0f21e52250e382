"""Speed limits as token buckets, shared by every job process of one machine.

A bucket fills at ``rate`` bytes/s up to ``burst`` bytes. A transfer *reserves* the bytes it
has just read: the bucket may go into debt, and the reservation answers how long to sleep
before reading on, so the long-run average never exceeds the rate (the reservation style of
Go's ``rate.Limiter``). Each job is its own process, so a per-host or global limit only
holds if the processes share one bucket: ``SharedTokenBucket`` keeps its state in a small
file, guarded by ``flock``. ``CLOCK_MONOTONIC`` is one clock for the whole machine, so the
stamps written by one process mean the same to the next.

The same bucket with a capacity of one request paces requests: ``RequestPacer`` keeps the
least time between two requests of one platform across every job process of the machine.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mediadl.engines.base import FetchOptions

Clock = Callable[[], float]
BURST_SECONDS = 0.25  # how far ahead of its rate a quiet bucket lets a transfer run
MIN_BURST_BYTES = 64 * 1024
_STATE = struct.Struct("<dd")  # tokens, stamp


@dataclass(frozen=True)
class BucketState:
    tokens: float
    stamp: float


def default_burst(rate: float) -> float:
    return max(rate * BURST_SECONDS, MIN_BURST_BYTES)


def take(state: BucketState, now: float, amount: float, rate: float,
         burst: float) -> tuple[BucketState, float]:
    """Refill for the time since the last stamp, take ``amount`` (debt allowed) and return
    the new state and the seconds to wait until the debt is paid."""
    refilled = min(burst, state.tokens + max(0.0, now - state.stamp) * rate)
    tokens = refilled - amount
    wait = 0.0 if tokens >= 0 else -tokens / rate
    return BucketState(tokens, max(now, state.stamp)), wait


class Bucket(Protocol):
    def reserve(self, amount: int) -> float: ...


class TokenBucket:
    """A bucket inside one process (thread-safe)."""

    def __init__(self, rate: float, burst: float | None = None,
                 clock: Clock = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else default_burst(rate)
        self._clock = clock
        self._state = BucketState(self.burst, clock())
        self._lock = threading.Lock()

    def reserve(self, amount: int) -> float:
        with self._lock:
            self._state, wait = take(self._state, self._clock(), amount, self.rate, self.burst)
        return wait


class SharedTokenBucket:
    """A bucket whose state lives in ``path``, so every process using that path shares it."""

    def __init__(self, path: Path, rate: float, burst: float | None = None,
                 clock: Clock = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.path = path
        self.rate = rate
        self.burst = burst if burst is not None else default_burst(rate)
        self._clock = clock
        # flock excludes other processes; threads of this one share the descriptor.
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def reserve(self, amount: int) -> float:
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                now = self._clock()
                state, wait = take(self._read(now), now, amount, self.rate, self.burst)
                os.pwrite(self._fd, _STATE.pack(state.tokens, state.stamp), 0)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        return wait

    def close(self) -> None:
        os.close(self._fd)

    def _read(self, now: float) -> BucketState:
        raw = os.pread(self._fd, _STATE.size, 0)
        if len(raw) != _STATE.size:
            return BucketState(self.burst, now)
        tokens, stamp = _STATE.unpack(raw)
        if stamp > now:  # written before a reboot: CLOCK_MONOTONIC started again
            return BucketState(self.burst, now)
        return BucketState(tokens, stamp)


class SpeedLimiter:
    """What a transfer calls after each read: sleeps as long as the strictest bucket says."""

    def __init__(self, buckets: Sequence[Bucket] = (),
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self.buckets = tuple(buckets)
        self._sleep = sleep

    @property
    def active(self) -> bool:
        return bool(self.buckets)

    def consume(self, amount: int) -> float:
        """Account for ``amount`` bytes; returns the seconds slept."""
        if not self.buckets or amount <= 0:
            return 0.0
        wait = max(bucket.reserve(amount) for bucket in self.buckets)
        if wait > 0:
            self._sleep(wait)
        return wait


UNLIMITED = SpeedLimiter()


def bucket_file(directory: Path, scope: str) -> Path:
    """One file per scope ("global", or a host name), named so any host name is safe."""
    digest = hashlib.sha256(scope.lower().encode()).hexdigest()[:24]
    return directory / f"speed-{digest}.bucket"


def speed_limiter(host: str, per_host_bps: int | None, global_bps: int | None,
                  shared_dir: Path | None = None) -> SpeedLimiter:
    """The limiter for one transfer from ``host``; with ``shared_dir`` the buckets are shared
    by every process that uses the same folder, otherwise they hold for this process only."""
    buckets: list[Bucket] = []
    for scope, rate in ((f"host:{host}", per_host_bps), ("global", global_bps)):
        if rate:
            buckets.append(SharedTokenBucket(bucket_file(shared_dir, scope), rate)
                           if shared_dir is not None else TokenBucket(rate))
    return SpeedLimiter(buckets)


class RequestPacer:
    """The least time between two requests of one scope (a platform): a bucket of one
    request that fills once per ``interval_s``, so the n-th caller of a burst goes n-1
    intervals after the first. With ``shared_dir`` every process using that folder shares
    it; without, it holds within this process only."""

    def __init__(self, interval_s: float, scope: str, shared_dir: Path | None,
                 sleep: Callable[[float], object] = time.sleep,
                 clock: Clock = time.monotonic) -> None:
        self._sleep = sleep
        self._bucket: Bucket | None = None
        if interval_s > 0:
            rate, name = 1.0 / interval_s, f"requests:{scope}"
            self._bucket = (SharedTokenBucket(bucket_file(shared_dir, name), rate, 1.0, clock)
                            if shared_dir is not None else TokenBucket(rate, 1.0, clock))

    def wait(self) -> float:
        """Before a request: sleeps until this request's turn; returns the seconds slept."""
        delay = self.reserve()
        if delay > 0:
            self._sleep(delay)
        return delay

    def reserve(self) -> float:
        """Take this request's turn without sleeping (a request that was just made): the
        next caller waits a full interval after it."""
        return self._bucket.reserve(1) if self._bucket is not None else 0.0

    def close(self) -> None:
        if isinstance(self._bucket, SharedTokenBucket):
            self._bucket.close()


def pacer_for(options: FetchOptions,
              sleep: Callable[[float], object] = time.sleep) -> RequestPacer:
    """The pacer of the job's platform, shared through the job's ``shared_state_dir``."""
    return RequestPacer(options.min_request_interval_s, options.platform or "generic",
                        options.shared_state_dir, sleep)


def wait_for_turn(options: FetchOptions) -> float:
    """Before one request made outside a long-lived client (a download, another program's
    first request): waits for the platform's turn; returns the seconds slept."""
    pacer = pacer_for(options)
    try:
        return pacer.wait()
    finally:
        pacer.close()
