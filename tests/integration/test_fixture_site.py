"""The fixture media site behaves as the rest of the suite relies on it to."""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yt_dlp

from tests.fixtures.media import Media, sha256_file
from tests.fixtures.site import (
    FEED_TITLE,
    HOSTILE_TITLE,
    HTML5_PAGE_TITLE,
    VIDEO_PAGE_TITLE,
    FixtureSite,
    RangeNotSatisfiable,
    episode_item,
    parse_range,
)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    # trust_env=False: never route loopback traffic through a proxy from the environment.
    with httpx.Client(trust_env=False, timeout=10) as client:
        yield client


@pytest.fixture(autouse=True)
def no_server_errors(fixture_site: FixtureSite) -> Iterator[None]:
    yield
    assert fixture_site.errors == []


def ydl_options(**extra: Any) -> dict[str, Any]:
    return {"quiet": True, "no_warnings": True, "noprogress": True, "proxy": "", **extra}


def extract(url: str) -> dict[str, Any]:
    with yt_dlp.YoutubeDL(ydl_options()) as ydl:
        info = ydl.extract_info(url, download=False)
    assert info is not None
    return dict(info)


def download(url: str, target: Path, **extra: Any) -> dict[str, Any]:
    options = ydl_options(outtmpl=str(target / "%(id)s.%(ext)s"), **extra)
    with yt_dlp.YoutubeDL(options) as ydl:
        info = ydl.extract_info(url, download=True)
    assert info is not None
    return dict(info)


def probe_streams(path: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    streams: list[dict[str, Any]] = json.loads(result.stdout)["streams"]
    return streams


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# media


def test_media_has_the_promised_shapes(fixture_media: Media) -> None:
    video = {s["codec_type"]: s for s in probe_streams(fixture_media.video)}
    assert (video["video"]["codec_name"], video["video"]["width"], video["video"]["height"]) == (
        "h264",
        640,
        360,
    )
    assert video["audio"]["codec_name"] == "aac"
    small = probe_streams(fixture_media.video_small)
    assert {(s.get("width"), s.get("height")) for s in small if s["codec_type"] == "video"} == {
        (320, 180)
    }
    assert probe_streams(fixture_media.thumb)[0]["width"] == 160
    assert probe_streams(fixture_media.image)[0]["width"] == 800
    assert fixture_media.big.stat().st_size == 8 * 1024 * 1024
    episode_digests = {fixture_media.digest(path) for path in fixture_media.episodes}
    assert len(episode_digests) == len(fixture_media.episodes)
    assert fixture_media.digest("hls/master.m3u8") == sha256_file(fixture_media.hls_master)


def test_parse_range_edge_cases() -> None:
    assert parse_range(None, 100) is None
    assert parse_range("bytes=0-9", 100) == (0, 9)
    assert parse_range("bytes=90-", 100) == (90, 99)
    assert parse_range("bytes=-10", 100) == (90, 99)
    assert parse_range("bytes=-500", 100) == (0, 99)
    assert parse_range("bytes=50-500", 100) == (50, 99)
    assert parse_range("bytes=9-0", 100) is None
    assert parse_range("bytes=0-1,5-6", 100) is None
    assert parse_range("items=0-1", 100) is None
    for unsatisfiable in ("bytes=100-", "bytes=-0", "bytes=200-300"):
        with pytest.raises(RangeNotSatisfiable):
            parse_range(unsatisfiable, 100)


# plain files


def test_full_get_serves_exact_bytes_and_headers(site: FixtureSite, http: httpx.Client) -> None:
    answer = http.get(site.url("/files/video.mp4"))
    assert answer.status_code == 200
    assert sha256_bytes(answer.content) == site.media.digest("video.mp4")
    assert answer.headers["content-type"] == "video/mp4"
    assert answer.headers["content-length"] == str(site.media.video.stat().st_size)
    assert answer.headers["accept-ranges"] == "bytes"
    assert answer.headers["etag"].startswith('"')
    assert "last-modified" in answer.headers


def test_head_has_headers_but_no_body(site: FixtureSite, http: httpx.Client) -> None:
    answer = http.head(site.url("/files/big.bin"))
    assert answer.status_code == 200
    assert answer.headers["content-length"] == str(site.media.big.stat().st_size)
    assert answer.content == b""


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-99", 0, 99), ("bytes=1000-", 1000, None), ("bytes=-100", -100, None)],
)
def test_ranges_answer_206(
    site: FixtureSite, http: httpx.Client, header: str, start: int, end: int | None
) -> None:
    data = site.media.big.read_bytes()
    expected = data[start : None if end is None else end + 1]
    answer = http.get(site.url("/files/big.bin"), headers={"Range": header})
    assert answer.status_code == 206
    assert answer.content == expected
    first = start % len(data)
    assert (
        answer.headers["content-range"] == f"bytes {first}-{first + len(expected) - 1}/{len(data)}"
    )


def test_unsatisfiable_range_answers_416(site: FixtureSite, http: httpx.Client) -> None:
    size = site.media.big.stat().st_size
    answer = http.get(site.url("/files/big.bin"), headers={"Range": f"bytes={size}-"})
    assert answer.status_code == 416
    assert answer.headers["content-range"] == f"bytes */{size}"


def test_conditional_requests_answer_304(site: FixtureSite, http: httpx.Client) -> None:
    first = http.get(site.url("/files/image.jpg"))
    by_etag = http.get(
        site.url("/files/image.jpg"), headers={"If-None-Match": first.headers["etag"]}
    )
    by_date = http.get(
        site.url("/files/image.jpg"), headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    other = http.get(site.url("/files/image.jpg"), headers={"If-None-Match": '"something-else"'})
    assert (by_etag.status_code, by_date.status_code, other.status_code) == (304, 304, 200)
    assert by_etag.content == b""


def test_unknown_file_is_404_and_traversal_is_refused(
    site: FixtureSite, http: httpx.Client
) -> None:
    assert http.get(site.url("/files/nope.mp4")).status_code == 404
    assert http.get(site.url("/hls/..%2F..%2Fbig.bin")).status_code == 404


def test_norange_ignores_range(site: FixtureSite, http: httpx.Client) -> None:
    answer = http.get(site.url("/norange/audio.mp3"), headers={"Range": "bytes=0-9"})
    assert answer.status_code == 200
    assert "accept-ranges" not in answer.headers
    assert sha256_bytes(answer.content) == site.media.digest("audio.mp3")


def test_throttled_serves_correct_bytes_for_ranges(site: FixtureSite, http: httpx.Client) -> None:
    answer = http.get(
        site.url("/throttled/big.bin?rate=2000000"), headers={"Range": "bytes=65536-196607"}
    )
    assert answer.status_code == 206
    assert answer.content == site.media.big.read_bytes()[65536:196608]
    assert http.get(site.url("/throttled/big.bin?rate=0")).status_code == 400


# hostile behaviours


def read_until_failure(http: httpx.Client, url: str, headers: dict[str, str]) -> bytes:
    received = bytearray()
    with (
        pytest.raises(httpx.RemoteProtocolError),
        http.stream("GET", url, headers=headers) as answer,
    ):
        for chunk in answer.iter_bytes():
            received.extend(chunk)
    return bytes(received)


def test_flaky_drops_halfway_then_resume_completes(site: FixtureSite, http: httpx.Client) -> None:
    url = site.url("/flaky/big.bin")
    size = site.media.big.stat().st_size
    partial = read_until_failure(http, url, {})
    assert 0 < len(partial) < size
    rest = http.get(url, headers={"Range": f"bytes={len(partial)}-"})
    assert rest.status_code == 206
    assert sha256_bytes(partial + rest.content) == site.media.digest("big.bin")
    assert sha256_bytes(http.get(url).content) == site.media.digest("big.bin")


def test_reset_flaky_makes_it_drop_again(site: FixtureSite, http: httpx.Client) -> None:
    url = site.url("/flaky/audio.m4a")
    read_until_failure(http, url, {})
    assert http.get(url).status_code == 200
    site.reset_flaky()
    read_until_failure(http, url, {})


def test_liar_announces_more_than_it_sends(site: FixtureSite, http: httpx.Client) -> None:
    received = read_until_failure(http, site.url("/liar/thumb.jpg"), {})
    assert sha256_bytes(received) == site.media.digest("thumb.jpg")


@pytest.mark.parametrize("code", [403, 404, 500, 503, 429])
def test_status_routes(site: FixtureSite, http: httpx.Client, code: int) -> None:
    answer = http.get(site.url(f"/status/{code}"))
    assert answer.status_code == code
    assert answer.headers.get("retry-after") == ("1" if code == 429 else None)


def test_redirect_keeps_query(site: FixtureSite, http: httpx.Client) -> None:
    answer = http.get(site.url("/redirect/files/thumb.jpg?x=1"), follow_redirects=True)
    assert answer.status_code == 200
    assert [entry.path for entry in site.requests][-1] == "/files/thumb.jpg?x=1"


def test_hang_trips_a_client_timeout(site: FixtureSite) -> None:
    with httpx.Client(trust_env=False, timeout=1) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.get(site.url("/hang"))


def test_stop_ends_a_hanging_request(fixture_media: Media) -> None:
    outcome: list[BaseException] = []
    separate = FixtureSite(fixture_media).start()
    hang_url = separate.url("/hang")

    def hang() -> None:
        try:
            with httpx.Client(trust_env=False, timeout=30) as client:
                client.get(hang_url)
        except httpx.HTTPError as error:
            outcome.append(error)

    worker = threading.Thread(target=hang)
    worker.start()
    while not separate.requests_to("/hang"):
        worker.join(0.01)
    separate.stop()
    worker.join(10)
    assert not worker.is_alive()
    assert isinstance(outcome[0], httpx.RemoteProtocolError)


# request log


def test_request_log_records_method_path_and_headers(site: FixtureSite, http: httpx.Client) -> None:
    http.get(site.url("/files/thumb.jpg?v=2"), headers={"X-Probe": "yes"})
    http.head(site.url("/status/404"))
    method, path, headers = site.requests[0]
    assert (method, path) == ("GET", "/files/thumb.jpg?v=2")
    assert headers["X-Probe"] == headers["x-probe"] == "yes"
    assert site.requests[1][:2] == ("HEAD", "/status/404")
    site.clear_log()
    assert site.requests == []


# pages, manifests and feed


def test_manifests_have_their_content_types(site: FixtureSite, http: httpx.Client) -> None:
    master = http.get(site.url("/hls/master.m3u8"))
    assert master.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert "RESOLUTION=640x360" in master.text
    assert "RESOLUTION=320x180" in master.text
    assert "BANDWIDTH=" in master.text
    segment = http.get(site.url("/slowhls/v1/seg000.ts"))
    assert segment.headers["content-type"] == "video/mp2t"
    manifest = http.get(site.url("/dash/manifest.mpd"))
    assert manifest.headers["content-type"] == "application/dash+xml"
    assert 'contentType="audio"' in manifest.text


def test_gallery_links_full_images_around_thumbnails(site: FixtureSite, http: httpx.Client) -> None:
    page = http.get(site.url("/gallery")).text
    assert '<a href="/files/image.jpg"><img src="/files/thumb.jpg"' in page
    assert '<a href="/files/image2.png">' in page


def test_feed_conditional_get_follows_feed_items(site: FixtureSite, http: httpx.Client) -> None:
    first = http.get(site.url("/feed.xml"))
    assert first.headers["content-type"].startswith("application/rss+xml")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert http.get(site.url("/feed.xml"), headers={"If-None-Match": etag}).status_code == 304
    assert (
        http.get(site.url("/feed.xml"), headers={"If-Modified-Since": modified}).status_code == 304
    )
    site.feed_items.append(episode_item(4))
    changed = http.get(site.url("/feed.xml"), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "ep4.mp3" in changed.text
    assert (
        http.get(site.url("/feed.xml"), headers={"If-Modified-Since": modified}).status_code == 200
    )


# yt-dlp against the site


def test_ytdlp_reads_video_page_title_and_thumbnail(site: FixtureSite) -> None:
    info = extract(site.url("/page/video"))
    assert info["title"] == VIDEO_PAGE_TITLE
    assert info["url"] == site.url("/files/video.mp4")
    assert info["thumbnail"] == site.url("/files/thumb.jpg")


def test_ytdlp_reads_hostile_title_literally(site: FixtureSite) -> None:
    assert extract(site.url("/page/hostile"))["title"] == HOSTILE_TITLE


def test_ytdlp_finds_the_html5_video_tag(site: FixtureSite) -> None:
    info = extract(site.url("/page/html5"))
    assert info["title"] == f"{HTML5_PAGE_TITLE} (1)"
    assert info["url"] == site.url("/files/video.mp4")


def test_ytdlp_downloads_a_direct_file(site: FixtureSite, tmp_path: Path) -> None:
    download(site.url("/files/video.mp4"), tmp_path)
    (saved,) = tmp_path.iterdir()
    assert sha256_file(saved) == site.media.digest("video.mp4")


def test_ytdlp_resumes_after_a_flaky_drop(site: FixtureSite, tmp_path: Path) -> None:
    # The generic extractor's probe GET uses up the first drop; the download gets the second.
    site.flaky_drops = 2
    download(site.url("/flaky/big.bin"), tmp_path, retries=3)
    (saved,) = tmp_path.iterdir()
    assert sha256_file(saved) == site.media.digest("big.bin")
    # It resumes from what it had written: at most the half the server sent before it
    # dropped the connection (the last block read may not have reached the disk), never 0.
    half = site.media.big.stat().st_size // 2
    resumed = site.requests_to("/flaky/")[-1].headers.get("range", "")
    assert resumed.startswith("bytes=") and resumed.endswith("-")
    assert half // 2 < int(resumed[len("bytes="):-1]) <= half


def test_ytdlp_picks_the_small_hls_variant(site: FixtureSite, tmp_path: Path) -> None:
    download(site.url("/hls/master.m3u8"), tmp_path, format="best[height<=180]")
    (saved,) = tmp_path.iterdir()
    video = [s for s in probe_streams(saved) if s["codec_type"] == "video"]
    assert (video[0]["width"], video[0]["height"]) == (320, 180)
    segment_paths = [entry.path for entry in site.requests if entry.path.endswith(".ts")]
    assert segment_paths
    assert all(path.startswith("/hls/v1/") for path in segment_paths)


def test_ytdlp_merges_dash_video_and_audio(site: FixtureSite, tmp_path: Path) -> None:
    info = download(
        site.url("/dash/manifest.mpd"),
        tmp_path,
        format="bestvideo+bestaudio",
        merge_output_format="mp4",
    )
    assert info["ext"] == "mp4"
    (saved,) = tmp_path.iterdir()
    kinds = {s["codec_type"]: s for s in probe_streams(saved)}
    assert set(kinds) == {"video", "audio"}
    assert kinds["video"]["height"] == 360


def test_ytdlp_downloads_the_feed_as_a_playlist(site: FixtureSite, tmp_path: Path) -> None:
    site.feed_items.append(episode_item(4))
    info = download(site.url("/feed.xml"), tmp_path)
    assert info["_type"] == "playlist"
    assert info["title"] == FEED_TITLE
    assert [entry["title"] for entry in info["entries"]] == [f"Episode {n}" for n in range(1, 5)]
    saved = {sha256_file(path) for path in tmp_path.iterdir()}
    assert saved == {site.media.digest(f"ep{n}.mp3") for n in range(1, 5)}
