"""The engines that make their own requests wait for the platform's turn from the file every
job process shares (engines.ratelimit): the http engine before a download, the forum engine
before each request, so another process's turn holds them back. yt-dlp and gallery-dl are
told to space their own requests within a job."""

from __future__ import annotations

import time
from pathlib import Path

from mediadl.engines.base import FetchOptions, FileWritten
from mediadl.engines.forum.engine import ForumEngine
from mediadl.engines.gallerydl import command
from mediadl.engines.http.engine import HttpEngine
from mediadl.engines.ratelimit import RequestPacer, pacer_for
from mediadl.engines.ytdlp import options as ytdlp_options
from tests.fixtures.site import FixtureSite

INTERVAL = 0.3


def paced_options(shared: Path, platform: str = "generic") -> FetchOptions:
    return FetchOptions(retries=1, socket_timeout=5, allow_private_networks=True,
                        platform=platform, min_request_interval_s=INTERVAL,
                        shared_state_dir=shared)


def take_the_turn(options: FetchOptions) -> float:
    """Another job process of the platform has just made a request."""
    pacer = pacer_for(options)
    pacer.reserve()
    pacer.close()
    return time.monotonic()


def test_a_direct_download_waits_for_the_turn_another_process_took(site: FixtureSite,
                                                                   tmp_path: Path):
    options = paced_options(tmp_path / "shared")
    taken = take_the_turn(options)
    events: list[object] = []
    HttpEngine().fetch(site.url("/files/video.mp4"), tmp_path / "job", options, events.append)
    assert time.monotonic() - taken >= INTERVAL
    assert any(isinstance(event, FileWritten) for event in events)


def test_the_forum_engine_takes_a_turn_per_request(site: FixtureSite, tmp_path: Path):
    options = paced_options(tmp_path / "shared", platform="forum")
    taken = take_the_turn(options)
    ForumEngine().probe(site.url("/forum/threads/fixture-photos.7/"), options)
    # Three thread pages after the turn taken before: three more intervals at least.
    assert time.monotonic() - taken >= 3 * INTERVAL
    assert len(site.requests) == 3


def test_a_pacer_without_an_interval_never_waits(tmp_path: Path):
    pacer = RequestPacer(0.0, "generic", tmp_path)
    assert [pacer.wait() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert list(tmp_path.iterdir()) == []  # and keeps no state


def test_yt_dlp_and_gallery_dl_space_their_own_requests_within_a_job(tmp_path: Path):
    options = paced_options(tmp_path)
    assert ytdlp_options.platform_params(options) == {
        "sleep_interval_requests": INTERVAL, "sleep_interval": INTERVAL,
        "sleep_interval_subtitles": INTERVAL}
    config = command.config_for(options, tmp_path / "files")["extractor"]
    assert (config["sleep-request"], config["sleep"]) == (INTERVAL, INTERVAL)
    unpaced = options.model_copy(update={"min_request_interval_s": 0.0})
    assert ytdlp_options.platform_params(unpaced) == {}
    assert "sleep-request" not in command.config_for(unpaced, tmp_path)["extractor"]
