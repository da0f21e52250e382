import pytest

from mediadl.engines.base import Progress
from mediadl.jobs.progress import ProgressAccumulator
from mediadl.media.platforms import platform_for_url
from mediadl.media.urls import validate_media_url


def test_progress_stays_monotonic_across_files():
    accumulator = ProgressAccumulator()
    seen = [accumulator.add(Progress(done, 100)).downloaded_bytes for done in (10, 60, 100)]
    seen += [accumulator.add(Progress(done, 50)).downloaded_bytes for done in (5, 50)]
    assert seen == sorted(seen)
    assert seen[-1] == 150


@pytest.mark.parametrize("url", [
    "-o/etc/passwd", "file:///etc/passwd", "data:text/html,hi", "ftp://example.org/x",
    "javascript:alert(1)", "http://", "https://exa mple.org/", "", "   ", "http://x\n.org",
    "https://example.org/a\x00b", "https://example.org/\x1bc", "https://example.org/a\u00a0b",
    "https://example.org/a\u2028b", "https://example.org/a\u3000b",
])
def test_rejects_what_is_not_a_web_url(url):
    with pytest.raises(ValueError):
        validate_media_url(url)


def test_accepts_http_and_https():
    assert validate_media_url(" https://example.org/a?b=c ") == "https://example.org/a?b=c"


@pytest.mark.parametrize(("url", "platform"), [
    ("https://www.youtube.com/watch?v=abc", "youtube"),
    ("https://youtu.be/abc", "youtube"),
    ("https://www.bilibili.com/video/BV1xx411c7mD", "bilibili"),
    ("https://b23.tv/abc", "bilibili"),
    ("https://www.tiktok.com/@someone/video/1", "tiktok"),
    ("https://www.instagram.com/p/abc/", "instagram"),
    ("https://notyoutube.com/watch", "generic"),
    ("https://127.0.0.1:8000/files/video.mp4", "generic"),
])
def test_platform_by_host(url, platform):
    assert platform_for_url(url) == platform
