"""One HTML page -> what the forum engine needs: the image links of each post, the link to
the next page, and (for an image-host page) its main image.

Forum software marks posts and their message bodies in a handful of ways (XenForo
``article[data-content=post-N] .bbWrapper``, vBulletin ``#post_message_N``, phpBB
``.post#pN .content``, SMF ``#msg_N``, MyBB ``.post_body#pid_N``, Invision
``#elComment_N .ipsType_richText``, Discourse ``.cooked``). Links inside message bodies are
what people posted; avatars, signatures and navigation are outside them. A page without
any message body (a gallery) is read as a whole.

A post's date is the first ``<time datetime>`` inside it (XenForo, phpBB, Invision,
Discourse; XenForo's ``data-time`` too). Software that prints dates as plain text only
(vBulletin, SMF, MyBB) gives its posts no date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from mediadl.engines.gallerydl.hosts import is_image_host_link

VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                       "meta", "param", "source", "track", "wbr"})
SKIPPED_SECTIONS = frozenset({"nav", "header", "footer", "script", "style", "noscript"})
POST_ID = re.compile(r"^(?:js-)?(?:post[-_]?|p|msg_|pid_|elComment_|post_message_)(\d+)$")
BODY_ID = re.compile(r"^(?:post_message_|msg_|pid_)\d+$")
BODY_CLASSES = frozenset({"bbWrapper", "postcontent", "post_body", "postbody", "cooked",
                          "ipsType_richText", "message-userContent", "postmessage"})
NEXT_CLASSES = frozenset({"next", "pageNav-jump--next", "pagination_next", "nav-next"})
NEXT_WORDS = frozenset({"next", "next \u203a", "next \u00bb", "\u203a", "\u00bb", "next page",
                        "older posts", "next >", ">"})
MAIN_IMAGE_WORDS = re.compile(r"main|full|original|big|large|image|photo|pic|img", re.I)
INLINE_IMAGE_CLASSES = frozenset({"bbImage"})
IMAGE_EXTENSIONS = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|bmp|tiff?)$", re.IGNORECASE)


@dataclass(frozen=True)
class FoundLink:
    url: str
    post_id: str | None
    in_post: bool
    thumbnail: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class FoundImage:
    src: str
    width: int
    height: int
    marked: bool  # id or class says "main image"


@dataclass
class Page:
    url: str
    title: str | None = None
    links: list[FoundLink] = field(default_factory=list)
    next_url: str | None = None
    og_image: str | None = None
    images: list[FoundImage] = field(default_factory=list)
    post_ids: list[str] = field(default_factory=list)
    post_dates: dict[str, datetime] = field(default_factory=dict)  # naive UTC, by post id
    bodies: int = 0  # message bodies seen: a forum page has some, a gallery none

    @property
    def has_posts(self) -> bool:
        return self.bodies > 0

    def posted_links(self) -> list[FoundLink]:
        """Links from message bodies when the page has any, else every link."""
        inside = [link for link in self.links if link.in_post]
        return inside if self.has_posts else self.links

    def posted_at(self, link: FoundLink) -> datetime | None:
        return self.post_dates.get(link.post_id) if link.post_id else None

    def main_image(self) -> str | None:
        """og:image first, then an image the page marks as its main one, then the largest."""
        if self.og_image:
            return self.og_image
        marked = [image for image in self.images if image.marked]
        ranked = sorted(marked or self.images, key=lambda i: i.width * i.height, reverse=True)
        return ranked[0].src if ranked else None


@dataclass
class _Open:
    tag: str
    post_id: str | None = None
    body: bool = False
    skipped: bool = False
    anchor: str | None = None


class _Scanner(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.base = page.url
        self.stack: list[_Open] = []
        self._next_by_class: str | None = None
        self._next_by_words: str | None = None
        self._anchor_text: list[str] = []
        self._anchor_thumb: str | None = None
        self._in_title = False

    # -- context --------------------------------------------------------------------
    def _post_id(self) -> str | None:
        return next((item.post_id for item in reversed(self.stack) if item.post_id), None)

    def _in(self, attribute: str) -> bool:
        return any(getattr(item, attribute) for item in self.stack)

    def _anchor(self) -> str | None:
        return next((item.anchor for item in reversed(self.stack) if item.anchor), None)

    def _absolute(self, href: str | None) -> str | None:
        if not href or href.startswith(("#", "javascript:", "mailto:", "data:")):
            return None
        url = urljoin(self.base, href.strip())
        return url.split("#", 1)[0] if urlsplit(url).scheme in ("http", "https") else None

    # -- parser callbacks -----------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        handler = getattr(self, f"_start_{tag}", None)
        if handler is not None:
            handler(values)
        if tag not in VOID_TAGS:
            self.stack.append(self._open(tag, values))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        handler = getattr(self, f"_start_{tag}", None)
        if handler is not None:
            handler(values)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                closed = self.stack[index:]
                del self.stack[index:]
                if any(item.anchor for item in closed):
                    self._end_anchor(next(item for item in closed if item.anchor))
                return

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.page.title = ((self.page.title or "") + data).strip() or None
        elif self._anchor() is not None:
            self._anchor_text.append(data)

    def _open(self, tag: str, values: dict[str, str]) -> _Open:
        identifier = values.get("id", "") or values.get("data-content", "")
        match = POST_ID.match(identifier)
        classes = set(values.get("class", "").split())
        body = bool(BODY_ID.match(values.get("id", ""))) or bool(classes & BODY_CLASSES) or (
            "content" in classes and self._post_id() is not None and tag == "div")
        anchor = self._absolute(values.get("href")) if tag == "a" else None
        if post_id := match.group(1) if match else None:
            self.page.post_ids.append(post_id)
        self.page.bodies += body
        return _Open(tag, post_id=post_id, body=body, skipped=tag in SKIPPED_SECTIONS,
                     anchor=anchor)

    # -- elements -------------------------------------------------------------------
    def _start_title(self, values: dict[str, str]) -> None:
        self._in_title = not self.page.title

    def _start_base(self, values: dict[str, str]) -> None:
        base = self._absolute(values.get("href"))
        if base:
            self.base = base

    def _start_meta(self, values: dict[str, str]) -> None:
        key = (values.get("property") or values.get("name") or "").lower()
        if key in ("og:image", "og:image:url", "twitter:image") and not self.page.og_image:
            self.page.og_image = self._absolute(values.get("content"))

    def _start_link(self, values: dict[str, str]) -> None:
        rel = values.get("rel", "").lower().split()
        if "next" in rel and not self.page.next_url:
            self.page.next_url = self._absolute(values.get("href"))
        if "image_src" in rel and not self.page.og_image:
            self.page.og_image = self._absolute(values.get("href"))

    def _start_a(self, values: dict[str, str]) -> None:
        self._anchor_text, self._anchor_thumb = [], None
        href = self._absolute(values.get("href"))
        if href is None:
            return
        rel = values.get("rel", "").lower().split()
        classes = set(values.get("class", "").split())
        if "next" in rel and not self.page.next_url:
            self.page.next_url = href
        elif classes & NEXT_CLASSES and not self._next_by_class:
            self._next_by_class = href
        elif values.get("title", "").lower().startswith("next page") and not self._next_by_words:
            self._next_by_words = href

    def _start_time(self, values: dict[str, str]) -> None:
        post_id = self._post_id()
        if post_id is None or post_id in self.page.post_dates:
            return
        posted = _timestamp(values.get("datetime"), values.get("data-time"))
        if posted is not None:
            self.page.post_dates[post_id] = posted

    def _start_img(self, values: dict[str, str]) -> None:
        src = self._absolute(values.get("data-url") or values.get("src")
                             or values.get("data-src"))
        if src is None or self._in("skipped"):
            return
        if self._anchor() is not None:
            self._anchor_thumb = self._anchor_thumb or src
            return
        self._remember_image(src, values)
        classes = set(values.get("class", "").split())
        if classes & INLINE_IMAGE_CLASSES or values.get("data-url"):
            self._add_link(src, thumbnail=None, text=values.get("alt"))

    def _remember_image(self, src: str, values: dict[str, str]) -> None:
        marker = f"{values.get('id', '')} {values.get('class', '')}"
        self.page.images.append(FoundImage(
            src, _number(values.get("width")), _number(values.get("height")),
            marked=bool(MAIN_IMAGE_WORDS.search(marker))))

    def _end_anchor(self, anchor: _Open) -> None:
        text = " ".join("".join(self._anchor_text).split())
        if text.lower() in NEXT_WORDS and not self._next_by_words:
            self._next_by_words = anchor.anchor
        if self._anchor_thumb is not None or _looks_like_image(anchor.anchor or ""):
            self._add_link(anchor.anchor or "", self._anchor_thumb, text or None)
        elif anchor.anchor and self._in("body") and is_image_host_link(anchor.anchor):
            self._add_link(anchor.anchor, None, text or None)
        self._anchor_text, self._anchor_thumb = [], None

    def _add_link(self, url: str, thumbnail: str | None, text: str | None) -> None:
        if self._in("skipped") or not url:
            return
        self.page.links.append(FoundLink(url, self._post_id(), self._in("body"),
                                         thumbnail, text))

    def finish(self) -> Page:
        self.close()
        self.page.next_url = self.page.next_url or self._next_by_class or self._next_by_words
        return self.page


def _looks_like_image(url: str) -> bool:
    return bool(IMAGE_EXTENSIONS.search(urlsplit(url).path))


def _timestamp(iso: str | None, epoch: str | None) -> datetime | None:
    """A ``datetime`` attribute (ISO 8601; no zone = UTC) or else seconds since the epoch,
    as naive UTC; None when neither is readable."""
    try:
        if iso:
            moment = datetime.fromisoformat(iso.strip())
            return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
        if epoch and epoch.strip().isdigit():
            return datetime.fromtimestamp(int(epoch), UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _number(text: str | None) -> int:
    digits = re.match(r"\s*(\d+)", text or "")
    return int(digits.group(1)) if digits else 0


def parse_page(url: str, html: str) -> Page:
    scanner = _Scanner(Page(url))
    scanner.feed(html)
    return scanner.finish()
