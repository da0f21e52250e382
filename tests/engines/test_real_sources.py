"""The real sources. They need the internet (and for Instagram a login), so they are marked
``network`` and left out of the default run. Run them with::

    .venv/bin/python -m pytest -m network tests/engines/test_real_sources.py

Instagram answers visitors who are not logged in with little or nothing: export your
browser's cookies for instagram.com as cookies.txt and name the file in
``MEDIADL_TEST_INSTAGRAM_COOKIES``; without it the Instagram tests are skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediadl.engines.base import FetchOptions, FileWritten
from mediadl.engines.registry import engine_named
from mediadl.platforms.routing import route

pytestmark = pytest.mark.network

INSTAGRAM_COOKIES = os.environ.get("MEDIADL_TEST_INSTAGRAM_COOKIES")
needs_instagram_login = pytest.mark.skipif(
    not INSTAGRAM_COOKIES, reason="set MEDIADL_TEST_INSTAGRAM_COOKIES to a cookies.txt")


@pytest.fixture
def instagram_cookies(tmp_path: Path) -> Path:
    """A copy: gallery-dl writes cookies back into the file it is given."""
    copy = tmp_path / "cookies.txt"
    copy.write_bytes(Path(INSTAGRAM_COOKIES or "").read_bytes())
    return copy


def probe(url: str, **options):
    found = route(url)
    return engine_named(found.engine).probe(url, FetchOptions(**options))


@pytest.mark.parametrize("url", [
    "https://www.youtube.com/watch?v=jNQXAC9IVRw",
    "https://www.bilibili.com/video/BV1GJ411x7h7",
    "https://www.tiktok.com/@scout2015/video/6718335390845095173",
])
def test_a_video_of_each_video_platform_can_be_read(url):
    result = probe(url)
    assert result.kind == "video" and result.title and result.formats


def test_a_tiktok_users_videos_are_listed():
    result = probe("https://www.tiktok.com/@scout2015", max_items=3, playlist_limit=3)
    assert result.is_collection and 0 < len(result.entries) <= 3


@needs_instagram_login
def test_an_instagram_profiles_posts_are_listed_one_entry_per_post(instagram_cookies):
    result = probe("https://www.instagram.com/instagram/posts/", max_items=3,
                   cookie_file=instagram_cookies)
    assert result.kind == "gallery" and 0 < len(result.entries) <= 3
    assert all(entry.key and entry.key.startswith("instagram:") for entry in result.entries)


@needs_instagram_login
def test_an_instagram_post_downloads_with_its_caption(tmp_path: Path, instagram_cookies):
    posts = probe("https://www.instagram.com/instagram/posts/", max_items=1,
                  cookie_file=instagram_cookies)
    events: list[object] = []
    engine_named("gallerydl").fetch(posts.entries[0].url, tmp_path / "job",
                                    FetchOptions(cookie_file=instagram_cookies), events.append)
    files = [event for event in events if isinstance(event, FileWritten)]
    assert files and files[0].metadata.get("post_id") and files[0].source
