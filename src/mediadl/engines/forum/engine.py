"""The forum engine: any forum thread (or gallery page) -> the full-size images its posts
link to, never the thumbnails.

``probe`` of a thread reads it page by page and lists one entry per image link (an image
host page, an attachment, a direct image); the job layer turns the entries into child jobs
and skips those already in the download archive, so a re-run fetches only what is new.
It starts at ``resume_from_url`` (the last page read before) when the job layer knows one,
and reports where it stopped (``last_page_url``, ``last_post_id``) for the next run. With
``date_from``/``date_to`` it lists only links of posts dated within them (a post whose page
shows no date is kept; see ``pages``).

``fetch`` of one image link resolves it to the full-size image: links to image hosts that
gallery-dl knows go to gallery-dl's host extractors; any other link is fetched, and when it
answers with a page, that page's main image (``og:image``, else the image it marks as
main, else its largest) is the one saved.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from mediadl.engines.base import (
    Emit,
    EngineError,
    FetchOptions,
    FileWritten,
    Finished,
    Kind,
    ProbeResult,
)
from mediadl.engines.forum.client import ForumClient, PageAnswer
from mediadl.engines.forum.download import NotMedia, is_media, save_media
from mediadl.engines.forum.pages import parse_page
from mediadl.engines.forum.thread import ThreadRead, read_thread
from mediadl.engines.gallerydl.engine import GalleryDlEngine
from mediadl.engines.gallerydl.hosts import is_image_host_link
from mediadl.engines.ratelimit import wait_for_turn

DEFAULT_ENTRY_LIMIT = 5000
THREAD_URL = re.compile(
    r"^https?://[^/?#]+(?:/[^?#]*)?(?:/threads/(?:[^/?#]*\.)?\d+(?:/|[?#]|$)|"
    r"/showthread\.php(?:[?/]|$)|/viewtopic\.php\?|/index\.php\?(?:[^#]*&)?topic=\d+|"
    r"/topic/\d+-[^/?#]+|/thread-\d+(?:-page-\d+)?\.html|/t/[^/?#]+/\d+)", re.IGNORECASE)


class ForumEngine:
    name: ClassVar[str] = "forum"
    url_patterns: ClassVar[tuple[re.Pattern[str], ...]] = (THREAD_URL,)
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example.com/threads/summer-photos.12345/",
        "https://board.example.org/showthread.php?t=98765",
        "https://community.example.net/viewtopic.php?f=2&t=4242",
        "https://smf.example.net/index.php?topic=777.0",
    )

    def probe(self, url: str, options: FetchOptions) -> ProbeResult:
        if options.collection_entry:
            # One image link of a thread: resolving it is the fetch's work, and the probe
            # must stay free of requests so a thousand-image thread costs no extra ones.
            return ProbeResult(url=url, kind="image", media_id=url, source=_host(url))
        with ForumClient(options) as client:
            first = _first_page(client, url, options.resume_from_url)
            if not first.text:
                return _single_file(url, first)
            read = read_thread(client, first, _limit(options), options.date_from,
                               options.date_to)
            return _listing(url, read, first)

    def fetch(self, url: str, dest: Path, options: FetchOptions, emit: Emit) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        if is_image_host_link(url) and _by_gallery_dl(url, dest, options, emit):
            return
        with ForumClient(options) as client:
            path, image_url = full_size_image(client, url, dest, emit)
        emit(FileWritten(path=path, media_id=url, source=_host(url),
                         metadata={"webpage_url": url, "image_url": image_url,
                                   "extractor": "forum"}))
        emit(Finished(files=1))


def full_size_image(client: ForumClient, url: str, dest: Path, emit: Emit) -> tuple[Path, str]:
    """The image behind ``url``: the link itself when it is one, else its page's main image."""
    try:
        return save_media(client, url, dest, emit), url
    except NotMedia as answer:
        if not answer.page.text:
            raise EngineError(f"{url} is neither an image nor a page "
                              f"({answer.page.content_type or 'no type'}).") from None
        page = parse_page(answer.page.url, answer.page.text)
    image = page.main_image()
    if image is None:
        raise EngineError(f"No image was found on {url}.")
    try:
        return save_media(client, image, dest, emit, referer=url), image
    except NotMedia:
        raise EngineError(f"The main image of {url} is not an image.") from None


def _by_gallery_dl(url: str, dest: Path, options: FetchOptions, emit: Emit) -> bool:
    """gallery-dl's host extractor; False when it cannot read the page (a changed site),
    so the page is read the generic way instead."""
    wait_for_turn(options)  # its first request; gallery-dl spaces the later ones itself
    try:
        GalleryDlEngine().fetch(url, dest, options, emit)
    except EngineError as error:
        if error.transient:
            raise
        return False
    return True


def _listing(url: str, read: ThreadRead, first: PageAnswer) -> ProbeResult:
    if not read.is_thread:
        single = _single_image_page(url, first)
        if single is not None:
            return single
    if not read.entries and not read.dated_out:  # none at all, not none within the dates
        raise EngineError("No image links were found on this page.")
    return ProbeResult(
        url=url, kind="thread" if read.is_thread else "gallery", title=read.title,
        source=read.title or _host(url), entries=list(read.entries.values()),
        entry_count=len(read.entries),
        metadata={"thread_url": url, "last_page_url": read.last_page_url,
                  "last_post_id": read.last_post_id, "pages_read": read.pages,
                  "extractor": "forum"},
    )


def _single_image_page(url: str, first: PageAnswer) -> ProbeResult | None:
    """A page that is one picture (an image host's page given directly): it shows an image
    that is no link and that the page names as its own (og:image, or marked as the main
    one). A gallery links all its pictures, so it never is one."""
    page = parse_page(first.url, first.text)
    shown = {image.src for image in page.images}
    if not (page.og_image in shown or any(image.marked for image in page.images)):
        return None
    image = page.main_image()
    return ProbeResult(url=url, kind="image", media_id=url, thumbnail=image,
                       source=_host(url), title=None)


def _single_file(url: str, first: PageAnswer) -> ProbeResult:
    if not is_media(first.content_type.split(";")[0], first.url):
        raise EngineError(f"This link is neither a page nor an image ({first.content_type}).")
    kind: Kind = "video" if first.content_type.startswith("video/") else "image"
    return ProbeResult(url=url, kind=kind, media_id=url, source=_host(url))


def _first_page(client: ForumClient, url: str, resume: str | None) -> PageAnswer:
    """The page a run starts at: where the last run stopped, or the thread's first page
    when there is none or it is gone (a pruned or moved thread page)."""
    if resume and _same_site(resume, url):
        try:
            return client.page(resume)
        except EngineError as error:
            if error.transient:
                raise
    return client.page(url)


def _limit(options: FetchOptions) -> int:
    return options.max_items or options.playlist_limit or DEFAULT_ENTRY_LIMIT


def _same_site(resume: str, url: str) -> bool:
    return urlsplit(resume).hostname == urlsplit(url).hostname


def _host(url: str) -> str | None:
    return urlsplit(url).hostname
