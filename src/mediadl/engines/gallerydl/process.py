"""Running gallery-dl: its stdout and stderr, line by line, in the order they arrive.

The program stays in the job's process group, so cancelling the job kills it too; an
engine that stops reading early (an error, a cancel) kills it at once.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from mediadl.engines.base import EngineError

STDOUT, STDERR = "out", "err"
# What a line can be cut to: gallery-dl prints whole JSON dumps on one stream, but a log
# or progress line is never this long.
MAX_LINE = 1 << 20


@dataclass(frozen=True)
class Line:
    stream: str
    text: str


class Run:
    """One gallery-dl process; iterate it for its lines, then read ``returncode``."""

    def __init__(self, command: list[str]) -> None:
        try:
            self._process = subprocess.Popen(  # noqa: S603 (a fixed program, no shell)
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace")
        except OSError as error:
            raise EngineError(f"gallery-dl cannot be started: {error}") from error
        self._lines: queue.Queue[Line | None] = queue.Queue()
        self._readers = [self._reader(self._process.stdout, STDOUT),
                         self._reader(self._process.stderr, STDERR)]

    def __iter__(self) -> Iterator[Line]:
        open_streams = len(self._readers)
        while open_streams:
            line = self._lines.get()
            if line is None:
                open_streams -= 1
                continue
            yield line

    @property
    def returncode(self) -> int:
        return self._process.wait()

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()

    def _reader(self, stream: IO[str] | None, name: str) -> threading.Thread:
        def read() -> None:
            assert stream is not None
            try:
                for text in stream:
                    self._lines.put(Line(name, text.rstrip("\r\n")[:MAX_LINE]))
            finally:
                self._lines.put(None)

        thread = threading.Thread(target=read, name=f"gallery-dl-{name}", daemon=True)
        thread.start()
        return thread


def run_to_end(command: list[str]) -> tuple[int, str, list[str]]:
    """Run and collect: (exit status, stdout, stderr lines)."""
    run = Run(command)
    stdout: list[str] = []
    stderr: list[str] = []
    try:
        for line in run:
            (stdout if line.stream == STDOUT else stderr).append(line.text)
    except BaseException:
        run.kill()
        raise
    return run.returncode, "\n".join(stdout), stderr
