"""date_from / date_to on a forum thread: links of posts dated outside are left out, links
of posts whose page shows no date are kept. The thread (tests.fixtures.dated_forum) is
served by a fixture site of its own, from its extra folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from mediadl.engines.base import FetchOptions
from mediadl.engines.forum.engine import ForumEngine
from mediadl.engines.forum.pages import parse_page
from tests.fixtures.dated_forum import THREAD_PATH, page_html, post_html, write_dated_thread
from tests.fixtures.site import FixtureSite

OPTIONS = FetchOptions(allow_private_networks=True, socket_timeout=5, retries=1)


@pytest.fixture
def dated_site(fixture_media, tmp_path: Path) -> Iterator[FixtureSite]:
    write_dated_thread(tmp_path)
    with FixtureSite(fixture_media, extra_dir=tmp_path) as site:
        yield site


def probe(site: FixtureSite, since: date | None, until: date | None):
    options = OPTIONS.model_copy(update={"date_from": since, "date_to": until})
    return ForumEngine().probe(site.url(THREAD_PATH), options)


def test_only_links_of_posts_within_the_dates_or_undated_are_listed(dated_site):
    result = probe(dated_site, date(2024, 2, 1), date(2024, 5, 31))
    listed = {entry.url.removeprefix(dated_site.base_url): entry.published_at
              for entry in result.entries}
    # 2024-03-05 00:30 at +01:00 is 2024-03-04 23:30 UTC: still within the dates.
    assert listed == {"/files/full2.jpg": datetime(2024, 3, 4, 23, 30),
                      "/files/full4.jpg": None}
    assert result.kind == "thread" and result.metadata["pages_read"] == 2


def test_without_dates_every_link_is_listed_with_its_date(dated_site):
    result = probe(dated_site, None, None)
    assert [entry.published_at for entry in result.entries] == [
        datetime(2024, 1, 10, 12), datetime(2024, 3, 4, 23, 30), datetime(2024, 6, 1, 8), None]


def test_a_thread_with_no_post_in_the_dates_is_an_empty_listing_not_an_error(dated_site):
    (dated_site.extra_dir / "thread" / "2.html").write_text(page_html(
        [post_html(3, 3, "2024-06-01T08:00:00Z")]))
    result = probe(dated_site, date(2025, 1, 1), None)
    assert (result.kind, result.entries, result.entry_count) == ("thread", [], 0)


def test_a_post_date_is_its_first_time_element_or_xenforo_epoch():
    html = f"""<html><body>
<article data-content="post-7"><time data-time="1709251200">1 March</time>
<div class="bbWrapper"><a href="/a.jpg"><img src="/t.jpg"></a></div>
<div class="message-lastEdit"><time datetime="2024-12-24T00:00:00Z">edited</time></div>
</article>{post_html(8, 9, "not a date")}</body></html>"""
    parsed = parse_page("https://forum.example.org/threads/x.1/", html)
    assert parsed.post_dates == {"7": datetime(2024, 3, 1)}
    assert [parsed.posted_at(link) for link in parsed.posted_links()] == [
        datetime(2024, 3, 1), None]
