"""Listing a source for a scheduled run: only what is new, as cheaply as the source allows.

* Feeds are polled with a conditional GET (see ``feeds``).
* Channels and playlists are listed lazily, newest first, one page at a time, and the
  listing stops at the first few entries already known (yt-dlp's break-on-existing) instead
  of walking the whole channel. When the source says it holds more entries than the run
  knows of (a playlist that grows at its end, a channel not yet fully seen), the listing
  goes on past the known ones, up to ``max_entries``: later runs backfill gradually.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from yt_dlp import YoutubeDL
from yt_dlp.extractor import gen_extractor_classes
from yt_dlp.utils import YoutubeDLError

from mediadl.engines.base import EngineError, Entry, FetchOptions, Listing, ListRequest
from mediadl.engines.ytdlp.errors import engine_error_from
from mediadl.engines.ytdlp.feeds import FEED_FORMAT, NotAFeed, list_feed
from mediadl.engines.ytdlp.options import probe_params
from mediadl.engines.ytdlp.probe import COLLECTION_TYPES, kind_of, to_entry

PLAYLIST_FORMAT = "playlist"
GENERIC_PLATFORM = "generic"
# Known entries in a row before a listing stops: one re-uploaded or re-ordered video must
# not end it early.
KNOWN_STREAK = 3
MAX_REDIRECTS = 3
Info = dict[str, Any]


def list_entries(url: str, options: FetchOptions, request: ListRequest) -> Listing:
    if looks_like_feed(url, options, request):
        try:
            return list_feed(url, options, request)
        except NotAFeed:
            pass
    return list_with_ytdlp(url, options, request)


def looks_like_feed(url: str, options: FetchOptions, request: ListRequest) -> bool:
    """Worth a feed GET first: a source that was a feed last time, or a link of no known
    platform that no site extractor of yt-dlp claims either."""
    remembered = request.state.get("format")
    if remembered is not None:
        return bool(remembered == FEED_FORMAT)
    if options.platform is not None:
        # Named platforms are sites, not feeds; a generic link is tried as a feed first.
        return options.platform == GENERIC_PLATFORM
    return not site_extractor_claims(url)


@cache
def _site_extractors() -> tuple[Any, ...]:
    return tuple(ie for ie in gen_extractor_classes() if ie.ie_key() != "Generic")


def site_extractor_claims(url: str) -> bool:
    return any(ie.suitable(url) for ie in _site_extractors())


def list_with_ytdlp(url: str, options: FetchOptions, request: ListRequest) -> Listing:
    params = {**probe_params(options, request.max_entries), "lazy_playlist": True}
    try:
        with YoutubeDL(params) as ydl:
            info = resolve(ydl, url)
            if info.get("_type") not in COLLECTION_TYPES:
                return single_item(info, url, request)
            return collection(info, request)
    except YoutubeDLError as error:
        raise engine_error_from(error) from error


def resolve(ydl: YoutubeDL, url: str) -> Info:
    """The source's info without resolving its entries; URL results are followed."""
    info = ydl.extract_info(url, download=False, process=False)
    for _ in range(MAX_REDIRECTS):
        if not isinstance(info, dict) or info.get("_type") not in ("url", "url_transparent"):
            break
        info = ydl.extract_info(info["url"], download=False, process=False,
                                ie_key=info.get("ie_key"))
    if not isinstance(info, dict):
        raise EngineError(f"nothing found at {url}")
    return info


def single_item(info: Info, url: str, request: ListRequest) -> Listing:
    key = str(info.get("id") or url)[:512]
    entry = Entry(url=url, title=_text(info.get("title")), key=key,
                  published_at=published_of(info), duration=_number(info.get("duration")))
    fresh = [] if key in request.known_keys else [entry]
    return Listing(kind=kind_of(info), entries=fresh, found=1, title=entry.title,
                   complete=True, state={"format": "item"})


def collection(info: Info, request: ListRequest) -> Listing:
    total = _count(info.get("playlist_count"))
    fresh, looked_at, complete = scan(info.get("entries") or [], request, total)
    return Listing(kind="playlist", entries=fresh, found=looked_at,
                   title=_text(info.get("title")), complete=complete,
                   state={"format": PLAYLIST_FORMAT})


def scan(items: Iterable[Any], request: ListRequest,
         total: int | None) -> tuple[list[Entry], int, bool]:
    """(new entries, entries looked at, reached the end). Pages are fetched only as the
    iteration gets to them, so stopping early saves the requests for the rest."""
    fresh: list[Entry] = []
    looked_at = streak = 0
    for item in items:
        if looked_at >= request.max_entries:
            return fresh, looked_at, False
        looked_at += 1
        entry = flat_entry(item)
        if entry is None:
            continue
        if entry.key in request.known_keys:
            streak += 1
            if streak >= KNOWN_STREAK and not more_expected(total, request, fresh):
                return fresh, looked_at, False
            continue
        streak = 0
        fresh.append(entry)
    return fresh, looked_at, True


def more_expected(total: int | None, request: ListRequest, fresh: list[Entry]) -> bool:
    """The source holds entries the run has not seen yet, somewhere further down."""
    return total is not None and total > len(request.known_keys) + len(fresh)


def flat_entry(item: Any) -> Entry | None:
    entry = to_entry(item)
    if entry is None:
        return None
    return Entry(url=entry.url, title=entry.title, duration=entry.duration,
                 key=(entry.key or entry.url)[:512], published_at=published_of(item))


def published_of(info: Info) -> datetime | None:
    timestamp = _number(info.get("timestamp")) or _number(info.get("release_timestamp"))
    if timestamp is not None:
        return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)
    day = _text(info.get("upload_date")) or _text(info.get("release_date"))
    try:
        return datetime.strptime(day, "%Y%m%d") if day else None
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None
