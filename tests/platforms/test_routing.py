"""Routing contract: every platform's examples route to it and to no other; real-looking
links of every platform go to the right platform and engine. Nothing here touches the
network (routing is pure)."""

from __future__ import annotations

import socket

import pytest

from mediadl.core.errors import BadRequest, Conflict, NotFound
from mediadl.engines.registry import ENGINES, engine_named
from mediadl.platforms.catalog import FORUM, GENERIC, IMAGEHOST, INSTAGRAM, PLATFORMS
from mediadl.platforms.routing import known_platform, route, route_to
from mediadl.platforms.rules import PlatformRules

PLATFORM_NAMES = [platform.name for platform in PLATFORMS]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Routing must decide from the link alone."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("routing touched the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_platform_names_are_unique_and_generic_is_last():
    assert len(set(PLATFORM_NAMES)) == len(PLATFORM_NAMES)
    assert PLATFORMS[-1] is GENERIC


@pytest.mark.parametrize("platform", PLATFORMS, ids=PLATFORM_NAMES)
def test_every_example_routes_to_its_platform_and_no_other(platform):
    assert platform.examples
    for url in platform.examples:
        found = route(url)
        assert found.platform is platform, url
        assert found.engine in platform.engines, url
        others = [p.name for p in PLATFORMS if p is not platform and _claims(p, url)]
        assert others == [], f"{url} is also claimed by {others}"


def _claims(platform, url) -> bool:
    """Would ``platform`` take ``url`` if it were first in the registry?"""
    from mediadl.platforms.routing import route_within

    return platform is not GENERIC and route_within(platform, url) is not None


@pytest.mark.parametrize("platform", PLATFORMS, ids=PLATFORM_NAMES)
def test_every_platform_names_engines_that_exist(platform):
    for name in platform.engines:
        assert engine_named(name).name == name
    assert platform.content_types and platform.label and platform.description


@pytest.mark.parametrize("engine", ENGINES, ids=[engine.name for engine in ENGINES])
def test_every_engine_example_routes_to_a_platform_using_that_engine(engine):
    for url in engine.examples:
        assert engine.name in route(url).platform.engines, url


@pytest.mark.parametrize(("url", "platform", "engine", "content"), [
    ("https://www.instagram.com/p/CxYz123AbCd/", "instagram", "gallerydl", "posts"),
    ("https://instagram.com/p/CxYz123AbCd/?img_index=2", "instagram", "gallerydl", "posts"),
    ("https://www.instagram.com/someone/p/CxYz123AbCd/", "instagram", "gallerydl", "posts"),
    ("https://www.instagram.com/reel/CxYz123AbCd/", "instagram", "ytdlp", "reels"),
    ("https://www.instagram.com/reels/CxYz123AbCd/", "instagram", "ytdlp", "reels"),
    ("https://www.instagram.com/stories/some.user/", "instagram", "gallerydl", "stories"),
    ("https://www.instagram.com/stories/some.user/3141592653589793238/", "instagram",
     "gallerydl", "stories"),
    ("https://www.instagram.com/stories/highlights/17912345678901234/", "instagram",
     "gallerydl", "highlights"),
    ("https://www.instagram.com/some.user/", "instagram", "gallerydl", "profiles"),
    ("https://www.instagram.com/some.user/reels/", "instagram", "gallerydl", "profiles"),
    ("https://www.tiktok.com/@some.user", "tiktok", "ytdlp", "users"),
    ("https://www.tiktok.com/@some.user/", "tiktok", "ytdlp", "users"),
    ("https://www.tiktok.com/@some.user/video/7106594312292453675", "tiktok", "ytdlp",
     "videos"),
    ("https://m.tiktok.com/@some.user/video/7106594312292453675?lang=en", "tiktok", "ytdlp",
     "videos"),
    ("https://www.tiktok.com/@some.user/photo/7350000000000000001", "tiktok", "gallerydl",
     "photos"),
    ("https://vm.tiktok.com/ZMabcdEFG/", "tiktok", "ytdlp", "videos"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube", "ytdlp", "videos"),
    ("https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "youtube", "ytdlp", "videos"),
    ("https://youtu.be/dQw4w9WgXcQ?si=abc", "youtube", "ytdlp", "videos"),
    ("https://www.youtube.com/shorts/aqz-KE-bpKQ", "youtube", "ytdlp", "shorts"),
    ("https://www.youtube.com/@SomeChannel", "youtube", "ytdlp", "channels"),
    ("https://www.youtube.com/@SomeChannel/videos", "youtube", "ytdlp", "channels"),
    ("https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw", "youtube", "ytdlp",
     "channels"),
    ("https://www.youtube.com/playlist?list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs", "youtube",
     "ytdlp", "playlists"),
    ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "youtube", "ytdlp", "videos"),
    ("https://www.bilibili.com/video/BV1xx411c7mD", "bilibili", "ytdlp", "videos"),
    ("https://www.bilibili.com/video/BV1xx411c7mD?p=2", "bilibili", "ytdlp", "videos"),
    ("https://b23.tv/AbCdEf1", "bilibili", "ytdlp", "videos"),
    ("https://space.bilibili.com/12345678", "bilibili", "ytdlp", "playlists"),
    ("https://forum.example.org/threads/holiday-pictures.98765/", "forum", "forum",
     "threads"),
    ("https://forum.example.org/threads/holiday-pictures.98765/page-12", "forum", "forum",
     "threads"),
    ("https://forum.example.org/community/threads/98765/", "forum", "forum", "threads"),
    ("https://vb.example.net/showthread.php?t=123456", "forum", "forum", "threads"),
    ("https://vb.example.net/forum/showthread.php?123456-Holiday-pictures/page3", "forum",
     "forum", "threads"),
    ("https://phpbb.example.net/viewtopic.php?t=55&start=25", "forum", "forum", "threads"),
    ("https://mybb.example.net/thread-4242-page-2.html", "forum", "forum", "threads"),
    ("https://discourse.example.net/t/holiday-pictures/4242", "forum", "forum", "threads"),
    ("https://www.imagebam.com/view/MEQWERTY", "imagehost", "gallerydl", "images"),
    ("https://images4.imagebam.com/ab/cd/ef/MEQWERTY_o.jpg", "imagehost", "gallerydl",
     "images"),
    ("https://imgbox.com/g/AbCdEfGhIj", "imagehost", "gallerydl", "images"),
    ("https://pixhost.to/gallery/AbCdE", "imagehost", "gallerydl", "images"),
    ("https://postimg.cc/gallery/AbCdEfG", "imagehost", "gallerydl", "images"),
    ("https://www.turboimagehost.com/album/12345/holiday", "imagehost", "gallerydl",
     "images"),
    ("https://www.imagevenue.com/ME1ABCDE", "imagehost", "gallerydl", "images"),
    ("https://i.imgur.com/AbCdEfG.jpg", "imagehost", "gallerydl", "images"),
    ("https://vimeo.com/76979871", "generic", "ytdlp", None),
    ("https://example.com/video.mp4", "generic", "http", None),
    ("https://example.com/picture.JPG?size=large", "generic", "http", None),
    ("https://example.com/live/master.m3u8", "generic", "ytdlp", None),
    ("https://example.com/gallery/summer", "generic", "ytdlp", None),
    ("https://notyoutube.com/watch?v=1", "generic", "ytdlp", None),
    ("https://youtube.com.evil.example/watch?v=1", "generic", "ytdlp", None),
])
def test_real_looking_links_route_without_network(url, platform, engine, content):
    found = route(url)
    assert (found.platform.name, found.engine, found.content_type) == (platform, engine,
                                                                       content)


def test_route_to_a_platform_that_takes_any_link_forces_it():
    forced = route_to(FORUM, "https://board.example.net/some/odd/thread-path")
    assert (forced.platform, forced.engine) == (FORUM, "forum")
    assert route_to(FORUM, "https://forum.example.org/threads/a.1/").content_type == "threads"


def test_route_to_the_wrong_platform_is_a_readable_400():
    with pytest.raises(BadRequest) as caught:
        route_to(INSTAGRAM, "https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    assert "YouTube" in caught.value.detail and "Instagram" in caught.value.detail
    with pytest.raises(BadRequest):
        route_to(IMAGEHOST, "https://example.com/page")


def test_hidden_and_unknown_platforms_are_not_found():
    with pytest.raises(NotFound):
        known_platform("fake")
    with pytest.raises(NotFound):
        known_platform("myspace")
    assert known_platform("instagram") is INSTAGRAM


def test_disabled_platform_is_refused_with_a_conflict():
    rules = PlatformRules(disabled=frozenset({"tiktok"}))
    with pytest.raises(Conflict) as caught:
        rules.route("https://www.tiktok.com/@some.user")
    assert "TikTok is disabled" in caught.value.detail
    assert rules.route("https://youtu.be/dQw4w9WgXcQ").platform.name == "youtube"


def test_platform_default_quality_stands_in_for_best_only():
    rules = PlatformRules(default_quality={"youtube": "720"})
    assert rules.quality("youtube", "best") == "720"
    assert rules.quality("youtube", None) == "720"
    assert rules.quality("youtube", "1080") == "1080"
    assert rules.quality("bilibili", "best") == "best"
