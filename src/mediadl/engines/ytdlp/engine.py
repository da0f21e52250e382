"""The yt-dlp engine: yt-dlp's Python API, driven only by FetchOptions.

Events of one ``fetch``: ``Started`` once, ``Progress`` (≤ ~10/s), one ``FileWritten`` per
final file (merged / converted, never an intermediate part) and ``Finished``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from yt_dlp import YoutubeDL
from yt_dlp.utils import YoutubeDLError

from mediadl.engines.base import (
    Emit,
    EngineError,
    FetchOptions,
    FileWritten,
    Finished,
    Listing,
    ListRequest,
    ProbeResult,
)
from mediadl.engines.ytdlp.errors import engine_error_from
from mediadl.engines.ytdlp.handoff import MediadlYoutubeDL
from mediadl.engines.ytdlp.listing import list_entries
from mediadl.engines.ytdlp.options import fetch_params, probe_params
from mediadl.engines.ytdlp.probe import (
    DEFAULT_ENTRY_LIMIT,
    file_metadata,
    probe_result_from_info,
    source_of,
)
from mediadl.engines.ytdlp.progress import ProgressReporter

Info = dict[str, Any]  # a yt-dlp info dict, already passed through sanitize_info


class YtdlpEngine:
    name: ClassVar[str] = "ytdlp"
    # The catch-all: it is last in the registry, every more specific engine wins first.
    url_patterns: ClassVar[tuple[re.Pattern[str], ...]] = (
        re.compile(r"^https?://", re.IGNORECASE),
    )
    examples: ClassVar[tuple[str, ...]] = (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://media.example.com/clips/sample",
        "https://cdn.example.com/live/stream/master.m3u8",
    )

    def probe(self, url: str, options: FetchOptions) -> ProbeResult:
        limit = options.playlist_limit or DEFAULT_ENTRY_LIMIT
        info = _extract(url, probe_params(options, limit), download=False)
        return probe_result_from_info(url, info, limit)

    def list_entries(self, url: str, options: FetchOptions, request: ListRequest) -> Listing:
        """Only the entries of ``url`` not in ``request.known_keys`` (see ``listing``)."""
        return list_entries(url, options, request)

    def fetch(self, url: str, dest: Path, options: FetchOptions, emit: Emit) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        reporter = ProgressReporter(emit)
        params = {**fetch_params(options, dest), "progress_hooks": [reporter.hook]}
        info = _extract(url, params, download=True, options=options)
        items = list(downloaded_items(info))
        reporter.start(_title(items[0] if items else info), None)
        files = [_file_written(path, item, download, url)
                 for item, download, path in final_files(items, dest)]
        if not files:
            raise EngineError("nothing was downloaded (no playable media found)")
        for event in files:
            emit(event)
        emit(Finished(files=len(files)))


def _extract(url: str, params: dict[str, Any], *, download: bool,
             options: FetchOptions | None = None) -> Info:
    """With ``options``, direct-file transfers go to the http engine (see ``handoff``)."""
    try:
        with MediadlYoutubeDL(params, options) if options else YoutubeDL(params) as ydl:
            info = ydl.extract_info(url, download=download)
    except YoutubeDLError as exc:
        raise engine_error_from(exc) from exc
    if not isinstance(info, dict):
        raise EngineError(f"nothing found at {url}")
    return ydl.sanitize_info(info)


def downloaded_items(info: Info) -> Iterator[Info]:
    """The info dicts that were downloaded: the item itself, or the chosen playlist entry."""
    if info.get("requested_downloads"):
        yield info
    for entry in info.get("entries") or []:
        if isinstance(entry, dict):
            yield from downloaded_items(entry)


def final_files(items: list[Info], dest: Path) -> Iterator[tuple[Info, Info, Path]]:
    """Each final file (after merging and conversion), checked to exist inside ``dest``.

    Yields the item, the download (the chosen format(s), as yt-dlp saw them) and the path.
    """
    for item in items:
        for download in item.get("requested_downloads") or []:
            path = Path(str(download.get("filepath") or download.get("filename") or ""))
            yield item, download, _checked_path(path, dest)


def _checked_path(path: Path, dest: Path) -> Path:
    """``path`` spelled from ``dest`` as the caller gave it (dest / name), once checked."""
    resolved, root = path.resolve(), dest.resolve()
    if not resolved.is_relative_to(root):
        raise EngineError(f"yt-dlp wrote outside the job folder: {path.name}")
    if not resolved.is_file():
        raise EngineError(f"yt-dlp reported a file that does not exist: {path.name}")
    return dest / resolved.relative_to(root)


def _file_written(path: Path, item: Info, download: Info, url: str) -> FileWritten:
    return FileWritten(
        path=path, title=_title(item), media_id=_text(item.get("id")),
        source=source_of(item, url), description=_text(item.get("description")),
        metadata={**file_metadata(item), **file_metadata(download)},
    )


def _title(info: Info) -> str | None:
    return _text(info.get("title"))


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
