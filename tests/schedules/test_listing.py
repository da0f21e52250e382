"""Cheap listing in the yt-dlp engine: a newest-first listing stops at the first known
entries without pulling further pages, goes on past them while the source says more is
unseen, and feeds in every common dialect are read without trusting their XML."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from mediadl.engines.base import FetchOptions, ListRequest
from mediadl.engines.ytdlp.feeds import NotAFeed, parse_feed
from mediadl.engines.ytdlp.listing import (
    APPROXIMATE_DATES,
    KNOWN_STREAK,
    is_newest_first,
    looks_like_feed,
    scan,
)

BASE = "https://podcast.example.org/feed.xml"


class Pages:
    """A lazily paged listing of ``total`` videos, newest first, counting what was pulled."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    def __iter__(self) -> Iterator[dict]:
        for number in range(self.total, 0, -1):
            self.pulled += 1
            yield {"_type": "url", "id": f"v{number}", "title": f"Video {number}",
                   "url": f"https://video.example.com/watch?v=v{number}"}


def known(*numbers: int) -> frozenset[str]:
    return frozenset(f"v{number}" for number in numbers)


def test_a_listing_stops_at_the_first_known_entries():
    pages = Pages(total=5000)
    request = ListRequest(known_keys=known(*range(1, 4991)), max_entries=1000,
                          state={"exhausted": True, "offset": 4990})

    found = scan(pages, request, total=None)

    assert [entry.key for entry in found.fresh] == [f"v{n}" for n in range(5000, 4990, -1)]
    assert found.looked_at == 10 + KNOWN_STREAK and pages.pulled == found.looked_at
    assert found.ended and found.position == 5000


def test_one_known_entry_among_new_ones_does_not_end_the_listing():
    request = ListRequest(known_keys=known(98), max_entries=1000)
    found = scan(Pages(total=100), request, total=None)
    assert len(found.fresh) == 99 and found.ended


def test_a_source_with_unseen_entries_further_down_is_listed_past_the_known_ones():
    # A playlist that grows at its end: the head is known, the count says more exists.
    pages = Pages(total=60)
    request = ListRequest(known_keys=known(*range(11, 61)), max_entries=1000,
                          state={"exhausted": True, "offset": 50})
    found = scan(pages, request, total=60)
    assert [entry.key for entry in found.fresh] == [f"v{n}" for n in range(10, 0, -1)]
    # The known part is passed over from the last offset (less a small overlap).
    assert found.ended and found.looked_at == KNOWN_STREAK + 10 + KNOWN_STREAK


def test_a_first_listing_of_a_huge_source_stops_at_max_entries():
    pages = Pages(total=100_000)
    found = scan(pages, ListRequest(max_entries=250), total=100_000)
    assert len(found.fresh) == 250 and found.looked_at == 250 and pages.pulled == 250
    assert not found.ended and found.position == 250


def test_backfill_goes_on_below_the_known_part_without_a_total_new_items_first():
    """A channel that does not say how long it is: each run takes the news at the top,
    then continues from where the last run stopped, until the end was reached once."""
    total, budget = 700, 250
    first = scan(Pages(total), ListRequest(max_entries=budget), total=None)
    seen = {entry.key for entry in first.fresh}
    state = {"offset": first.position, "exhausted": first.ended}
    assert len(seen) == budget and not first.ended

    newer = Pages(total + 5)  # five uploads since
    second = scan(newer, ListRequest(known_keys=frozenset(seen), max_entries=budget,
                                     state=state), total=None)
    keys = [entry.key for entry in second.fresh]
    assert keys[:5] == [f"v{n}" for n in range(705, 700, -1)]  # the news come first
    assert keys[5:] == [f"v{n}" for n in range(450, 450 - len(keys) + 5, -1)]
    # Entries passed over on the way down are not looked at (nor counted) again.
    assert second.looked_at <= budget and second.position == newer.pulled
    seen |= set(keys)

    state = {"offset": second.position, "exhausted": second.ended}
    while not state["exhausted"]:
        later = scan(Pages(total + 5), ListRequest(known_keys=frozenset(seen),
                                                   max_entries=budget, state=state),
                     total=None)
        seen |= {entry.key for entry in later.fresh}
        state = {"offset": later.position, "exhausted": later.ended}
    assert seen == {f"v{n}" for n in range(1, 706)}

    quiet = Pages(total + 5)
    last = scan(quiet, ListRequest(known_keys=frozenset(seen), max_entries=budget,
                                   state=state), total=None)
    assert last.fresh == [] and quiet.pulled == KNOWN_STREAK  # exhausted: the top only


def test_only_generic_links_are_tried_as_feeds_first():
    options = FetchOptions()
    assert looks_like_feed(BASE, options.model_copy(update={"platform": "generic"}),
                           ListRequest())
    assert not looks_like_feed("https://www.youtube.com/@x",
                               options.model_copy(update={"platform": "youtube"}),
                               ListRequest())
    remembered = ListRequest(state={"format": "feed"})
    assert looks_like_feed(BASE, options.model_copy(update={"platform": "youtube"}),
                           remembered)


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015">
  <title>A channel</title>
  <entry><id>yt:video:AAA</id><yt:videoId>AAA</yt:videoId><title>Older</title>
    <link rel="alternate" href="https://www.youtube.com/watch?v=AAA"/>
    <published>2024-03-01T10:00:00+00:00</published></entry>
  <entry><id>tag:example,2024:2</id><title>Newer</title>
    <link rel="enclosure" type="video/mp4" href="/media/two.mp4"/>
    <updated>2024-03-02T10:00:00Z</updated></entry>
</feed>"""

RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://news.example.org/"><title>News</title></channel>
  <item rdf:about="https://news.example.org/1"><title>One</title>
    <link>https://news.example.org/1</link><dc:date>2024-01-05T08:00:00Z</dc:date></item>
</rdf:RDF>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss><channel><title>&lol2;</title></channel></rss>"""


def test_atom_entries_are_read_newest_first_with_their_ids():
    listing = parse_feed(ATOM, BASE, ListRequest())
    assert listing.title == "A channel" and listing.found == 2 and listing.complete
    newer, older = listing.entries
    assert (newer.url, newer.kind, newer.published_at) == (
        "https://podcast.example.org/media/two.mp4", "video", datetime(2024, 3, 2, 10, 0))
    assert (older.key, older.url) == ("AAA", "https://www.youtube.com/watch?v=AAA")


def test_rss1_items_are_read():
    [item] = parse_feed(RSS1, BASE, ListRequest()).entries
    assert (item.key, item.title, item.published_at) == (
        "https://news.example.org/1", "One", datetime(2024, 1, 5, 8, 0))


def test_known_items_are_counted_but_not_returned():
    listing = parse_feed(ATOM, BASE, ListRequest(known_keys=frozenset({"AAA"})))
    assert listing.found == 2 and [entry.title for entry in listing.entries] == ["Newer"]


@pytest.mark.parametrize("body", [b"<html><body>a page</body></html>", b"not xml at all",
                                  BILLION_LAUGHS])
def test_pages_and_hostile_xml_are_not_feeds(body):
    with pytest.raises(NotAFeed):
        parse_feed(body, BASE, ListRequest())


def test_channel_tabs_are_newest_first_and_playlists_keep_their_order():
    assert is_newest_first({"id": "UC123", "channel_id": "UC123", "_type": "playlist"})
    assert is_newest_first({"id": "scout2015", "extractor_key": "TikTokUser"})
    assert not is_newest_first({"id": "PL9", "channel_id": "UC123", "_type": "playlist"})
    # Flat channel listings carry (approximate) upload dates, so a date range applies.
    assert APPROXIMATE_DATES == {"youtubetab": {"approximate_date": [""]}}
