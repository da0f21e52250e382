"""Listing a source for a scheduled run: only what is new, as cheaply as the source allows.

* Feeds are polled with a conditional GET (see ``feeds``).
* Channels and playlists are listed lazily, newest first, one page at a time, and the
  listing stops at the first few entries already known (yt-dlp's break-on-existing) instead
  of walking the whole channel. YouTube's flat listings carry approximate upload dates
  (``approximate_date``), so a date range can be applied without opening each video.
* Backfill: a run looks at ``max_entries`` entries at most. Until the end of the source
  has been reached once (``exhausted`` in the state), a run first takes the new entries at
  the top, then goes on below the known ones from where the last run stopped (``offset``,
  shifted by the new entries on top), so later runs work their way back gradually,
  whether or not the source reports its size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from itertools import islice
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
# Entries above the stored offset read again, in case some were deleted meanwhile (the
# rest moved up): known ones cost nothing but a look.
OFFSET_OVERLAP = KNOWN_STREAK
NEWEST_FIRST = "newest_first"
# Upload dates in flat channel listings, estimated from "3 weeks ago": one request per
# page instead of one per video.
APPROXIMATE_DATES = {"youtubetab": {"approximate_date": [""]}}
# Listings whose entries come newest first: channels and user pages, not playlists.
NEWEST_FIRST_EXTRACTORS = frozenset({"TikTokUser", "BilibiliSpaceVideo"})
Info = dict[str, Any]
_END = object()


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
    params = {**probe_params(options, request.max_entries), "lazy_playlist": True,
              "extractor_args": APPROXIMATE_DATES}
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
    found = scan(info.get("entries") or [], request, total)
    state: dict[str, Any] = {"format": PLAYLIST_FORMAT, "offset": found.position,
                             "exhausted": found.ended}
    if is_newest_first(info):
        state["order"] = NEWEST_FIRST
    return Listing(kind="playlist", entries=found.fresh, found=found.looked_at,
                   title=_text(info.get("title")), complete=found.ended, state=state)


def is_newest_first(info: Info) -> bool:
    """A channel's tab (its id is the channel's) or a user page; a playlist keeps the order
    its owner chose."""
    channel = info.get("channel_id")
    return bool(channel and info.get("id") == channel) or \
        info.get("extractor_key") in NEWEST_FIRST_EXTRACTORS


@dataclass
class Scan:
    fresh: list[Entry] = field(default_factory=list)
    looked_at: int = 0
    position: int = 0  # entries passed from the top, looked at or skipped
    ended: bool = False  # the source was seen to its end (now, or by an earlier run)


def scan(items: Iterable[Any], request: ListRequest, total: int | None) -> Scan:
    """New entries of the top, then (until the source was seen to its end once) the next
    ones below the known part. Pages are fetched only as the iteration gets to them, so
    stopping early saves the requests for the rest."""
    entries = iter(items)
    found = Scan()
    streak_reached = read(entries, request, found, stop_at_known=True)
    previous = _count(request.state.get("offset")) or 0
    if not streak_reached:
        return found
    if request.state.get("exhausted") is True and not more_expected(total, request,
                                                                    found.fresh):
        found.position = previous + len(found.fresh)
        found.ended = True
        return found
    skip_to(entries, found, previous + len(found.fresh) - OFFSET_OVERLAP)
    if not found.ended:
        read(entries, request, found, stop_at_known=False)
    return found


def more_expected(total: int | None, request: ListRequest, fresh: list[Entry]) -> bool:
    """The source holds entries the run has not seen yet, somewhere further down."""
    return total is not None and total > len(request.known_keys) + len(fresh)


def read(entries: Iterator[Any], request: ListRequest, found: Scan, *,
         stop_at_known: bool) -> bool:
    """Look at entries until ``max_entries`` were looked at or the end; with
    ``stop_at_known``, until KNOWN_STREAK known ones in a row (then True)."""
    streak = 0
    while found.looked_at < request.max_entries:
        item = next(entries, _END)
        if item is _END:
            found.ended = True
            return False
        found.looked_at += 1
        found.position += 1
        entry = flat_entry(item)
        if entry is None:
            continue
        if entry.key in request.known_keys:
            streak += 1
            if stop_at_known and streak >= KNOWN_STREAK:
                return True
            continue
        streak = 0
        found.fresh.append(entry)
    return False


def skip_to(entries: Iterator[Any], found: Scan, position: int) -> None:
    """Pass over entries without looking at them, up to ``position``."""
    wanted = max(0, position - found.position)
    passed = sum(1 for _ in islice(entries, wanted))
    found.position += passed
    found.ended = passed < wanted


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
