"""The engine contract. Engines turn a URL into metadata (``probe``) and files (``fetch``).

An engine may also have ``probe_for_job(url) -> ProbeResult | None``: what a job needs to
know before its fetch, without a request when the link alone tells it (``http``: a link
that names a media file). None means: probe the usual way.

Engines never touch the database, the queue or sockets: they emit events and the job layer
turns those into rows and messages. They import nothing of the app, so this module is
self-contained (its own error type, its own option model).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["video", "audio", "image", "gallery", "playlist", "thread", "file"]
Quality = Literal["best", "2160", "1440", "1080", "720", "480", "360", "audio"]
QUALITIES: tuple[str, ...] = ("best", "2160", "1440", "1080", "720", "480", "360", "audio")
COLLECTION_KINDS: frozenset[str] = frozenset({"playlist", "gallery", "thread"})


class EngineError(Exception):
    """A download or probe failed. ``transient`` failures are worth another attempt."""

    def __init__(self, message: str, *, transient: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.retry_after = retry_after


class FetchOptions(BaseModel):
    """What the server decided for one job. Built from presets only, never from raw input."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quality: Quality = "best"
    audio_format: Literal["best", "mp3", "m4a", "opus", "flac", "wav"] = "best"
    container: Literal["auto", "mp4", "mkv", "webm"] = "auto"
    subtitles: bool = False
    embed_metadata: bool = False
    embed_thumbnail: bool = False
    fragment_concurrency: int = Field(8, ge=1, le=64)
    socket_timeout: float = Field(20.0, gt=0)
    retries: int = Field(10, ge=0, le=100)
    allow_private_networks: bool = False
    playlist_limit: int | None = Field(None, ge=1)
    # Speed: connections per download and host, speed limits in bytes/s (None = none),
    # and the folder where job processes share their speed-limit buckets.
    per_host_connections: int = Field(8, ge=1, le=32)
    speed_limit_bps: int | None = Field(None, ge=1)
    global_speed_limit_bps: int | None = Field(None, ge=1)
    shared_state_dir: Path | None = None
    use_aria2c: bool = False
    # Per platform, decided by the server (an admin's platform settings), never by a request:
    # the platform's name, a per-job copy of its cookies.txt, its proxy and the least time
    # between two requests to it.
    platform: str | None = None
    cookie_file: Path | None = None
    proxy: str | None = None
    min_request_interval_s: float = Field(0.0, ge=0, le=3600)
    # The prefix that starts a separate Python program under the outbound guard
    # ("python -m <guard> ... --"), None when the guard is off. Engines that run a program
    # (gallery-dl) append "<module> <args>" to it.
    guarded_python: tuple[str, ...] | None = None
    # This job is one entry of a collection (a post of a profile, an image of a thread).
    collection_entry: bool = False
    # Where a watched forum thread was read up to; the next run starts there.
    resume_from_url: str | None = None
    # Which items of a collection: the first max_items, published within the dates.
    max_items: int | None = Field(None, ge=1)
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class MediaFormat:
    format_id: str
    ext: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    vcodec: str | None = None
    acodec: str | None = None
    filesize: int | None = None
    tbr: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class Entry:
    """One item of a collection; ``key`` is stable across runs (media id or URL)."""

    url: str
    title: str | None = None
    duration: float | None = None
    key: str | None = None
    # When the source says it was published (naive UTC), and what it is, when it says so.
    published_at: datetime | None = None
    kind: Kind | None = None


@dataclass
class ProbeResult:
    url: str
    kind: Kind
    title: str | None = None
    uploader: str | None = None
    source: str | None = None
    description: str | None = None
    duration: float | None = None
    thumbnail: str | None = None
    media_id: str | None = None
    formats: list[MediaFormat] = field(default_factory=list)
    qualities: list[str] = field(default_factory=lambda: ["best"])
    entries: list[Entry] = field(default_factory=list)
    entry_count: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def is_collection(self) -> bool:
        return self.kind in COLLECTION_KINDS


@dataclass(frozen=True)
class Started:
    title: str | None = None
    total_bytes: int | None = None


@dataclass(frozen=True)
class Progress:
    downloaded_bytes: int
    total_bytes: int | None = None
    speed_bps: float | None = None
    eta_s: float | None = None


@dataclass(frozen=True)
class FileWritten:
    """A finished file inside the job folder, with what the engine knows about it."""

    path: Path
    title: str | None = None
    media_id: str | None = None
    source: str | None = None
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finished:
    files: int = 0


Event = Started | Progress | FileWritten | Finished
Emit = Callable[[Event], None]


class Engine(Protocol):
    name: ClassVar[str]
    url_patterns: ClassVar[tuple[re.Pattern[str], ...]]
    examples: ClassVar[tuple[str, ...]]

    def probe(self, url: str, options: FetchOptions) -> ProbeResult: ...

    def fetch(self, url: str, dest: Path, options: FetchOptions, emit: Emit) -> None: ...


@dataclass(frozen=True)
class ListRequest:
    """What a scheduled run already knows about a source, so that listing it again costs
    little: validators for a conditional GET, the keys already seen, where to resume."""

    known_keys: frozenset[str] = frozenset()
    max_entries: int = 1000
    etag: str | None = None
    last_modified: str | None = None
    resume_url: str | None = None
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class Listing:
    """What a listing found: only entries not among ``known_keys``, newest first."""

    kind: Kind
    entries: list[Entry] = field(default_factory=list)
    found: int = 0  # entries looked at, known ones included
    title: str | None = None
    not_modified: bool = False  # the source said nothing changed (HTTP 304)
    complete: bool = False  # every entry of the source was looked at
    etag: str | None = None
    last_modified: str | None = None
    resume_url: str | None = None
    state: dict[str, Any] = field(default_factory=dict)


class Lister(Protocol):
    """Optional engine capability: list a source's new entries without re-listing it all."""

    def list_entries(self, url: str, options: FetchOptions,
                     request: ListRequest) -> Listing: ...


def lister_of(engine: object) -> Lister | None:
    return engine if callable(getattr(engine, "list_entries", None)) else None  # type: ignore[return-value]


def qualities_for_heights(heights: list[int], has_audio: bool) -> list[str]:
    """The preset list a person can choose from, given the heights a source offers."""
    offered = ["best"]
    top = max(heights, default=0)
    for preset in QUALITIES[1:-1]:
        if heights and int(preset) <= top:
            offered.append(preset)
    if has_audio:
        offered.append("audio")
    return offered
