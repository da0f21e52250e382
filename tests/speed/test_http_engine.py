"""The http engine against the local fixture site: real sockets, real files, no timing asserts.

The fixture site logs every request with its headers, so the tests read from the log how
many connections were used and which byte ranges were asked for.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from mediadl.engines.base import (
    EngineError,
    Event,
    FetchOptions,
    FileWritten,
    Finished,
    Progress,
    Started,
)
from mediadl.engines.http.engine import PART_NAME, HttpEngine
from mediadl.engines.http.segments import missing_spans
from mediadl.engines.http.state import SavedState, load_state, save_state, state_path
from mediadl.engines.http.transfer import TransferRequest, download
from mediadl.engines.ytdlp.engine import YtdlpEngine

pytestmark = pytest.mark.timeout(120)

ENGINE = HttpEngine()
OPTIONS = FetchOptions(retries=2, socket_timeout=5)


def fetch(url: str, dest: Path, options: FetchOptions = OPTIONS) -> list[Event]:
    events: list[Event] = []
    ENGINE.fetch(url, dest, options, events.append)
    return events


def written(events: list[Event]) -> list[FileWritten]:
    return [event for event in events if isinstance(event, FileWritten)]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def gets(site, prefix: str) -> list:
    return [r for r in site.requests_to(prefix) if r.method == "GET"]


def range_start(request) -> int:
    return int(request.headers["range"].removeprefix("bytes=").split("-")[0])


def test_several_connections_give_the_exact_file(site, fixture_media, tmp_path):
    # 1 MB/s per connection: the ramp sees each new connection pay off and adds more.
    events = fetch(site.url("/throttled/big.bin?rate=1000000"), tmp_path)
    files = written(events)
    assert len(files) == 1 and files[0].path.name == "big.bin"
    assert sha256(files[0].path) == fixture_media.digest("big.bin")
    assert files[0].metadata["sha256"] == fixture_media.digest("big.bin")  # hashed on the way
    ranges = [r.headers.get("range") for r in gets(site, "/throttled/")]
    assert len(ranges) >= 3 and len(set(ranges)) == len(ranges)
    assert sorted(os.listdir(tmp_path)) == ["big.bin"]  # no part or sidecar left


def test_events_follow_the_contract(site, fixture_media, tmp_path):
    events = fetch(site.url("/files/video.mp4"), tmp_path)
    size = fixture_media.video.stat().st_size
    assert events[0] == Started(title="video", total_bytes=size)
    progress = [event for event in events if isinstance(event, Progress)]
    assert progress and progress[-1].downloaded_bytes == size == progress[-1].total_bytes
    done = [p.downloaded_bytes for p in progress]
    assert done == sorted(done)
    file = written(events)[0]
    assert (file.title, file.source) == ("video", "127.0.0.1")
    assert file.metadata["content_type"] == "video/mp4"
    assert events[-1] == Finished(files=1)


def test_a_slow_transfer_reports_bytes_as_they_arrive(site, fixture_media, tmp_path):
    # 385 kB at 200 kB/s: small reads wait in a buffer before they are written, but the
    # progress shows them as they arrive.
    events = fetch(site.url("/throttled/video.mp4?rate=200000"), tmp_path)
    size = fixture_media.video.stat().st_size
    moving = [e.downloaded_bytes for e in events if isinstance(e, Progress)
              and 0 < e.downloaded_bytes < size]
    assert moving and moving == sorted(moving)


def test_server_without_ranges_gets_one_connection(site, fixture_media, tmp_path):
    events = fetch(site.url("/norange/big.bin"), tmp_path)
    assert sha256(written(events)[0].path) == fixture_media.digest("big.bin")
    assert written(events)[0].metadata["sha256"] == fixture_media.digest("big.bin")
    assert len(gets(site, "/norange/")) == 1


def test_dropped_connection_resumes_where_it_broke(site, fixture_media, tmp_path):
    site.flaky_drops = 1  # the first GET is cut off halfway
    events = fetch(site.url("/flaky/big.bin"), tmp_path, FetchOptions(per_host_connections=1))
    assert sha256(written(events)[0].path) == fixture_media.digest("big.bin")
    first, *later = gets(site, "/flaky/")
    assert range_start(first) == 0
    assert later and range_start(later[0]) > 0  # it went on, it did not start over


def test_liar_server_fails_transiently_and_records_nothing(site, tmp_path):
    events: list[Event] = []
    with pytest.raises(EngineError) as caught:
        ENGINE.fetch(site.url("/liar/video.mp4"), tmp_path, OPTIONS, events.append)
    assert caught.value.transient
    assert not written(events)
    assert not list(tmp_path.iterdir())  # no partial file pretending to be the video


@pytest.mark.parametrize("code", [403, 404, 410])
def test_missing_or_forbidden_is_permanent(site, tmp_path, code):
    with pytest.raises(EngineError) as caught:
        fetch(site.url(f"/status/{code}"), tmp_path)
    assert not caught.value.transient and str(code) in caught.value.message


@pytest.mark.parametrize(("path", "retry_after"), [("/status/429", 1.0),
                                                   ("/status/503?retry_after=7", 7.0),
                                                   ("/status/500", None)])
def test_busy_server_is_transient_with_its_delay(site, tmp_path, path, retry_after):
    with pytest.raises(EngineError) as caught:
        fetch(site.url(path), tmp_path)
    assert caught.value.transient and caught.value.retry_after == retry_after


def test_probe_describes_the_file_without_downloading_it(site, fixture_media):
    result = ENGINE.probe(site.url("/files/video.mp4"), OPTIONS)
    assert (result.kind, result.title, result.source) == ("video", "video", "127.0.0.1")
    assert result.qualities == ["best", "audio"]
    assert result.metadata["size"] == fixture_media.video.stat().st_size
    assert result.metadata["resumable"] is True
    assert {r.method for r in site.requests_to("/files/")} == {"HEAD"}


def test_probe_of_a_missing_file_is_permanent(site):
    with pytest.raises(EngineError) as caught:
        ENGINE.probe(site.url("/status/404"), OPTIONS)
    assert not caught.value.transient


def test_announced_checksum_is_verified(site, fixture_media, tmp_path):
    events = fetch(site.url("/digest/video.mp4"), tmp_path / "good")
    assert written(events)[0].metadata["verified_checksum"] == "sha256"
    with pytest.raises(EngineError) as caught:
        fetch(site.url("/digest/video.mp4?wrong=1"), tmp_path / "bad")
    assert caught.value.transient and "checksum" in caught.value.message
    assert not list((tmp_path / "bad").iterdir())  # the bad bytes are gone


def test_a_partial_file_of_another_version_is_started_over(site, fixture_media, tmp_path):
    size = fixture_media.big.stat().st_size
    part = tmp_path / PART_NAME
    part.write_bytes(b"\0" * size)
    save_state(part, SavedState(site.url("/files/big.bin"), size, '"an old version"', None,
                                [(0, size // 2)]))
    events = fetch(site.url("/files/big.bin"), tmp_path)
    assert sha256(written(events)[0].path) == fixture_media.digest("big.bin")
    first = gets(site, "/files/")[0]
    assert first.headers["if-range"] == '"an old version"'  # the server said: changed
    assert not state_path(part).exists()


def test_a_web_page_goes_to_the_extractor(site, tmp_path):
    # A URL that looks like a file but answers with a page holding the video.
    events: list[Event] = []
    ENGINE.fetch(site.url("/redirect/page/video?f=.mp4"), tmp_path, OPTIONS, events.append)
    assert [f.path.suffix for f in written(events)] == [".mp4"]


def test_audio_of_a_direct_video_is_extracted_through_ytdlp(site, tmp_path):
    events = fetch(site.url("/files/video.mp4"), tmp_path, FetchOptions(quality="audio"))
    assert [f.path.suffix for f in written(events)] == [".m4a"]
    assert any(r.headers.get("range") == "bytes=0-" for r in gets(site, "/files/video.mp4"))


def test_transfer_progress_reports_connections(site, fixture_media, tmp_path):
    statuses = []
    result = download(TransferRequest(url=site.url("/throttled/big.bin?rate=1000000"),
                                      part=tmp_path / "f.part", retries=2), statuses.append)
    assert result.connections > 1 and result.size == fixture_media.big.stat().st_size
    assert max(status.connections for status in statuses) == result.connections


# -- resume after the job process was killed ----------------------------------------------

def _fetch_until_killed(url: str, dest: str) -> None:
    HttpEngine().fetch(url, Path(dest), FetchOptions(per_host_connections=1),
                       lambda event: None)


def _wait_for_saved_bytes(part: Path, process, minimum: int) -> SavedState:
    while True:  # bounded by the test timeout, not a speed check
        state = load_state(part)
        if state is not None and sum(b - a for a, b in state.done) >= minimum:
            return state
        assert process.is_alive(), "the download ended before it could be killed"
        time.sleep(0.05)


def test_a_killed_download_fetches_only_what_is_missing(site, fixture_media, tmp_path):
    size = fixture_media.big.stat().st_size
    slow = site.url("/throttled/big.bin?rate=2000000")
    child = multiprocessing.get_context("spawn").Process(
        target=_fetch_until_killed, args=(slow, str(tmp_path)))
    child.start()
    try:
        _wait_for_saved_bytes(tmp_path / PART_NAME, child, 2 * 1024 * 1024)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
    saved = load_state(tmp_path / PART_NAME)  # what the state said when it died
    missing = missing_spans(saved.done, size)
    site.clear_log()
    events = fetch(site.url("/throttled/big.bin?rate=8000000"), tmp_path)
    assert sha256(written(events)[0].path) == fixture_media.digest("big.bin")
    assert written(events)[0].metadata["sha256"] == fixture_media.digest("big.bin")
    for request in gets(site, "/throttled/"):
        start = range_start(request)
        assert any(a <= start < b for a, b in missing), (start, missing)
    assert min(range_start(r) for r in gets(site, "/throttled/")) == missing[0][0] > 0


# -- yt-dlp extracts, mediadl fetches -------------------------------------------------------

def test_ytdlp_hands_direct_files_to_the_http_downloader(site, fixture_media, tmp_path):
    events: list[Event] = []
    YtdlpEngine().fetch(site.url("/page/video"), tmp_path, OPTIONS, events.append)
    assert sha256(written(events)[0].path) == fixture_media.digest("video.mp4")
    assert [r.headers.get("range") for r in gets(site, "/files/video.mp4")] == ["bytes=0-"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".part", ".state"))]


def test_ytdlp_direct_files_get_several_connections(site, fixture_media, tmp_path):
    events: list[Event] = []
    YtdlpEngine().fetch(site.url("/throttled/big.bin?rate=1000000"), tmp_path, OPTIONS,
                        events.append)
    assert sha256(written(events)[0].path) == fixture_media.digest("big.bin")
    ranged = [r for r in gets(site, "/throttled/") if "range" in r.headers]
    assert len(ranged) >= 3
    progress = [event for event in events if isinstance(event, Progress)]
    assert progress[-1].downloaded_bytes == fixture_media.big.stat().st_size


def test_hls_stays_with_ytdlp_fragments(site, tmp_path):
    events: list[Event] = []
    YtdlpEngine().fetch(site.url("/hls/master.m3u8"), tmp_path, OPTIONS, events.append)
    assert [f.path.suffix for f in written(events)] == [".mp4"]
    segments = [r for r in gets(site, "/hls/") if r.path.endswith(".ts")]
    assert segments and not any("range" in r.headers for r in segments)
