"""The ``http`` engine: direct files, fetched as fast as the server allows.

Several Range connections at once (adaptive, up to ``per_host_connections``), resume from a
partial file, size and checksum verification, shared speed limits (see ``transfer``). When
aria2c is installed it takes over large files, where it is faster (see ``aria2``).

A person may ask for more than the bytes: the audio of a video, another container, embedded
metadata. Those need ffmpeg post-processing, which yt-dlp already does well, so such jobs go
to the yt-dlp engine, whose direct-file transfers come back to this module's downloader
("yt-dlp extracts, mediadl fetches"). A URL that turns out to be a web page goes there too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from mediadl.engines.base import (
    Emit,
    FetchOptions,
    FileWritten,
    Finished,
    ProbeResult,
    Progress,
    Started,
)
from mediadl.engines.http import aria2
from mediadl.engines.http.naming import (
    AUDIO_EXTENSIONS,
    VIDEO_EXTENSIONS,
    file_name,
    is_web_page,
    title_for,
    url_extension,
)
from mediadl.engines.http.options import transfer_request
from mediadl.engines.http.probe import inspect, probe_from_link, probe_result
from mediadl.engines.http.remote import RemoteFile
from mediadl.engines.http.transfer import TransferResult, TransferStatus, download
from mediadl.engines.ratelimit import wait_for_turn
from mediadl.engines.ytdlp.engine import YtdlpEngine

PART_NAME = "download.part"
# Extensions whose URL is the file itself; yt-dlp would only pass them through (and names
# what it does not know, such as .bin, ".unknown_video").
DIRECT_EXTENSIONS = ("mp4|m4v|mkv|webm|mov|avi|mp3|m4a|aac|flac|ogg|oga|opus|wav|"
                     "jpe?g|png|gif|webp|avif|zip|7z|rar|iso|bin")


class WebPage(Exception):
    """The URL answered with a web page: it is a job for an extractor, not a download."""


class HttpEngine:
    name: ClassVar[str] = "http"
    url_patterns: ClassVar[tuple[re.Pattern[str], ...]] = (
        re.compile(rf"^https?://[^/?#]+/[^?#]*\.(?:{DIRECT_EXTENSIONS})(?:[?#].*)?$",
                   re.IGNORECASE),
    )
    examples: ClassVar[tuple[str, ...]] = (
        "https://cdn.example.com/videos/holiday-2024.mp4",
        "https://files.example.org/music/track.FLAC?token=abc123",
        "https://mirror.example.net/releases/installer.iso",
    )

    def probe(self, url: str, options: FetchOptions) -> ProbeResult:
        remote = inspect(url, options)
        if is_web_page(remote.content_type):
            return YtdlpEngine().probe(url, options)
        return probe_result(url, remote)

    def probe_for_job(self, url: str) -> ProbeResult | None:
        """The probe of a job, without a request when the link names a media file (see
        ``probe_from_link``); None means: probe the usual way."""
        if any(pattern.match(url) for pattern in self.url_patterns):
            return probe_from_link(url)
        return None

    def fetch(self, url: str, dest: Path, options: FetchOptions, emit: Emit) -> None:
        if needs_processing(options, url_extension(url)):
            YtdlpEngine().fetch(url, dest, options, emit)
            return
        dest.mkdir(parents=True, exist_ok=True)
        # A platform that asks for time between requests gets it before the download, in
        # turn with every other job process of the platform.
        wait_for_turn(options)
        try:
            path, result = fetch_file(url, dest / PART_NAME, options, emit)
        except WebPage:
            (dest / PART_NAME).unlink(missing_ok=True)
            YtdlpEngine().fetch(url, dest, options, emit)
            return
        emit(FileWritten(path=path, title=title_for(path.name),
                         source=urlsplit(url).hostname, metadata=file_metadata(url, result)))
        emit(Finished(files=1))


def needs_processing(options: FetchOptions, extension: str) -> bool:
    """Whether the person asked for something only ffmpeg can make of this file."""
    if extension in VIDEO_EXTENSIONS:
        remux = options.container in ("mp4", "mkv") and options.container != extension
        return options.quality == "audio" or remux or options.embed_metadata
    if extension in AUDIO_EXTENSIONS:
        convert = options.audio_format not in ("best", extension)
        return (options.quality == "audio" and convert) or options.embed_metadata
    return False


def fetch_file(url: str, part: Path, options: FetchOptions,
               emit: Emit) -> tuple[Path, TransferResult]:
    """Download ``url`` into ``part`` and rename it to its real name beside it."""
    events = TransferEvents(emit)
    request = transfer_request(url, part, options)
    runner = aria2.download if aria2.wanted(options, part) else download
    result = runner(request, events.progress, events.started)
    target = free_path(part.parent / file_name(result.remote.url, result.remote.content_type,
                                               result.remote.disposition))
    os.replace(part, target)
    return target, result


class TransferEvents:
    """Turns transfer callbacks into engine events."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit

    def started(self, remote: RemoteFile) -> None:
        if is_web_page(remote.content_type):
            raise WebPage
        name = file_name(remote.url, remote.content_type, remote.disposition)
        self.emit(Started(title=title_for(name), total_bytes=remote.size))

    def progress(self, status: TransferStatus) -> None:
        self.emit(Progress(downloaded_bytes=status.downloaded, total_bytes=status.total,
                           speed_bps=status.speed, eta_s=status.eta))


def free_path(path: Path) -> Path:
    """``path``, or ``name (2).ext`` and so on when a file of that name is already there."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
    return candidate


def file_metadata(url: str, result: TransferResult) -> dict[str, object]:
    """What the library may keep; ``sha256``/``size`` describe the file as written, so the
    library need not read a big file once more to hash it."""
    remote = result.remote
    metadata: dict[str, object] = {"webpage_url": url, "extractor": "http",
                                   "size": result.size}
    if result.sha256:
        metadata["sha256"] = result.sha256
    if remote.content_type:
        metadata["content_type"] = remote.content_type
    if remote.checksum is not None:
        metadata["verified_checksum"] = remote.checksum.algorithm
    return metadata
