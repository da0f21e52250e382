"""The file's sha256, computed while it downloads.

A hashing thread reads back (from the page cache) what is written from byte 0 on, as far as
it is contiguous, and hashes it on another core while the connections go on. A single
connection writes in order, so the hash is ready moments after the last byte; with several
connections the front of the file completes first and the rest is hashed as the gaps
close. The digest travels with the file (``FileWritten.metadata["sha256"]``), and an
announced sha-256 is checked against it without reading the file again.

A connection that writes at the front of what is hashed also offers its buffer
(``offer``): those bytes are hashed from memory and not read back, which saves copying the
whole file once more. Bytes nobody offered are read back as before.

What it has hashed it also hands to the disk (``sync_file_range``, which only starts the
writeback): the library makes every file durable with an fsync before it records it, and a
gigabyte of dirty pages left for that moment cost about half a second after the last byte.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

ALGORITHM = "sha256"
READ_SIZE = 4 * 1024 * 1024
POLL_SECONDS = 0.05
WRITEBACK_STEP = 32 * 1024 * 1024
OFFER_WINDOW = 8 * 1024 * 1024  # buffers further ahead of the hash are read back later
SYNC_FILE_RANGE_WRITE = 2


def _load_sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """Linux's sync_file_range, when the interpreter's C library has it."""
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


SYNC_FILE_RANGE = _load_sync_file_range()


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing this range to disk now; never waits, never fails."""
    if SYNC_FILE_RANGE is not None and length > 0:
        with contextlib.suppress(OSError, ctypes.ArgumentError):
            SYNC_FILE_RANGE(fd, offset, length, SYNC_FILE_RANGE_WRITE)


@dataclass(frozen=True)
class Offered:
    offset: int
    data: memoryview
    release: Callable[[], None]

    @property
    def end(self) -> int:
        return self.offset + len(self.data)


class PrefixHasher(threading.Thread):
    """Hashes ``fd`` from byte 0 up to ``written()``, which only ever grows."""

    def __init__(self, fd: int, written: Callable[[], int]) -> None:
        super().__init__(name="http-hash", daemon=True)
        self.fd, self.written = fd, written
        self.hashed = 0
        self._written_back = 0
        self._digest = hashlib.new(ALGORITHM)
        self._more = threading.Event()
        self._lock = threading.Lock()
        self._offered: dict[int, Offered] = {}
        self._last: int | None = None  # the file's size, once it is complete
        self.error: OSError | None = None

    def offer(self, offset: int, data: bytes | memoryview, release: Callable[[], None]) -> bool:
        """Hash ``data``, about to be written at ``offset``, from memory; True when taken,
        and then ``release`` is called once it is hashed (or no longer needed). Offer
        before the bytes count as written, or they may be read back first."""
        with self._lock:
            taken = self._last is None and 0 <= offset - self.hashed <= OFFER_WINDOW
            if taken:
                self._offered[offset] = Offered(offset, memoryview(data), release)
        if taken:
            self._more.set()
        return taken

    def finish(self, size: int) -> str | None:
        """The hex digest of the ``size`` bytes; None when reading the file failed."""
        self._last = size
        self._more.set()
        self.join()
        return None if self.error is not None else self._digest.hexdigest()

    def abandon(self) -> None:
        self._last = -1
        self._more.set()
        self.join()
        self._release_offered()

    def run(self) -> None:
        try:
            while self._last is None or (0 <= self.hashed < self._last):
                if not self._step():
                    self._more.wait(POLL_SECONDS)
                    self._more.clear()
        except OSError as error:
            self.error = error
        finally:
            self._release_offered()

    def _step(self) -> bool:
        """Hash what comes next, from memory or from the file; False when nothing can be."""
        piece = self._next_offered()
        if piece is not None:
            self._hash(piece.data[self.hashed - piece.offset:])
            piece.release()
            return True
        target = self._last if self._last is not None else self.written()
        if self.hashed >= target or self._last == -1:
            return False
        self._hash(self._read_back(min(target, self._next_offer_start(), self.hashed + READ_SIZE)))
        return True

    def _next_offered(self) -> Offered | None:
        """The offered piece that holds the next byte to hash; stale ones are let go."""
        with self._lock:
            stale = [p for p in self._offered.values() if p.end <= self.hashed]
            for piece in stale:
                del self._offered[piece.offset]
            current = next((p for p in self._offered.values()
                            if p.offset <= self.hashed < p.end), None)
            if current is not None:
                del self._offered[current.offset]
        for piece in stale:
            piece.release()
        return current

    def _next_offer_start(self) -> int:
        with self._lock:
            return min((p.offset for p in self._offered.values() if p.offset > self.hashed),
                       default=self.hashed + READ_SIZE)

    def _read_back(self, end: int) -> bytes:
        chunk = os.pread(self.fd, end - self.hashed, self.hashed)
        if not chunk:
            raise OSError("the file is shorter than what was written to it")
        return chunk

    def _hash(self, data: bytes | memoryview) -> None:
        self._digest.update(data)
        self.hashed += len(data)
        if self.hashed - self._written_back >= WRITEBACK_STEP:
            start_writeback(self.fd, self._written_back, self.hashed - self._written_back)
            self._written_back = self.hashed

    def _release_offered(self) -> None:
        with self._lock:
            left, self._offered = list(self._offered.values()), {}
        for piece in left:
            piece.release()
