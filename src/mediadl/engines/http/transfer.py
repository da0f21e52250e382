"""One file from one URL into ``part``: several Range connections, resume, verification.

The opening request is a ``GET`` with ``Range: bytes=N-`` (N = the first missing byte), so
the same answer tells whether the server takes ranges, how big the file is, whether a
saved partial file still matches (``If-Range``) and already carries the first bytes. More
connections join as long as they raise the throughput (``ramp``); each takes the back half
of the largest piece still to fetch. A sidecar file records what is on disk, so a new run
after a crash or a dropped connection fetches only the gaps.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mediadl.engines.base import EngineError
from mediadl.engines.http.body import body_pieces
from mediadl.engines.http.client import make_client
from mediadl.engines.http.digest import Checksum, file_matches
from mediadl.engines.http.errors import (
    FileChanged,
    TransferInterrupted,
    describe,
    network_error,
    refused_by_guard,
    status_error,
)
from mediadl.engines.http.hashing import PrefixHasher
from mediadl.engines.http.ramp import Ramp
from mediadl.engines.http.remote import RemoteFile, parse_content_range, remote_from_response
from mediadl.engines.http.segments import SegmentTable, missing_spans
from mediadl.engines.http.state import SavedState, load_state, remove_state, save_state
from mediadl.engines.http.worker import Connection, Meter, Shared, Writer, backoff
from mediadl.engines.ratelimit import UNLIMITED, SpeedLimiter

log = logging.getLogger(__name__)

TICK_SECONDS = 0.05
STATE_INTERVAL = 1.0
PROGRESS_INTERVAL = 0.25
MIN_SPLIT = 1024 * 1024  # a connection gets at least this much to fetch
SPEED_SMOOTHING = 0.3


@dataclass(frozen=True)
class TransferRequest:
    url: str
    part: Path
    headers: Mapping[str, str] = field(default_factory=dict)
    connections: int = 8
    retries: int = 10
    timeout: float = 20.0
    limiter: SpeedLimiter = UNLIMITED
    max_request_bytes: int | None = None  # some CDNs throttle longer requests
    checksum: Checksum | None = None
    proxy: str | None = None
    cookie_file: Path | None = None


@dataclass(frozen=True)
class TransferStatus:
    downloaded: int
    total: int | None
    speed: float | None
    eta: float | None
    connections: int = 1


@dataclass(frozen=True)
class TransferResult:
    remote: RemoteFile
    size: int
    connections: int  # the most used at once
    sha256: str | None = None  # of the whole file, when it was hashed on the way


OnProgress = Callable[[TransferStatus], None]
OnStart = Callable[[RemoteFile], None]


def download(request: TransferRequest, on_progress: OnProgress,
             on_start: OnStart | None = None) -> TransferResult:
    """Fetch ``request.url`` into ``request.part``; EngineError when that fails."""
    with make_client(request.connections, request.timeout, request.headers, request.proxy,
                     request.cookie_file) as client:
        try:
            return _Transfer(client, request, on_progress, on_start).run()
        except FileChanged:
            log.info("%s changed on the server; starting over", request.url)
            discard(request.part)
        try:
            return _Transfer(client, request, on_progress, on_start).run()
        except FileChanged:
            discard(request.part)
            raise EngineError("The file changed on the server while it was downloaded.",
                              transient=True) from None


def discard(part: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        part.unlink()
    remove_state(part)


class _Transfer:
    def __init__(self, client: httpx.Client, request: TransferRequest,
                 on_progress: OnProgress, on_start: OnStart | None) -> None:
        self.client, self.request = client, request
        self.on_progress, self.on_start = on_progress, on_start
        self.meter = Meter()
        self.progress = _ProgressClock(on_progress)

    def run(self) -> TransferResult:
        saved = load_state(self.request.part)
        response, remote = self._open(saved)
        with contextlib.closing(response):
            resuming = _resumable(saved, remote, response)
            if self.on_start is not None:
                self.on_start(remote)
            if remote.size is not None and (response.status_code == 206 or remote.ranges):
                return self._ranged(response, remote, saved if resuming else None)
            return self._streamed(response, remote)

    # -- the opening request ----------------------------------------------------------
    def _open(self, saved: SavedState | None) -> tuple[httpx.Response, RemoteFile]:
        failures = 0
        while True:
            try:
                return self._open_once(saved)
            except TransferInterrupted as error:
                failures += 1
                if failures > self.request.retries:
                    raise network_error(error) from error
                time.sleep(backoff(failures))

    def _open_once(self, saved: SavedState | None) -> tuple[httpx.Response, RemoteFile]:
        offset = _first_missing(saved) if saved is not None else 0
        headers = {"Range": f"bytes={offset}-"}
        validator = saved.validator if saved is not None else None
        if validator:
            headers["If-Range"] = validator
        try:
            response = self.client.send(self.client.build_request(
                "GET", self.request.url, headers=headers), stream=True)
        except httpx.TransportError as error:
            refusal = refused_by_guard(error)
            if refusal is not None:
                raise network_error(refusal) from error
            raise TransferInterrupted(describe(error)) from error
        if response.status_code not in (200, 206):
            response.close()
            raise status_error(response.status_code, response.headers)
        remote = remote_from_response(str(response.url), response.status_code, response.headers)
        self._check_opening(response, offset)
        return response, remote

    def _check_opening(self, response: httpx.Response, offset: int) -> None:
        if response.status_code != 206:
            return
        content_range = parse_content_range(response.headers.get("content-range"))
        if content_range is None or content_range.start != offset:
            response.close()
            raise FileChanged

    # -- several connections ------------------------------------------------------------
    def _ranged(self, response: httpx.Response, remote: RemoteFile,
                saved: SavedState | None) -> TransferResult:
        """``saved`` is the state being resumed, None for a fresh start."""
        assert remote.size is not None
        table = SegmentTable(remote.size, saved.done if saved is not None else [], MIN_SPLIT)
        fd = _open_part(self.request.part, remote.size, fresh=saved is None)
        hasher = PrefixHasher(fd, table.prefix)
        hasher.start()
        try:
            shared = Shared(self.client, remote.url, fd, table, remote.validator,
                            self.request.limiter, self.request.retries,
                            self.request.max_request_bytes, self.meter,
                            self.request.timeout)
            state = SavedState(remote.url, remote.size, remote.etag, remote.last_modified)
            most = _Pool(shared, self.request.connections, state, self.request.part,
                         self.progress).run(response)
            _verify_size(fd, remote.size)
            digest = hasher.finish(remote.size)
        finally:
            hasher.abandon()
            os.close(fd)
        self._verify_checksum(remote, digest)
        remove_state(self.request.part)
        return TransferResult(remote, remote.size, most, digest)

    # -- one sequential stream (no ranges, or no size) -----------------------------------
    def _streamed(self, response: httpx.Response, remote: RemoteFile) -> TransferResult:
        failures = 0
        while True:
            try:
                size, digest = self._stream_once(response, remote)
                break
            except TransferInterrupted as error:
                failures += 1
                if failures > self.request.retries:
                    discard(self.request.part)
                    raise EngineError(f"The transfer kept breaking off: {error}",
                                      transient=True) from error
                time.sleep(backoff(failures))
                response = self._restart_stream()
        self._verify_checksum(remote, digest)
        remove_state(self.request.part)
        return TransferResult(remote, size, 1, digest)

    def _stream_once(self, response: httpx.Response,
                     remote: RemoteFile) -> tuple[int, str | None]:
        fd = _open_part(self.request.part, remote.size, fresh=True)
        writer = Writer(fd, None, 0)
        hasher = PrefixHasher(fd, lambda: writer.offset)
        hasher.start()
        try:
            with contextlib.closing(response):
                for piece in body_pieces(response, self.request.timeout):
                    writer.add(piece)
                    self.meter.add(len(piece))
                    self.request.limiter.consume(len(piece))
                    self.progress.tick(self.meter.received, remote.size, 1)
            writer.flush()
            size = writer.offset
            if remote.size is not None and size != remote.size:
                raise TransferInterrupted(f"{size} of {remote.size} bytes arrived")
            digest = hasher.finish(size)
        except (httpx.TransportError, httpx.StreamError) as error:
            raise TransferInterrupted(describe(error)) from error
        finally:
            hasher.abandon()
            os.close(fd)
        self.progress.tick(size, size, 1, force=True)
        return size, digest

    def _restart_stream(self) -> httpx.Response:
        self.meter = Meter()
        try:
            response = self.client.send(self.client.build_request("GET", self.request.url),
                                        stream=True)
        except httpx.TransportError as error:
            raise TransferInterrupted(describe(error)) from error
        if response.status_code != 200:
            response.close()
            raise status_error(response.status_code, response.headers)
        return response

    def _verify_checksum(self, remote: RemoteFile, sha256: str | None) -> None:
        checksum = self.request.checksum or remote.checksum
        if checksum is None:
            return
        if checksum.algorithm == "sha256" and sha256 is not None:
            matches = checksum.hex == sha256  # hashed on the way: no second read
        else:
            matches = file_matches(self.request.part, checksum)
        if not matches:
            discard(self.request.part)
            raise EngineError(f"The file does not match the {checksum.algorithm} checksum the "
                              "server announced; it will be downloaded again.", transient=True)


class _Pool:
    """The connections of one ranged transfer and the loop that watches them."""

    def __init__(self, shared: Shared, limit: int, state: SavedState, part: Path,
                 progress: _ProgressClock) -> None:
        self.shared, self.state, self.part, self.progress = shared, state, part, progress
        self.ramp = Ramp(limit)
        self.connections: list[Connection] = []
        self.most = 0
        self._saved_at = time.monotonic()

    def run(self, response: httpx.Response) -> int:
        first = self.shared.table.take()
        if first is None:  # everything was on disk already
            response.close()
            return 0
        self._start(Connection(self.shared, first, response))
        try:
            self._watch()
        finally:
            for connection in self.connections:
                connection.leave()
            for connection in self.connections:
                connection.join()
            self._save_state()
        return self.most

    def _watch(self) -> None:
        table = self.shared.table
        # Progress counts bytes received (what was on disk already, plus what arrived since):
        # small reads wait in a connection's buffer for a while before they are written.
        on_disk = table.written() - self.shared.meter.received
        while not table.complete():
            # A connection that ends (the last one, on a small file) wakes the loop at once.
            self.shared.ended.wait(TICK_SECONDS)
            self.shared.ended.clear()
            self._check_connections()
            self._grow()
            received = min(table.size, on_disk + self.shared.meter.received)
            self.progress.tick(received, table.size, self._alive())
            if time.monotonic() - self._saved_at >= STATE_INTERVAL:
                self._save_state()
        self.progress.tick(table.size, table.size, self._alive(), force=True)

    def _check_connections(self) -> None:
        ended = [c for c in self.connections if not c.is_alive()]
        for connection in ended:
            self.connections.remove(connection)
            if connection.error is not None and not connection.retired:
                raise _fatal(connection.error)
            if connection.retired:
                self.ramp.stop()
        if not self.connections and not self.shared.table.complete():
            self._restart_after(ended)

    def _restart_after(self, ended: list[Connection]) -> None:
        """Every connection ended with bytes still missing: one more try, or give up."""
        refusal = next((c.error for c in ended if c.error is not None), None)
        segment = self.shared.table.take()
        if refusal is not None or segment is None:
            raise _fatal(refusal or EngineError("The transfer stopped with bytes missing.",
                                                transient=True))
        self._start(Connection(self.shared, segment))

    def _grow(self) -> None:
        """Start or retire connections until as many work as the ramp wants."""
        wanted = self.ramp.update(time.monotonic(), self.shared.meter.received,
                                  self.shared.meter.streaming)
        working = [c for c in self.connections if c.is_alive() and not c.leaving]
        for surplus in working[wanted:]:
            surplus.leave()  # its segment goes back to the table for the others
        while self._alive() < wanted and self.shared.table.can_split():
            segment = self.shared.table.take()
            if segment is None:
                break
            self._start(Connection(self.shared, segment))

    def _start(self, connection: Connection) -> None:
        self.connections.append(connection)
        connection.start()
        self.most = max(self.most, self._alive())

    def _alive(self) -> int:
        return sum(1 for c in self.connections if c.is_alive() and not c.leaving)

    def _save_state(self) -> None:
        self.state.done = self.shared.table.done_spans()
        save_state(self.part, self.state)
        self._saved_at = time.monotonic()


class _ProgressClock:
    """Calls ``on_progress`` at most every PROGRESS_INTERVAL, with a smoothed speed."""

    def __init__(self, on_progress: OnProgress) -> None:
        self.on_progress = on_progress
        self._last: tuple[float, int] | None = None
        self._speed: float | None = None

    def tick(self, downloaded: int, total: int | None, connections: int,
             force: bool = False) -> None:
        now = time.monotonic()
        if self._last is None:
            self._last = (now, downloaded)
            if not force:
                return
        elapsed = now - self._last[0]
        if elapsed < PROGRESS_INTERVAL and not force:
            return
        if elapsed > 0:
            rate = (downloaded - self._last[1]) / elapsed
            self._speed = rate if self._speed is None else (
                SPEED_SMOOTHING * rate + (1 - SPEED_SMOOTHING) * self._speed)
        self._last = (now, downloaded)
        eta = None
        if total is not None and self._speed:
            eta = max(0.0, (total - downloaded) / self._speed)
        self.on_progress(TransferStatus(downloaded, total, self._speed, eta, connections))


def _resumable(saved: SavedState | None, remote: RemoteFile, response: httpx.Response) -> bool:
    """Whether the bytes of ``saved`` can be kept. An answer that starts past byte 0 for a
    file that no longer matches is of no use: FileChanged starts over without the state."""
    if saved is None:
        return False
    if response.status_code == 206 and saved.matches(remote):
        return True
    if response.status_code == 206 and _first_missing(saved) > 0:
        raise FileChanged
    return False


def _first_missing(saved: SavedState) -> int:
    gaps = missing_spans(saved.done, saved.size)
    return gaps[0][0] if gaps else 0


def _open_part(part: Path, size: int | None, *, fresh: bool) -> int:
    flags = os.O_RDWR | os.O_CREAT | (os.O_TRUNC if fresh else 0)
    fd = os.open(part, flags, 0o644)
    if fresh:
        remove_state(part)
        if size:
            _preallocate(fd, size)
    return fd


def _preallocate(fd: int, size: int) -> None:
    """Reserve the blocks now: a full disk fails at once, and no file is fragmented."""
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as error:
        if error.errno not in (95, 22):  # EOPNOTSUPP, EINVAL: a file system without it
            raise EngineError(f"There is no room for the file: {error.strerror}.") from error
        os.ftruncate(fd, size)


def _verify_size(fd: int, size: int) -> None:
    actual = os.fstat(fd).st_size
    if actual != size:
        raise EngineError(f"The file has {actual} bytes instead of {size}.", transient=True)


def _fatal(error: BaseException) -> BaseException:
    if isinstance(error, EngineError | FileChanged):
        return error
    if isinstance(error, TransferInterrupted):
        return network_error(error)
    if isinstance(error, OSError):
        return EngineError(f"Writing the file failed: {error.strerror or error}.")
    return EngineError(f"The transfer failed: {describe(error)}", transient=True)
