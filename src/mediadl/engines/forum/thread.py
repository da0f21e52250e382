"""Reading a thread (or a gallery page) page by page into its image links.

Pages are followed through their "next" links (``rel=next``, the forum's next-page button),
on the same host, each page once, up to ``MAX_PAGES``. A link seen on an earlier page (a
quote repeats the images of the post it quotes) is listed once. With dates, links of posts
dated outside them are left out; links of posts without a date are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit

from mediadl.engines.base import Entry
from mediadl.engines.forum.client import ForumClient, PageAnswer
from mediadl.engines.forum.pages import FoundLink, Page, parse_page

MAX_PAGES = 1000
ENTRY_TITLE_LENGTH = 200


@dataclass
class ThreadRead:
    first_url: str
    title: str | None = None
    is_thread: bool = False
    entries: dict[str, Entry] = field(default_factory=dict)
    pages: int = 0
    last_page_url: str | None = None
    last_post_id: str | None = None
    since: date | None = None
    until: date | None = None
    dated_out: int = 0  # links left out for their post's date

    def add(self, link: FoundLink, posted: datetime | None = None) -> None:
        if link.url in self.entries:
            return
        if not self.within(posted):
            self.dated_out += 1
            return
        self.entries[link.url] = Entry(url=link.url, title=self._entry_title(link),
                                       key=link.url, published_at=posted)

    def within(self, posted: datetime | None) -> bool:
        if posted is None:
            return True
        day = posted.date()
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until)

    def _entry_title(self, link: FoundLink) -> str | None:
        parts = [self.title or "", f"post {link.post_id}" if link.post_id else "",
                 link.text or ""]
        return " · ".join(part for part in parts if part)[:ENTRY_TITLE_LENGTH] or None


def read_thread(client: ForumClient, first: PageAnswer, limit: int,
                since: date | None = None, until: date | None = None) -> ThreadRead:
    """The image links from ``first`` on, following the next-page links: the first
    ``limit`` of posts within the dates (inclusive; a post without a date counts)."""
    read = ThreadRead(first_url=first.url, since=since, until=until)
    page: Page | None = parse_page(first.url, first.text)
    visited: set[str] = set()
    while page is not None:
        visited.add(page.url)
        _take(read, page, limit)
        page = _next_page(client, page, visited) if len(read.entries) < limit else None
    return read


def _take(read: ThreadRead, page: Page, limit: int) -> None:
    if read.pages == 0:
        read.title, read.is_thread = page.title, page.has_posts
    read.pages += 1
    read.last_page_url = page.url
    read.last_post_id = page.post_ids[-1] if page.post_ids else read.last_post_id
    for link in page.posted_links():
        if len(read.entries) >= limit:
            return
        read.add(link, page.posted_at(link))


def _next_page(client: ForumClient, page: Page, visited: set[str]) -> Page | None:
    target = page.next_url
    if (target is None or target in visited or len(visited) >= MAX_PAGES
            or urlsplit(target).hostname != urlsplit(page.url).hostname):
        return None
    visited.add(target)
    answer = client.page(target, referer=page.url)
    if not answer.text:
        return None
    return parse_page(answer.url, answer.text)
