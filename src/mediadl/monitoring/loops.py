"""A background loop: one function run every few seconds on a thread of its own.

A round that fails is logged and the loop carries on; the time of the last good round is
kept for the health check and the metrics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class PeriodicTask:
    def __init__(self, name: str, interval: Callable[[], float],
                 work: Callable[[], object]) -> None:
        self.name = name
        self._interval = interval  # read each round: a runtime setting may change it
        self._work = work
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_success: float | None = None
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Run a round now rather than at the next interval."""
        self._wake.set()

    def run_once(self) -> None:
        try:
            self._work()
        except Exception as error:  # one bad round must not end the loop
            log.exception("background loop %s failed", self.name)
            self.last_error = f"{type(error).__name__}: {error}"[:300]
            return
        self.last_success, self.last_error = time.time(), None

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.run_once()
            self._wake.wait(self._interval())
            self._wake.clear()
