"""The yt-dlp engine against the local fixture site: real yt-dlp, real ffmpeg, real files."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from mediadl.engines.base import (
    EngineError,
    Event,
    FetchOptions,
    FileWritten,
    Finished,
    ProbeResult,
    Progress,
    Started,
)
from mediadl.engines.ytdlp.engine import YtdlpEngine
from tests.fixtures.media import Media, sha256_file
from tests.fixtures.site import DEFAULT_FEED_EPISODES, HOSTILE_TITLE, VIDEO_PAGE_TITLE, FixtureSite

pytestmark = pytest.mark.timeout(120)

ENGINE = YtdlpEngine()
BASE = {"allow_private_networks": True, "socket_timeout": 3, "retries": 2}


def options(**overrides: Any) -> FetchOptions:
    return FetchOptions(**{**BASE, **overrides})


def probe(site: FixtureSite, path: str, **overrides: Any) -> ProbeResult:
    return ENGINE.probe(site.url(path), options(**overrides))


def fetch(site: FixtureSite, path: str, dest: Path, **overrides: Any) -> list[Event]:
    events: list[Event] = []
    ENGINE.fetch(site.url(path), dest, options(**overrides), events.append)
    return events


def written(events: list[Event]) -> list[FileWritten]:
    return [event for event in events if isinstance(event, FileWritten)]


def only_file(events: list[Event], dest: Path) -> FileWritten:
    files = written(events)
    assert len(files) == 1, files
    assert files[0].path.is_file() and files[0].path.parent == dest.resolve()
    return files[0]


def streams(path: Path) -> list[dict[str, Any]]:
    answer = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,height",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(answer.stdout)["streams"]


def stream_types(path: Path) -> list[str]:
    # An embedded cover is a video stream too; these fixtures have none unless asked.
    return sorted(stream["codec_type"] for stream in streams(path))


def video_height(path: Path) -> int:
    return next(s["height"] for s in streams(path) if s["codec_type"] == "video")


def assert_event_order(events: list[Event]) -> None:
    assert isinstance(events[0], Started)
    assert sum(isinstance(event, Started) for event in events) == 1
    assert isinstance(events[-1], Finished) and events[-1].files == len(written(events))
    first_file = next(i for i, event in enumerate(events) if isinstance(event, FileWritten))
    assert not any(isinstance(event, Progress) for event in events[first_file:])


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "job"
    folder.mkdir()
    return folder


@pytest.fixture(autouse=True)
def no_site_errors(fixture_site: FixtureSite):
    yield
    assert fixture_site.errors == []


# probe -------------------------------------------------------------------------------------

def test_probe_direct_file(site: FixtureSite):
    result = probe(site, "/files/video.mp4")
    assert result.kind == "video" and result.media_id == "video"
    assert result.source == "127.0.0.1" and "best" in result.qualities
    assert [fmt.ext for fmt in result.formats] == ["mp4"]


def test_probe_direct_audio_file(site: FixtureSite):
    result = probe(site, "/files/audio.mp3")
    assert result.kind == "audio" and result.qualities == ["best", "audio"]


def test_probe_page(site: FixtureSite):
    result = probe(site, "/page/video")
    assert result.kind == "video" and result.title == VIDEO_PAGE_TITLE
    assert result.description == "A short synthetic test video."
    assert result.thumbnail == site.url("/files/thumb.jpg")
    assert result.metadata["webpage_url"] == site.url("/page/video")


def test_probe_hls_lists_both_variants(site: FixtureSite):
    result = probe(site, "/hls/master.m3u8")
    assert result.kind == "video"
    assert {fmt.height for fmt in result.formats} >= {360, 180}
    assert "360" in result.qualities and "1080" not in result.qualities
    assert result.qualities[0] == "best" and "audio" in result.qualities


def test_probe_dash_sees_separate_audio(site: FixtureSite):
    result = probe(site, "/dash/manifest.mpd")
    assert any(fmt.vcodec == "none" and fmt.acodec for fmt in result.formats)
    assert {fmt.height for fmt in result.formats if fmt.height} == {360, 180}


def test_probe_feed_is_a_playlist_of_episodes(site: FixtureSite):
    result = probe(site, "/feed.xml")
    assert result.kind == "playlist" and result.is_collection
    assert result.entry_count == DEFAULT_FEED_EPISODES
    assert [entry.title for entry in result.entries] == [
        f"Episode {n}" for n in range(1, DEFAULT_FEED_EPISODES + 1)]
    assert [entry.key for entry in result.entries] == [
        f"fixture-episode-{n}" for n in range(1, DEFAULT_FEED_EPISODES + 1)]
    assert all(entry.url.startswith(site.url("/files/ep")) for entry in result.entries)


def test_probe_feed_respects_the_playlist_limit(site: FixtureSite):
    result = probe(site, "/feed.xml", playlist_limit=2)
    assert len(result.entries) == 2


# fetch -------------------------------------------------------------------------------------

def test_fetch_direct_file_is_byte_identical(site: FixtureSite, fixture_media: Media, dest: Path):
    events = fetch(site, "/files/video.mp4", dest, embed_metadata=False)
    assert_event_order(events)
    file = only_file(events, dest)
    assert sha256_file(file.path) == fixture_media.digest("video.mp4")
    assert (file.media_id, file.source) == ("video", "127.0.0.1")
    assert file.metadata["ext"] == "mp4" and file.metadata["extractor"] == "generic"
    assert sorted(p.name for p in dest.iterdir()) == [file.path.name]


def test_progress_is_monotonic_and_ends_at_the_total(site: FixtureSite, dest: Path):
    events = fetch(site, "/files/big.bin", dest, embed_metadata=False)
    progress = [event for event in events if isinstance(event, Progress)]
    assert progress, events
    downloaded = [event.downloaded_bytes for event in progress]
    assert downloaded == sorted(downloaded)
    size = only_file(events, dest).path.stat().st_size
    assert downloaded[-1] == size and progress[-1].total_bytes == size


@pytest.mark.parametrize("quality", ["360", "best"])
def test_fetch_hls_picks_the_360_variant(site: FixtureSite, dest: Path, quality: str):
    events = fetch(site, "/hls/master.m3u8", dest, quality=quality)
    assert_event_order(events)
    file = only_file(events, dest)
    assert video_height(file.path) == 360 and file.metadata["height"] == 360
    assert stream_types(file.path) == ["audio", "video"]


def test_fetch_dash_merges_video_and_audio_into_one_mp4(site: FixtureSite, dest: Path):
    events = fetch(site, "/dash/manifest.mpd", dest)
    assert_event_order(events)
    file = only_file(events, dest)
    assert file.path.suffix == ".mp4" and stream_types(file.path) == ["audio", "video"]
    assert video_height(file.path) == 360
    # the intermediate .f<id>.* parts are gone
    assert sorted(p.name for p in dest.iterdir()) == [file.path.name]
    downloaded = [e.downloaded_bytes for e in events if isinstance(e, Progress)]
    assert downloaded == sorted(downloaded)


@pytest.mark.parametrize("path", ["/dash/manifest.mpd", "/files/video.mp4"])
def test_audio_preset_gives_an_audio_only_file(site: FixtureSite, dest: Path, path: str):
    file = only_file(fetch(site, path, dest, quality="audio"), dest)
    assert stream_types(file.path) == ["audio"]
    assert file.path.suffix == ".m4a"  # aac kept as is, no re-encode


def test_audio_preset_converts_to_mp3(site: FixtureSite, dest: Path):
    file = only_file(fetch(site, "/files/video.mp4", dest, quality="audio", audio_format="mp3"),
                     dest)
    assert file.path.suffix == ".mp3" and stream_types(file.path) == ["audio"]


def test_container_mkv_remuxes_a_single_file(site: FixtureSite, dest: Path):
    file = only_file(fetch(site, "/files/video.mp4", dest, container="mkv"), dest)
    assert file.path.suffix == ".mkv" and stream_types(file.path) == ["audio", "video"]


def test_embedded_thumbnail_leaves_no_image_file(site: FixtureSite, dest: Path):
    file = only_file(fetch(site, "/page/video", dest, embed_thumbnail=True), dest)
    assert stream_types(file.path) == ["audio", "video", "video"]  # the cover is a stream
    assert sorted(p.name for p in dest.iterdir()) == [file.path.name]


def test_audio_with_an_embedded_cover(site: FixtureSite, dest: Path):
    events = fetch(site, "/page/video", dest, quality="audio", audio_format="mp3",
                   embed_thumbnail=True)
    file = only_file(events, dest)
    assert file.path.suffix == ".mp3" and stream_types(file.path) == ["audio", "video"]
    assert sorted(p.name for p in dest.iterdir()) == [file.path.name]


def test_webm_container_falls_back_to_mkv_for_h264(site: FixtureSite, dest: Path):
    file = only_file(fetch(site, "/dash/manifest.mpd", dest, container="webm"), dest)
    assert file.path.suffix == ".mkv" and stream_types(file.path) == ["audio", "video"]


def test_hostile_page_stays_inside_dest_with_its_title_verbatim(site: FixtureSite, dest: Path):
    events = fetch(site, "/page/hostile", dest)
    file = only_file(events, dest)
    assert file.title == HOSTILE_TITLE
    assert events[0] == Started(title=HOSTILE_TITLE, total_bytes=events[0].total_bytes)
    assert all(p.parent == dest for p in dest.rglob("*"))
    assert not list(dest.parent.glob("*passwd*"))


def test_fetch_of_a_feed_downloads_only_its_first_episode(site: FixtureSite, fixture_media: Media,
                                                          dest: Path):
    file = only_file(fetch(site, "/feed.xml", dest, embed_metadata=False), dest)
    assert file.title == "Episode 1" and file.media_id == "fixture-episode-1"
    assert sha256_file(file.path) == fixture_media.digest("ep1.mp3")


def test_refetch_into_the_same_folder_reports_the_existing_file(site: FixtureSite, dest: Path):
    first = only_file(fetch(site, "/dash/manifest.mpd", dest), dest)
    assert site.requests_to("/dash/chunk")
    site.clear_log()
    again = fetch(site, "/dash/manifest.mpd", dest)
    assert only_file(again, dest).path == first.path
    assert not site.requests_to("/dash/chunk")  # nothing downloaded twice


def test_flaky_download_resumes_to_a_correct_file(site: FixtureSite, fixture_media: Media,
                                                  dest: Path):
    site.flaky_drops = 2  # yt-dlp's first GET only sniffs the page; the second is the download
    file = only_file(fetch(site, "/flaky/video.mp4", dest, embed_metadata=False), dest)
    assert sha256_file(file.path) == fixture_media.digest("video.mp4")
    ranges = [r.headers.get("range") for r in site.requests_to("/flaky/video.mp4")]
    assert any(value and not value.startswith("bytes=0-") for value in ranges), ranges


# failures ----------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["probe", "fetch"])
def test_404_is_permanent(site: FixtureSite, dest: Path, action: str):
    with pytest.raises(EngineError) as caught:
        if action == "probe":
            probe(site, "/status/404")
        else:
            fetch(site, "/status/404", dest)
    assert not caught.value.transient
    assert "404" in caught.value.message and "\n" not in caught.value.message
    assert not caught.value.message.startswith("ERROR")


@pytest.mark.parametrize("action", ["probe", "fetch"])
def test_503_is_transient(site: FixtureSite, dest: Path, action: str):
    with pytest.raises(EngineError) as caught:
        if action == "probe":
            probe(site, "/status/503")
        else:
            fetch(site, "/status/503", dest)
    assert caught.value.transient


def test_429_is_transient_with_retry_after(site: FixtureSite):
    with pytest.raises(EngineError) as caught:
        probe(site, "/status/429?retry_after=30")
    assert caught.value.transient and caught.value.retry_after == 30


def test_unsupported_page_is_permanent(site: FixtureSite):
    with pytest.raises(EngineError) as caught:
        probe(site, "/gallery")
    assert not caught.value.transient and "Unsupported URL" in caught.value.message


@pytest.mark.timeout(30)
def test_hanging_server_times_out(site: FixtureSite, dest: Path):
    started = time.monotonic()
    with pytest.raises(EngineError) as caught:
        fetch(site, "/hang", dest, socket_timeout=1, retries=0)
    assert caught.value.transient
    assert time.monotonic() - started < 20
