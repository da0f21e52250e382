"""The gallery-dl engine: Instagram posts, stories and highlights, TikTok photo posts, image
hosts. gallery-dl runs as a separate program (see the package doc).

``probe`` asks for gallery-dl's JSON (``--dump-json``, nothing downloaded); a profile
becomes a collection with one entry per post. ``fetch`` lets gallery-dl download into the
job folder and reports each file the moment it is finished, with the post's metadata
(post id, author, date, caption) from the sidecar gallery-dl writes next to it.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import ClassVar

from mediadl.engines.base import (
    Emit,
    EngineError,
    FetchOptions,
    FileWritten,
    Finished,
    Listing,
    ListRequest,
    ProbeResult,
    Progress,
    Started,
)
from mediadl.engines.gallerydl import metadata as meta
from mediadl.engines.gallerydl.command import (
    CONFIG_NAME,
    META_DIR,
    config_for,
    fetch_command,
    probe_command,
    write_config,
)
from mediadl.engines.gallerydl.errors import NO_EXTRACTOR, engine_error
from mediadl.engines.gallerydl.hosts import IMAGE_HOST_LINK, INSTAGRAM_LINK, TIKTOK_PHOTO_LINK
from mediadl.engines.gallerydl.listing import list_entries
from mediadl.engines.gallerydl.messages import parse_dump, probe_result
from mediadl.engines.gallerydl.process import STDERR, Run, run_to_end
from mediadl.engines.gallerydl.stream import FileDone, FileProgress, parse_line

DEFAULT_ENTRY_LIMIT = 1000
FILES_DIR = "gallery-dl"
ONE_POST = re.compile(r"instagram\.com/(?:[\w.]+/)?(?:p|tv|reels?)/[\w-]+|tiktok\.com/@[\w.-]+/"
                      r"photo/\d+", re.IGNORECASE)


class GalleryDlEngine:
    name: ClassVar[str] = "gallerydl"
    url_patterns: ClassVar[tuple[re.Pattern[str], ...]] = (
        INSTAGRAM_LINK, TIKTOK_PHOTO_LINK, IMAGE_HOST_LINK)
    examples: ClassVar[tuple[str, ...]] = (
        "https://www.instagram.com/p/C0ffeeBean12/",
        "https://www.instagram.com/stories/natgeo/",
        "https://www.tiktok.com/@user.name/photo/7350000000000000000",
        "https://www.imagebam.com/view/MEABCDE",
        "https://imgbox.com/g/AbCdEfGhIj",
    )

    def probe(self, url: str, options: FetchOptions) -> ProbeResult:
        if options.collection_entry and ONE_POST.search(url):
            # A post of a profile the job layer listed already: asking Instagram about it
            # again before downloading it would double the requests that get us throttled.
            return ProbeResult(url=url, kind="image", source=None)
        with tempfile.TemporaryDirectory(prefix="mediadl-gallery-dl-") as work:
            config = write_config(Path(work) / CONFIG_NAME,
                                  config_for(options, Path(work) / FILES_DIR))
            status, stdout, stderr = run_to_end(probe_command(options, config, url))
        dump = parse_dump(stdout)
        if status & NO_EXTRACTOR or (dump.errors and not (dump.files or dump.queued)):
            raise engine_error(status or 1, stderr + [_as_log(text) for text in dump.errors])
        limit = options.max_items or options.playlist_limit or DEFAULT_ENTRY_LIMIT
        return probe_result(url, dump, limit)

    def list_entries(self, url: str, options: FetchOptions, request: ListRequest) -> Listing:
        """A scheduled run's listing: newest first, up to the first known post."""
        return list_entries(url, options, request)

    def fetch(self, url: str, dest: Path, options: FetchOptions, emit: Emit) -> None:
        files_dir = dest / FILES_DIR
        files_dir.mkdir(parents=True, exist_ok=True)
        config = write_config(dest / CONFIG_NAME, config_for(options, files_dir))
        try:
            written = Download(url, files_dir, emit).run(fetch_command(options, config, url))
        finally:
            config.unlink(missing_ok=True)
        emit(Finished(files=written))


class Download:
    """One gallery-dl download run, turned into engine events as its lines arrive."""

    def __init__(self, url: str, files_dir: Path, emit: Emit) -> None:
        self.url, self.files_dir, self.emit = url, files_dir, emit
        self.written = 0
        self.done_bytes = 0
        self.stderr: list[str] = []
        self._started = False

    def run(self, command: list[str]) -> int:
        run = Run(command)
        try:
            for line in run:
                self._on_line(line.stream, line.text)
        except BaseException:
            run.kill()
            raise
        self._check(run.returncode)
        return self.written

    def _on_line(self, stream: str, text: str) -> None:
        event = parse_line(text)
        if isinstance(event, FileDone):
            self._on_file(event)
        elif isinstance(event, FileProgress):
            self._on_progress(event)
        elif stream == STDERR:
            self.stderr.append(text)

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self.emit(Started(title=None, total_bytes=None))

    def _on_progress(self, progress: FileProgress) -> None:
        self._start()
        total = self.done_bytes + progress.total if progress.total else None
        self.emit(Progress(downloaded_bytes=self.done_bytes + progress.downloaded,
                           total_bytes=total, speed_bps=progress.speed))

    def _on_file(self, done: FileDone) -> None:
        path = self._inside(done.path)
        if path is None:
            return
        self._start()
        info = sidecar(path)
        self.done_bytes += path.stat().st_size
        self.written += 1
        self.emit(Progress(downloaded_bytes=self.done_bytes, total_bytes=self.done_bytes))
        self.emit(FileWritten(
            path=path, title=meta.title(info), media_id=meta.file_key(info, self.url),
            source=meta.author(info), description=meta.caption(info),
            metadata=meta.file_metadata(info, self.url)))

    def _inside(self, reported: Path) -> Path | None:
        """The reported file, checked to be a file inside the job's folder."""
        resolved, root = reported.resolve(), self.files_dir.resolve()
        if not resolved.is_relative_to(root):
            raise EngineError(f"gallery-dl wrote outside the job folder: {reported.name}")
        if not resolved.is_file():
            return None  # reported as already there, but moved into the library since
        return self.files_dir / resolved.relative_to(root)

    def _check(self, status: int) -> None:
        """A failed run with files already reported only fails when trying again may
        bring the rest; a post with one broken file keeps the others."""
        if status == 0:
            return
        error = engine_error(status, self.stderr)
        if not self.written or error.transient:
            raise error


def sidecar(path: Path) -> meta.Info:
    """The metadata gallery-dl wrote for ``path`` (``.meta/<name>.json`` beside it)."""
    candidate = path.parent / META_DIR / f"{path.name}.json"
    try:
        loaded = json.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _as_log(message: str) -> str:
    return f"\x1eL error gallery-dl {message}"
