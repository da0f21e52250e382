"""One connection of a transfer: it fetches segments and writes each byte where it belongs.

Bytes are written with ``os.pwrite`` at their own offset into a file that was
preallocated, so connections never wait for one another and the file never grows piece by
piece.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field

import httpx

from mediadl.engines.base import EngineError
from mediadl.engines.http.body import body_pieces
from mediadl.engines.http.errors import (
    FileChanged,
    TransferInterrupted,
    describe,
    status_error,
)
from mediadl.engines.http.remote import parse_content_range
from mediadl.engines.http.segments import Segment, SegmentTable
from mediadl.engines.ratelimit import SpeedLimiter

DIRECT_WRITE = 256 * 1024  # a read at least this big is written as it is
GATHER_LIMIT = 1024 * 1024  # smaller reads are gathered up to this much ...
GATHER_SECONDS = 1.0  # ... or for this long, so a slow transfer's resume point stays fresh
BACKOFF_BASE = 0.5
BACKOFF_MAX = 4.0


class RangeRefused(Exception):
    """This connection cannot fetch a range (the server ignored it or refused one more)."""


class Meter:
    """Bytes received by all connections, and how many connections deliver data now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received = 0
        self.streaming = 0

    def add(self, amount: int) -> None:
        with self._lock:
            self.received += amount

    def streams(self, change: int) -> None:
        with self._lock:
            self.streaming += change


@dataclass
class Shared:
    """What the connections of one transfer share."""

    client: httpx.Client
    url: str
    fd: int
    table: SegmentTable
    validator: str | None
    limiter: SpeedLimiter
    retries: int
    max_request: int | None = None
    meter: Meter = field(default_factory=Meter)
    timeout: float = 20.0
    ended: threading.Event = field(default_factory=threading.Event)  # a connection ended


class Writer:
    """Writes received buffers at their offset. Reads of a fast transfer are large (a
    receive buffer) and go to the file as they are; small ones, from a slow or chatty
    server, are gathered first, so the file sees few, large writes either way.

    Measured on a 1 GiB file: holding several MiB of received buffers for one ``pwritev``
    was 2 to 5 times slower than writing each large buffer at once (the allocator keeps handing
    out fresh pages), so only small reads are gathered.
    """

    def __init__(self, fd: int, table: SegmentTable | None, offset: int) -> None:
        self.fd, self.table, self.offset = fd, table, offset
        self._pending = bytearray()
        self._since = 0.0

    def add(self, data: bytes | memoryview) -> None:
        """Write ``data``, or copy it to write later: it may be reused once this returns."""
        if not data:
            return
        if not self._pending and len(data) >= DIRECT_WRITE:
            self._write(data)
            return
        if not self._pending:
            self._since = time.monotonic()
        self._pending += data
        if (len(self._pending) >= GATHER_LIMIT
                or time.monotonic() - self._since >= GATHER_SECONDS):
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._write(self._pending)
            self._pending = bytearray()

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        start, view = self.offset, memoryview(data)
        while view:  # regular files take everything at once; be sure anyway
            written = os.pwrite(self.fd, view, self.offset)
            view = view[written:]
            self.offset += written
        if self.table is not None:
            self.table.mark_written(start, self.offset)


def backoff(failures: int) -> float:
    return float(min(BACKOFF_MAX, BACKOFF_BASE * 2 ** max(0, failures - 1)))


def request_range(shared: Shared, segment: Segment) -> httpx.Response:
    """Ask for the next part of ``segment`` and check the answer is that part."""
    end = segment.end
    if shared.max_request:
        end = min(end, segment.start + shared.max_request)
    headers = {"Range": f"bytes={segment.start}-{end - 1}"}
    if shared.validator:
        headers["If-Range"] = shared.validator
    try:
        response = shared.client.send(shared.client.build_request("GET", shared.url,
                                                                  headers=headers), stream=True)
    except httpx.TransportError as error:
        raise TransferInterrupted(describe(error)) from error
    try:
        check_range_answer(response, segment.start, shared.table.size, bool(shared.validator))
    except BaseException:
        response.close()
        raise
    return response


def check_range_answer(response: httpx.Response, start: int, size: int,
                       conditional: bool) -> None:
    status = response.status_code
    if status == 206:
        content_range = parse_content_range(response.headers.get("content-range"))
        if content_range is None or content_range.start != start:
            raise RangeRefused("the server answered another range than asked for")
        if content_range.total not in (None, size):
            raise FileChanged
        return
    if status == 416 or (status == 200 and conditional):
        raise FileChanged  # If-Range did not match: the server has another file now
    if status == 200:
        raise RangeRefused("the server ignored the range")
    raise status_error(status, response.headers)


def pump(shared: Shared, segment: Segment, response: httpx.Response,
         halt: threading.Event) -> None:
    """Write the body of ``response`` (which starts at ``segment.start``) into the file,
    until the body ends, the segment ends or ``halt`` is set."""
    writer = Writer(shared.fd, shared.table, segment.start)
    shared.meter.streams(+1)
    try:
        for piece in body_pieces(response, shared.timeout):
            size = len(piece)
            mine = shared.table.claim(segment, size)
            writer.add(piece if mine == size else piece[:mine])
            shared.meter.add(mine)
            shared.limiter.consume(mine)
            if mine < size or not segment.remaining or halt.is_set():
                return
    except (httpx.TransportError, httpx.StreamError) as error:
        raise TransferInterrupted(describe(error)) from error
    finally:
        shared.meter.streams(-1)
        writer.flush()


class Connection(threading.Thread):
    """Fetches segments until none is left for it. ``error`` tells how it ended:
    None (done), ``retired`` (refused by the server while others go on) or fatal.
    ``leave`` asks it to hand its segment back and end (the ramp has too many)."""

    def __init__(self, shared: Shared, segment: Segment,
                 response: httpx.Response | None = None) -> None:
        super().__init__(name="http-connection", daemon=True)
        self.shared = shared
        self.segment: Segment | None = segment
        self._response = response
        self.error: BaseException | None = None
        self.retired = False
        self.halt = threading.Event()

    def leave(self) -> None:
        self.halt.set()

    @property
    def leaving(self) -> bool:
        return self.halt.is_set()

    def run(self) -> None:
        try:
            self._work()
        except (RangeRefused, EngineError) as error:
            self.error = error
            self.retired = self.shared.table.active_count() > 0
        except BaseException as error:  # reported to the transfer, which stops the others
            self.error = error
        finally:
            if self._response is not None:
                self._response.close()
            self.shared.ended.set()

    def _work(self) -> None:
        while self.segment is not None and not self.halt.is_set():
            try:
                self._fetch(self.segment)
            finally:
                self.shared.table.release(self.segment)
            self.segment = None if self.halt.is_set() else self.shared.table.take()

    def _fetch(self, segment: Segment) -> None:
        failures = 0
        while segment.remaining and not self.halt.is_set():
            before = segment.start
            try:
                self._fetch_once(segment)
                if segment.start == before:
                    raise TransferInterrupted("the server sent nothing")
            except TransferInterrupted:
                failures = 0 if segment.start > before else failures + 1
                if failures > self.shared.retries:
                    raise
                self.halt.wait(backoff(failures))

    def _fetch_once(self, segment: Segment) -> None:
        response, self._response = self._response, None
        if response is None:
            response = request_range(self.shared, segment)
        with contextlib.closing(response):
            pump(self.shared, segment, response, self.halt)
