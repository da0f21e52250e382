"""The file's sha256, computed while it downloads.

A hashing thread reads back (from the page cache) what is written from byte 0 on, as far as
it is contiguous, and hashes it on another core while the connections go on. A single
connection writes in order, so the hash is ready moments after the last byte; with several
connections the front of the file completes first and the rest is hashed as the gaps
close. The digest travels with the file (``FileWritten.metadata["sha256"]``), and an
announced sha-256 is checked against it without reading the file again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable

ALGORITHM = "sha256"
READ_SIZE = 4 * 1024 * 1024
POLL_SECONDS = 0.05


class PrefixHasher(threading.Thread):
    """Hashes ``fd`` from byte 0 up to ``written()``, which only ever grows."""

    def __init__(self, fd: int, written: Callable[[], int]) -> None:
        super().__init__(name="http-hash", daemon=True)
        self.fd, self.written = fd, written
        self.hashed = 0
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
                target = self._last if self._last is not None else self.written()
                if self.hashed < target:
                    self._hash_up_to(target)
                else:
                    self._more.wait(POLL_SECONDS)
                    self._more.clear()
        except OSError as error:
            self.error = error

    def _hash_up_to(self, target: int) -> None:
        while self.hashed < target and self._last != -1:
            chunk = os.pread(self.fd, min(READ_SIZE, target - self.hashed), self.hashed)
            if not chunk:
                raise OSError("the file is shorter than what was written to it")
            self._digest.update(chunk)
            self.hashed += len(chunk)
