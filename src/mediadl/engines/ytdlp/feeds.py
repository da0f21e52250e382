"""Podcast and news feeds (RSS 2.0, RSS 1.0, Atom), polled cheaply.

A feed is fetched with the validators of the last poll (``If-None-Match`` /
``If-Modified-Since``), so an unchanged feed costs one small 304. Items are read from the
document itself; no enclosure is touched while listing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from yt_dlp import YoutubeDL
from yt_dlp.networking import Request
from yt_dlp.networking.exceptions import HTTPError
from yt_dlp.utils import YoutubeDLError

from mediadl.engines.base import EngineError, Entry, FetchOptions, Kind, Listing, ListRequest
from mediadl.engines.ytdlp.errors import engine_error_from
from mediadl.engines.ytdlp.options import common_params

MAX_FEED_BYTES = 20 * 1024 * 1024
FEED_FORMAT = "feed"
ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC_DATE = "{http://purl.org/dc/elements/1.1/}date"
MEDIA_CONTENT = "{http://search.yahoo.com/mrss/}content"
YOUTUBE_VIDEO_ID = "{http://www.youtube.com/xml/schemas/2015}videoId"
FEED_ROOTS = frozenset({"rss", f"{ATOM}feed", f"{RDF}RDF"})
KIND_OF_MIME: dict[str, Kind] = {"audio": "audio", "video": "video", "image": "image"}


class NotAFeed(Exception):
    """The document is not RSS or Atom (a web page, say): list it another way."""


def list_feed(url: str, options: FetchOptions, request: ListRequest) -> Listing:
    """The feed's entries not yet known; NotAFeed when the URL serves something else."""
    with YoutubeDL(common_params(options)) as ydl:
        try:
            response = ydl.urlopen(Request(url, headers=conditional_headers(request)))
        except HTTPError as error:
            if error.status == 304:
                error.response.close()
                return not_modified(request)
            raise engine_error_from(error) from error
        except YoutubeDLError as error:
            raise engine_error_from(error) from error
        with response:
            body = response.read(MAX_FEED_BYTES + 1)
            headers = response.headers
    if len(body) > MAX_FEED_BYTES:
        raise EngineError("The feed is larger than 20 MB.")
    listing = parse_feed(body, url, request)
    listing.etag = headers.get("ETag")
    listing.last_modified = headers.get("Last-Modified")
    return listing


def conditional_headers(request: ListRequest) -> dict[str, str]:
    headers = {}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    return headers


def not_modified(request: ListRequest) -> Listing:
    return Listing(kind="playlist", not_modified=True, etag=request.etag,
                   last_modified=request.last_modified, state={"format": FEED_FORMAT})


def parse_feed(body: bytes, url: str, request: ListRequest) -> Listing:
    root = feed_root(body)
    items = sorted(feed_entries(root, url), key=newest_first)
    looked_at = items[:request.max_entries]
    return Listing(
        kind="playlist", found=len(looked_at), title=feed_title(root),
        entries=[entry for entry in looked_at if entry.key not in request.known_keys],
        complete=len(items) <= request.max_entries, state={"format": FEED_FORMAT},
    )


def feed_root(body: bytes) -> Element:
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise NotAFeed from None
    if root.tag not in FEED_ROOTS:
        raise NotAFeed
    return root


def newest_first(entry: Entry) -> tuple[bool, float]:
    """Dated entries newest first; undated ones after them, in document order."""
    if entry.published_at is None:
        return True, 0.0
    return False, -entry.published_at.replace(tzinfo=UTC).timestamp()


def feed_title(root: Element) -> str | None:
    channel = root.find("channel")
    if channel is not None:
        return _text(channel.find("title"))
    return _text(root.find(f"{ATOM}title")) or _text(root.find(f"{RSS1}channel/{RSS1}title"))


def feed_entries(root: Element, url: str) -> Iterator[Entry]:
    if root.tag == f"{ATOM}feed":
        readings = (atom_entry(item, url) for item in root.iter(f"{ATOM}entry"))
    elif root.tag == "rss":
        readings = (rss_entry(item, url) for item in root.iter("item"))
    else:
        readings = (rss1_entry(item, url) for item in root.iter(f"{RSS1}item"))
    return (entry for entry in readings if entry is not None)


def rss_entry(item: Element, base: str) -> Entry | None:
    media_url, mime = enclosure_of(item)
    link = _text(item.find("link"))
    target = media_url or link
    if not target:
        return None
    key = _text(item.find("guid")) or link or target
    published = _rfc822(_text(item.find("pubDate"))) or _iso(_text(item.find(DC_DATE)))
    return Entry(url=urljoin(base, target), title=_text(item.find("title")), key=key[:512],
                 published_at=published, kind=kind_of_mime(mime))


def enclosure_of(item: Element) -> tuple[str | None, str | None]:
    for tag in ("enclosure", MEDIA_CONTENT):
        found = item.find(tag)
        if found is not None and found.get("url"):
            return found.get("url"), found.get("type")
    return None, None


def atom_entry(item: Element, base: str) -> Entry | None:
    links = {link.get("rel", "alternate"): link.get("href")
             for link in item.findall(f"{ATOM}link")}
    target = links.get("enclosure") or links.get("alternate")
    if not target:
        return None
    key = (_text(item.find(YOUTUBE_VIDEO_ID)) or _text(item.find(f"{ATOM}id")) or target)
    published = (_iso(_text(item.find(f"{ATOM}published")))
                 or _iso(_text(item.find(f"{ATOM}updated"))))
    mime = next((link.get("type") for link in item.findall(f"{ATOM}link")
                 if link.get("rel") == "enclosure"), None)
    return Entry(url=urljoin(base, target), title=_text(item.find(f"{ATOM}title")),
                 key=key[:512], published_at=published, kind=kind_of_mime(mime))


def rss1_entry(item: Element, base: str) -> Entry | None:
    link = _text(item.find(f"{RSS1}link")) or item.get(f"{RDF}about")
    if not link:
        return None
    return Entry(url=urljoin(base, link), title=_text(item.find(f"{RSS1}title")), key=link[:512],
                 published_at=_iso(_text(item.find(DC_DATE))))


def kind_of_mime(mime: str | None) -> Kind | None:
    return KIND_OF_MIME.get((mime or "").split("/", 1)[0].strip().lower())


def _text(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _rfc822(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return _naive_utc(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError):
        return None


def _iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return _naive_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
