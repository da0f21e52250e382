"""Listing a gallery-dl source (an Instagram profile, its stories or reels) for a scheduled
run, newest first, without re-listing the whole profile each time.

gallery-dl runs as a separate program, as for downloads, but downloads nothing: a
metadata post-processor prints one JSON line per post as gallery-dl gets to it, and
``--post-range`` bounds the window to ``max_entries`` posts. The top of the source is read
until the first post the schedule knows; the program is stopped right there, so an
unchanged profile costs one page. Backfill works as for yt-dlp's listings (see
``engines.ytdlp.listing``): until the end of the source was reached once (``exhausted``),
a second window continues below the known posts from the stored ``offset``.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediadl.engines.base import Entry, FetchOptions, Listing, ListRequest
from mediadl.engines.gallerydl import metadata as meta
from mediadl.engines.gallerydl.command import CONFIG_NAME, config_for, program, write_config
from mediadl.engines.gallerydl.errors import NO_EXTRACTOR, engine_error
from mediadl.engines.gallerydl.process import STDOUT, Run

FILES_DIR = "gallery-dl"
NEWEST_FIRST = "newest_first"
# Posts above the stored offset read again, in case some were deleted meanwhile.
OFFSET_OVERLAP = 3
# What each printed post carries: enough for its key, link, date and title.
PRINTED_KEYS = (*meta.POST_ID_KEYS, *meta.POST_URL_KEYS, *meta.AUTHOR_KEYS,
                *meta.CAPTION_KEYS, *meta.DATE_KEYS, "category", "subcategory", "extension")


@dataclass
class Window:
    """One gallery-dl run over posts ``first`` .. ``first + size - 1``."""

    first: int
    size: int
    stop_at_known: bool
    fresh: list[Entry] = field(default_factory=list)
    looked_at: int = 0
    hit_known: bool = False

    @property
    def reached_end(self) -> bool:
        """Fewer posts than asked for, and not because the window stopped at a known one."""
        stopped = self.stop_at_known and self.hit_known
        return not stopped and self.looked_at < self.size


def list_entries(url: str, options: FetchOptions, request: ListRequest) -> Listing:
    budget = max(1, request.max_entries)
    top = read_window(url, options, request, Window(1, budget, stop_at_known=True))
    offset = (_count(request.state.get("offset")) or 0) + len(top.fresh)
    exhausted = request.state.get("exhausted") is True or top.reached_end
    windows = [top]
    room = budget - top.looked_at
    if top.hit_known and not exhausted and room > 0:
        first = max(top.looked_at, offset - OFFSET_OVERLAP) + 1
        deep = read_window(url, options, request, Window(first, room, stop_at_known=False))
        windows.append(deep)
        offset, exhausted = first - 1 + deep.looked_at, deep.reached_end
    elif not top.hit_known:
        offset = max(offset, top.looked_at)
    entries = list({entry.key: entry for window in windows for entry in window.fresh}.values())
    return Listing(kind="gallery", entries=entries, complete=exhausted,
                   found=sum(window.looked_at for window in windows),
                   state={"offset": offset, "exhausted": exhausted, "order": NEWEST_FIRST})


def read_window(url: str, options: FetchOptions, request: ListRequest,
                window: Window) -> Window:
    with tempfile.TemporaryDirectory(prefix="mediadl-gallery-dl-list-") as work:
        config = write_config(Path(work) / CONFIG_NAME,
                              listing_config(options, Path(work) / FILES_DIR))
        _read(Run(listing_command(options, config, url, window)), url, request, window)
    return window


def _read(run: Run, url: str, request: ListRequest, window: Window) -> None:
    stderr: list[str] = []
    try:
        for line in run:
            if line.stream != STDOUT:
                stderr.append(line.text)
            elif _take(post_entry(line.text, url), request, window):
                run.kill()  # the rest is known: not a request more
                return
    except BaseException:
        run.kill()
        raise
    _check(run.returncode, stderr, window)


def _take(entry: Entry | None, request: ListRequest, window: Window) -> bool:
    """Count a printed post; True when the window should stop at it."""
    if entry is None or any(seen.key == entry.key for seen in window.fresh):
        return False
    window.looked_at += 1
    if entry.key in request.known_keys:
        window.hit_known = True
        return window.stop_at_known
    window.fresh.append(entry)
    return False


def _check(status: int, stderr: list[str], window: Window) -> None:
    if status == 0 or (window.looked_at and not status & NO_EXTRACTOR):
        return
    raise engine_error(status, stderr)


def listing_command(options: FetchOptions, config: Path, url: str,
                    window: Window) -> list[str]:
    last = window.first + window.size - 1
    return [*program(options), "--config-ignore", "--config-json", str(config),
            "--post-range", f"{window.first}-{last}", "--", url]


def listing_config(options: FetchOptions, files_dir: Path) -> dict[str, Any]:
    """The download config, made to download nothing and print each post's metadata as a
    JSON line, flushed at once (the listing stops reading at the first known post)."""
    config = config_for(options, files_dir)
    config["extractor"].update({
        "download": False, "skip": False,
        "postprocessors": [{"name": "metadata", "mode": "jsonl", "filename": "-",
                            "event": "post", "include": list(PRINTED_KEYS)}]})
    config["output"].update({"mode": "null", "progress": False,
                             "stdout": {"line_buffering": True, "errors": "replace"}})
    return config


def post_entry(text: str, url: str) -> Entry | None:
    """The entry of one printed post; a post without a page of its own is the source."""
    if not text.startswith("{"):
        return None
    try:
        info = json.loads(text)
    except ValueError:
        return None
    if not isinstance(info, dict):
        return None
    page = meta.post_url(info) or url
    return Entry(url=page, title=meta.title(info), key=meta.item_key(info, page),
                 published_at=_published(meta.published(info)))


def _published(value: str | None) -> datetime | None:
    """Naive UTC, as the scheduler stores dates."""
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None

