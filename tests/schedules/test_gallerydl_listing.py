"""Listing a gallery-dl source for a scheduled run: gallery-dl itself against the fixture
site (its ``directlink`` extractor takes any URL ending in an image extension), the stop at
the first known post, and the windows that backfill a big profile run after run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mediadl.engines.base import FetchOptions, ListRequest
from mediadl.engines.gallerydl import listing
from mediadl.engines.gallerydl.engine import GalleryDlEngine
from mediadl.engines.gallerydl.process import Run
from tests.fixtures.site import FixtureSite

OPTIONS = FetchOptions(allow_private_networks=True, socket_timeout=5, retries=1)


def post(number: int) -> dict[str, object]:
    return {"category": "instagram", "post_shortcode": f"C{number}",
            "post_url": f"https://www.instagram.com/p/C{number}/", "username": "natgeo",
            "description": f"Post {number}", "date": f"2024-05-{number % 28 + 1:02d} 06:00:00"}


# -- gallery-dl itself -----------------------------------------------------------------------
def test_gallery_dl_lists_without_downloading_and_stops_at_a_known_post(site: FixtureSite):
    engine = GalleryDlEngine()
    url = site.url("/files/full1.jpg")
    site.clear_log()

    first = engine.list_entries(url, OPTIONS, ListRequest(max_entries=5))

    [entry] = first.entries
    assert entry.key.startswith("directlink:") and entry.url == url
    assert first.complete and first.state["order"] == "newest_first"
    assert first.state["exhausted"] is True and first.found == 1
    # Listed, not downloaded: gallery-dl only looked at the link.
    assert all(request.command == "HEAD" or request.path == "/files/full1.jpg"
               for request in site.requests)
    again = engine.list_entries(url, OPTIONS, ListRequest(known_keys=frozenset({entry.key}),
                                                          max_entries=5, state=first.state))
    assert again.entries == [] and again.found == 1


def test_the_window_is_a_post_range_and_the_config_downloads_nothing(tmp_path: Path):
    window = listing.Window(first=11, size=20, stop_at_known=False)
    argv = listing.listing_command(OPTIONS, tmp_path / "c.json", "https://x.example/", window)
    assert argv[argv.index("--post-range") + 1] == "11-30"
    assert argv[-2:] == ["--", "https://x.example/"]
    config = listing.listing_config(OPTIONS, tmp_path)
    assert config["extractor"]["download"] is False
    [printer] = config["extractor"]["postprocessors"]
    assert (printer["mode"], printer["filename"], printer["event"]) == ("jsonl", "-", "post")
    assert config["output"]["stdout"]["line_buffering"] is True


def test_reading_stops_at_the_first_known_post_of_the_top():
    """The program is stopped at the known post: posts after it are never taken."""
    lines = [json.dumps(post(number)) for number in (9, 8, 7, 6)]
    script = f"import sys\nfor line in {lines!r}:\n    print(line, flush=True)\n"
    window = listing.Window(first=1, size=10, stop_at_known=True)
    request = ListRequest(known_keys=frozenset({"instagram:C8"}))

    listing._read(Run([sys.executable, "-c", script]), "https://www.instagram.com/natgeo/",
                  request, window)

    assert [entry.key for entry in window.fresh] == ["instagram:C9"]
    assert window.looked_at == 2 and window.hit_known and not window.reached_end
    assert window.fresh[0].url == "https://www.instagram.com/p/C9/"
    assert window.fresh[0].published_at is not None


# -- windows run after run -------------------------------------------------------------------
class Profile:
    """A profile of ``count`` posts, newest first, read the way gallery-dl's --post-range
    reads it; counts the posts each window went through."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.windows: list[tuple[int, int]] = []

    def read_window(self, _url, _options, request, window):
        self.windows.append((window.first, window.size))
        newest = self.count - window.first + 1
        for number in range(newest, max(0, newest - window.size), -1):
            entry = listing.post_entry(json.dumps(post(number)), "https://x/")
            if listing._take(entry, request, window):
                break
        return window


@pytest.fixture
def profile(monkeypatch) -> Profile:
    source = Profile(120)
    monkeypatch.setattr(listing, "read_window", source.read_window)
    return source


def test_a_big_profile_is_backfilled_window_by_window_news_first(profile):
    known: set[str] = set()
    state: dict[str, object] = {}
    runs = 0
    while not state.get("exhausted"):
        found = listing.list_entries("https://www.instagram.com/natgeo/", OPTIONS,
                                     ListRequest(known_keys=frozenset(known), max_entries=50,
                                                 state=state))
        known |= {entry.key for entry in found.entries}
        state, runs = found.state, runs + 1
        if runs == 2:
            profile.count += 3  # three new posts between the second and third run
    assert known == {f"instagram:C{n}" for n in range(1, 124)}
    assert runs == 3

    profile.windows.clear()
    profile.count += 2
    quiet = listing.list_entries("https://www.instagram.com/natgeo/", OPTIONS,
                                 ListRequest(known_keys=frozenset(known), max_entries=50,
                                             state=state))
    assert [entry.key for entry in quiet.entries] == ["instagram:C125", "instagram:C124"]
    assert profile.windows == [(1, 50)]  # exhausted: the top only, up to the known post
