"""A deterministic engine for tests and UI development. It never touches the network.

URL grammar (query parameters are optional)::

    https://fake.invalid/video/<slug>?size=100000&chunks=10&delay=0&title=<slug>
        &fail=none|transient|permanent|crash|hang&fail_times=<n>
    https://fake.invalid/playlist/<slug>?count=3&size=...   (entries: /video/<slug>-<i>)

``fail_times=n`` fails only the first n attempts of a job. Attempts are counted with
``.fake-attempt-<n>`` marker files in ``dest``, because the job folder outlives one attempt.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from mediadl.engines.base import (
    Emit,
    EngineError,
    Entry,
    FetchOptions,
    FileWritten,
    Finished,
    ProbeResult,
    Progress,
    Started,
)

HOST = "fake.invalid"
FAILURES = ("none", "transient", "permanent", "crash", "hang")
ATTEMPT_MARKER_PREFIX = ".fake-attempt-"
CRASH_EXIT_CODE = 3
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


@dataclass(frozen=True)
class FakeRequest:
    """A parsed fake URL."""

    kind: str  # "video" or "playlist"
    slug: str
    size: int = 100_000
    chunks: int = 10
    delay: float = 0.0
    title: str | None = None
    fail: str = "none"
    fail_times: int | None = None
    count: int = 3

    @property
    def display_title(self) -> str:
        return self.title if self.title is not None else self.slug

    def entry_url(self, index: int) -> str:
        query = {"size": self.size, "chunks": self.chunks, "delay": self.delay}
        return f"https://{HOST}/video/{self.slug}-{index}?{urlencode(query)}"


def parse_fake_url(url: str) -> FakeRequest:
    """Parse a fake URL; anything outside the grammar is a permanent EngineError."""
    split = urlsplit(url)
    parts = split.path.strip("/").split("/")
    if split.hostname != HOST or len(parts) != 2 or parts[0] not in ("video", "playlist"):
        raise EngineError(f"not a fake URL: {url}")
    if not _SLUG.match(parts[1]):
        raise EngineError(f"bad fake slug: {parts[1]!r}")
    query = {key: values[-1] for key, values in parse_qs(split.query).items()}
    try:
        return _request_from_query(parts[0], parts[1], query)
    except ValueError as exc:
        raise EngineError(f"bad fake URL parameter: {exc}") from exc


def _request_from_query(kind: str, slug: str, query: dict[str, str]) -> FakeRequest:
    fail = query.get("fail", "none")
    if fail not in FAILURES:
        raise ValueError(f"fail must be one of {', '.join(FAILURES)}")
    fail_times = query.get("fail_times")
    request = FakeRequest(
        kind=kind, slug=slug, size=int(query.get("size", 100_000)),
        chunks=int(query.get("chunks", 10)), delay=float(query.get("delay", 0)),
        title=query.get("title"), fail=fail, count=int(query.get("count", 3)),
        fail_times=int(fail_times) if fail_times is not None else None,
    )
    if request.size < 0 or request.chunks < 1 or request.delay < 0 or request.count < 0:
        raise ValueError("size, delay and count must be >= 0, chunks >= 1")
    return request


def fake_bytes(slug: str, size: int) -> Iterator[bytes]:
    """The content of ``<slug>.bin``: a sha256 counter stream, the same for the same slug."""
    seed = slug.encode()
    produced, counter = 0, 0
    while produced < size:
        block = hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        block = block[: size - produced]
        produced += len(block)
        counter += 1
        yield block


def chunk_sizes(size: int, chunks: int) -> list[int]:
    """Split ``size`` into ``chunks`` near-equal parts (the first ones carry the remainder)."""
    base, remainder = divmod(size, chunks)
    return [base + (1 if index < remainder else 0) for index in range(chunks)]


class FakeEngine:
    name: ClassVar[str] = "fake"
    url_patterns: ClassVar[tuple[re.Pattern[str], ...]] = (
        re.compile(r"^https?://fake\.invalid/", re.IGNORECASE),
    )
    examples: ClassVar[tuple[str, ...]] = (
        "https://fake.invalid/video/demo",
        "https://fake.invalid/video/slow?size=5000000&chunks=50&delay=0.1&title=Slow%20one",
        "https://fake.invalid/playlist/demo?count=3",
    )

    def probe(self, url: str, options: FetchOptions) -> ProbeResult:
        request = parse_fake_url(url)
        if request.kind == "playlist":
            return _playlist_probe(url, request)
        return ProbeResult(
            url=url, kind="video", title=request.display_title, source="fake",
            media_id=request.slug, formats=[], qualities=["best"],
            metadata={"size": request.size},
        )

    def fetch(self, url: str, dest: Path, options: FetchOptions, emit: Emit) -> None:
        request = parse_fake_url(url)
        if request.kind == "playlist":
            # Like the yt-dlp engine, fetching a collection URL fetches only its first item.
            request = parse_fake_url(request.entry_url(1))
        dest.mkdir(parents=True, exist_ok=True)
        attempt = _record_attempt(dest)
        failing = request.fail != "none" and (
            request.fail_times is None or attempt <= request.fail_times)
        emit(Started(title=request.display_title, total_bytes=request.size))
        path = _write_file(request, dest, emit, request.fail if failing else "none")
        emit(FileWritten(path=path, title=request.display_title, media_id=request.slug,
                         source="fake", metadata={"size": request.size, "attempt": attempt}))
        emit(Finished(files=1))


def _playlist_probe(url: str, request: FakeRequest) -> ProbeResult:
    entries = [
        Entry(url=request.entry_url(index), title=f"{request.display_title} {index}",
              key=f"{request.slug}-{index}")
        for index in range(1, request.count + 1)
    ]
    return ProbeResult(
        url=url, kind="playlist", title=request.display_title, source="fake",
        media_id=request.slug, qualities=["best"], entries=entries, entry_count=request.count,
    )


def _record_attempt(dest: Path) -> int:
    """Leave a marker for this attempt and return its number (1 for the first)."""
    attempt = len(list(dest.glob(f"{ATTEMPT_MARKER_PREFIX}*"))) + 1
    (dest / f"{ATTEMPT_MARKER_PREFIX}{attempt}").touch()
    return attempt


def _write_file(request: FakeRequest, dest: Path, emit: Emit, failure: str) -> Path:
    final = dest / f"{request.slug}.bin"
    partial = dest / f"{request.slug}.bin.part"
    sizes = chunk_sizes(request.size, request.chunks)
    stream = _byte_reader(fake_bytes(request.slug, request.size))
    started, written = time.monotonic(), 0
    with partial.open("wb") as handle:
        for index, size in enumerate(sizes):
            if index == len(sizes) // 2:
                _fail_midway(failure)
            if request.delay:
                time.sleep(request.delay)
            handle.write(stream(size))
            written += size
            emit(_progress(written, request.size, time.monotonic() - started))
    partial.replace(final)
    return final


def _byte_reader(blocks: Iterator[bytes]) -> Callable[[int], bytes]:
    buffer = bytearray()

    def read(count: int) -> bytes:
        while len(buffer) < count:
            buffer.extend(next(blocks))
        taken = bytes(buffer[:count])
        del buffer[:count]
        return taken

    return read


def _fail_midway(failure: str) -> None:
    if failure == "transient":
        raise EngineError("fake transient failure", transient=True, retry_after=0.1)
    if failure == "permanent":
        raise EngineError("fake permanent failure")
    if failure == "crash":
        os._exit(CRASH_EXIT_CODE)
    if failure == "hang":
        while True:
            time.sleep(3600)


def _progress(written: int, total: int, elapsed: float) -> Progress:
    speed = written / elapsed if elapsed > 0 else None
    eta = (total - written) / speed if speed else None
    return Progress(downloaded_bytes=written, total_bytes=total, speed_bps=speed, eta_s=eta)
