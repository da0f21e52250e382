"""Reading forum markup: links in message bodies only, next pages, main images."""

from __future__ import annotations

import pytest

from mediadl.engines.forum.pages import parse_page

BASE = "https://forum.example.org/threads/pics.1/"


def links(html: str, base: str = BASE) -> list[str]:
    return [link.url for link in parse_page(base, html).posted_links()]


XENFORO = """
<html><head><title>Pics | Example Forum</title>
<link rel="next" href="/threads/pics.1/page-2"></head><body>
<header><a href="/"><img src="/logo.png"></a></header>
<article class="message" data-content="post-11" id="js-post-11">
 <div class="message-avatar"><a href="/members/a.1/"><img src="/avatar.jpg"></a></div>
 <div class="bbWrapper">Look:
  <a href="https://www.imagebam.com/view/MEABC" target="_blank"><img src="https://thumbs.imagebam.com/t.jpg"></a>
  <a href="/attachments/pic-jpg.77/"><img src="/data/attachments/0/77-thumb.jpg"></a>
  <img class="bbImage" src="/proxy.php?image=x" data-url="https://cdn.example.net/full.jpg">
  <img class="smilie" src="/smilies/grin.png">
  <a href="https://imgbox.com/AbCdEfGh">plain link to a host</a>
  <a href="https://en.wikipedia.org/wiki/Photo">a page about photos</a>
 </div>
 <aside class="message-signature">
  <a href="https://pixhost.to/show/1/2.jpg"><img src="/sig.jpg"></a></aside>
</article></body></html>
"""


def test_xenforo_posts_give_their_image_links_and_nothing_around_them():
    page = parse_page(BASE, XENFORO)
    assert page.title == "Pics | Example Forum" and page.has_posts
    assert [link.url for link in page.posted_links()] == [
        "https://www.imagebam.com/view/MEABC",
        "https://forum.example.org/attachments/pic-jpg.77/",
        "https://cdn.example.net/full.jpg",
        "https://imgbox.com/AbCdEfGh",
    ]
    assert {link.post_id for link in page.posted_links()} == {"11"}
    assert page.next_url == "https://forum.example.org/threads/pics.1/page-2"


def test_thumbnails_are_remembered_but_never_listed():
    page = parse_page(BASE, XENFORO)
    first = page.posted_links()[0]
    assert first.thumbnail == "https://thumbs.imagebam.com/t.jpg"
    assert all("thumb" not in link.url for link in page.posted_links())


VBULLETIN = """
<html><body>
<div id="post_message_501">
 <a href="http://www.imagevenue.com/img.php?image=abc.jpg" target="_blank">
  <img src="http://th.imagevenue.com/abc.jpg" border="0"></a>
</div>
<div class="pagenav"><a class="smallfont" href="showthread.php?t=9&amp;page=2"
 title="Next Page - Results 11 to 20 of 44">&gt;</a></div>
</body></html>
"""

PHPBB = """
<html><body>
<div id="p77" class="post bg2"><div class="postbody">
 <div class="content"><a href="https://i.example.com/a.png" class="postlink">
  <img src="https://i.example.com/a_t.png"></a></div>
</div></div>
<div class="pagination"><ul><li class="next">
 <a class="button" rel="next" href="./viewtopic.php?t=5&amp;start=25">Next</a></li></ul></div>
</body></html>
"""


def test_vbulletin_posts_and_its_next_page_button():
    page = parse_page("http://vb.example.net/showthread.php?t=9", VBULLETIN)
    assert links(VBULLETIN, "http://vb.example.net/showthread.php?t=9") == [
        "http://www.imagevenue.com/img.php?image=abc.jpg"]
    assert page.post_ids == ["501"]
    assert page.next_url == "http://vb.example.net/showthread.php?t=9&page=2"


def test_phpbb_posts_and_rel_next():
    page = parse_page("https://bb.example.net/viewtopic.php?t=5", PHPBB)
    assert [link.url for link in page.posted_links()] == ["https://i.example.com/a.png"]
    assert page.posted_links()[0].post_id == "77"
    assert page.next_url == "https://bb.example.net/viewtopic.php?t=5&start=25"


def test_a_page_without_posts_is_read_whole_as_a_gallery():
    gallery = """<html><body><h1>Trip</h1>
    <a href="/full/1.jpg"><img src="/thumb/1.jpg"></a>
    <a href="/view/2"><img src="/thumb/2.jpg"></a>
    <a href="/about">About</a>
    <nav><a href="/full/nav.jpg"><img src="/thumb/nav.jpg"></a></nav>
    </body></html>"""
    page = parse_page("https://photos.example.org/trip", gallery)
    assert not page.has_posts
    assert [link.url for link in page.posted_links()] == [
        "https://photos.example.org/full/1.jpg", "https://photos.example.org/view/2"]


@pytest.mark.parametrize(("html", "expected"), [
    ('<meta property="og:image" content="/i/full.jpg"><img src="/i/ad.jpg" width="900">',
     "https://host.example/i/full.jpg"),
    ('<img src="/i/ad.jpg" width="300" height="250"><img id="main-image" src="/i/full.jpg">',
     "https://host.example/i/full.jpg"),
    ('<img src="/i/small.jpg" width="100" height="100"><img src="/i/big.jpg" width="1200" '
     'height="800">', "https://host.example/i/big.jpg"),
    ('<a href="/x"><img src="/i/linked.jpg"></a>', None),
])
def test_the_main_image_of_a_host_page(html, expected):
    assert parse_page("https://host.example/view/1", html).main_image() == expected


def test_relative_links_follow_the_base_element_and_drop_fragments():
    html = ('<base href="https://cdn.example.net/board/"><div class="bbWrapper">'
            '<a href="img/1.jpg#zoom"><img src="img/1_t.jpg"></a></div>')
    assert links(html) == ["https://cdn.example.net/board/img/1.jpg"]


def test_broken_markup_does_not_stop_the_reading():
    html = ('<div class="bbWrapper"><p><a href="/a.jpg"><img src="/t.jpg"></a>'
            '<div><a href="/b.jpg"><img src="/t2.jpg"></div></p>')
    assert links(html) == ["https://forum.example.org/a.jpg", "https://forum.example.org/b.jpg"]
