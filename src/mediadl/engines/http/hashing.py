"""The file's sha256, computed while it downloads.

A hashing thread reads back (from the page cache) what is written from byte 0 on, as far as
it is contiguous, and hashes it on another core while the connections go on. A single
connection writes in order, so the hash is ready moments after the last byte; with several
connections the front of the file completes first and the rest is hashed as the gaps
close. The digest travels with the file (``FileWritten.metadata["sha256"]``), and an
announced sha-256 is checked against it without reading the file again.

It reads the file back rather than taking the connections' receive buffers as they are
written. Hashing those buffers from memory saves one copy, but on the machine of the
README's table it made the hashing thread slower: a buffer just filled on one core sits in
that core's cache, and pulling it over line by line to the other core cost more than the
copy saved (1 GiB: 1.12 s median with read-back against 1.2-1.3 s; a plain loop that hashes
each buffer right after it arrived took 2.5 s). Read back a few MiB behind, the bytes come
from the shared cache or memory.

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

ALGORITHM = "sha256"
READ_SIZE = 4 * 1024 * 1024
POLL_SECONDS = 0.05
WRITEBACK_STEP = 32 * 1024 * 1024
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


class PrefixHasher(threading.Thread):
    """Hashes ``fd`` from byte 0 up to ``written()``, which only ever grows."""

    def __init__(self, fd: int, written: Callable[[], int]) -> None:
        super().__init__(name="http-hash", daemon=True)
        self.fd, self.written = fd, written
        self.hashed = 0
        self._written_back = 0
        self._digest = hashlib.new(ALGORITHM)
        self._more = threading.Event()
        self._last: int | None = None  # the file's size, once it is complete
        self.error: OSError | None = None

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

    def run(self) -> None:
        try:
            while self._last is None or (0 <= self.hashed < self._last):
                if not self._step():
                    self._more.wait(POLL_SECONDS)
                    self._more.clear()
        except OSError as error:
            self.error = error

    def _step(self) -> bool:
        """Hash what comes next; False when nothing can be yet."""
        target = self._last if self._last is not None else self.written()
        if self.hashed >= target or self._last == -1:
            return False
        self._hash(self._read_back(min(target, self.hashed + READ_SIZE)))
        return True

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
