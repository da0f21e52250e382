"""The engine contract, checked over every registered engine, and the fake engine's behaviour.

Nothing here touches the network: examples are only routed, never probed (except the fake
engine's, which never leaves the process).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import re
from pathlib import Path

import pytest
import yt_dlp

from mediadl.engines import registry
from mediadl.engines.base import (
    QUALITIES,
    EngineError,
    Event,
    FetchOptions,
    FileWritten,
    Finished,
    Progress,
    Started,
)
from mediadl.engines.fake.engine import FakeEngine, fake_bytes, parse_fake_url
from mediadl.engines.ytdlp.options import fetch_params, probe_params

ENGINE_NAMES = [engine.name for engine in registry.ENGINES]


@pytest.fixture(params=ENGINE_NAMES)
def engine(request: pytest.FixtureRequest):
    return registry.engine_named(request.param)


def test_engine_names_are_unique():
    assert len(set(ENGINE_NAMES)) == len(ENGINE_NAMES)


def test_engine_declares_name_patterns_and_examples(engine):
    assert isinstance(engine.name, str) and re.fullmatch(r"[a-z][a-z0-9_]*", engine.name)
    assert engine.url_patterns and all(isinstance(p, re.Pattern) for p in engine.url_patterns)
    assert engine.examples and all(isinstance(url, str) for url in engine.examples)


def test_every_example_routes_to_its_engine(engine):
    for url in engine.examples:
        assert any(pattern.search(url) for pattern in engine.url_patterns), url
        # Order matters: an earlier engine must not steal another engine's example.
        assert registry.engine_for_url(url) is engine, url


def test_engine_has_probe_and_fetch(engine):
    assert callable(engine.probe) and callable(engine.fetch)


@pytest.mark.parametrize("name", [engine.name for engine in registry.ENGINES
                                  if hasattr(engine, "probe_for_job")])
def test_a_probe_for_a_job_needs_no_network_and_fits_the_examples(name: str):
    """``probe_for_job`` is optional; where there is one, it answers from the link alone
    (the outbound guard here refuses every connection) and names the link it was given."""
    probe_for_job = registry.engine_named(name).probe_for_job  # type: ignore[attr-defined]
    from mediadl.security.addresses import OutboundPolicy
    from mediadl.security.outbound import guarded

    with guarded(OutboundPolicy(())):
        for url in registry.engine_named(name).examples:
            probe = probe_for_job(url)
            assert probe is None or (probe.url == url and probe.kind and probe.title), url


def test_catch_all_ytdlp_engine_is_last():
    assert registry.ENGINES[-1].name == "ytdlp"


@pytest.mark.parametrize("quality", QUALITIES)
def test_default_options_make_valid_ytdlp_params(tmp_path: Path, quality: str):
    options = FetchOptions(quality=quality)
    with yt_dlp.YoutubeDL(fetch_params(options, tmp_path)) as ydl:
        assert ydl.params["outtmpl"]["default"].startswith(str(tmp_path))
    with yt_dlp.YoutubeDL(probe_params(options, 100)):
        pass


@pytest.mark.parametrize("container", ["auto", "mp4", "mkv", "webm"])
def test_every_container_and_extra_makes_valid_ytdlp_params(tmp_path: Path, container: str):
    options = FetchOptions(container=container, subtitles=True, embed_thumbnail=True,
                           embed_metadata=True)
    with yt_dlp.YoutubeDL(fetch_params(options, tmp_path)):
        pass


# The fake engine -------------------------------------------------------------------------

FAKE = FakeEngine()
OPTIONS = FetchOptions()


def fetch_fake(url: str, dest: Path) -> list[Event]:
    events: list[Event] = []
    FAKE.fetch(url, dest, OPTIONS, events.append)
    return events


def test_fake_probe_video_defaults():
    result = FAKE.probe("https://fake.invalid/video/clip", OPTIONS)
    assert (result.kind, result.title, result.media_id) == ("video", "clip", "clip")
    assert result.formats == [] and result.qualities == ["best"]


def test_fake_probe_playlist_lists_entries():
    result = FAKE.probe("https://fake.invalid/playlist/show?count=4&size=10", OPTIONS)
    assert result.kind == "playlist" and result.is_collection
    assert result.entry_count == 4
    assert [entry.key for entry in result.entries] == [f"show-{i}" for i in range(1, 5)]
    first = parse_fake_url(result.entries[0].url)
    assert (first.kind, first.slug, first.size) == ("video", "show-1", 10)


@pytest.mark.parametrize("url", [
    "https://fake.invalid/other/x", "https://fake.invalid/video/../x",
    "https://fake.invalid/video/x?size=abc", "https://fake.invalid/video/x?fail=explode",
    "https://example.com/video/x",
])
def test_fake_rejects_urls_outside_its_grammar(url: str):
    with pytest.raises(EngineError) as caught:
        parse_fake_url(url)
    assert not caught.value.transient


def test_fake_fetch_writes_deterministic_bytes_and_events(tmp_path: Path):
    url = "https://fake.invalid/video/clip?size=1000&chunks=4&title=My%20Clip"
    events = fetch_fake(url, tmp_path)
    assert events[0] == Started(title="My Clip", total_bytes=1000)
    progress = [event for event in events if isinstance(event, Progress)]
    assert [p.downloaded_bytes for p in progress] == [250, 500, 750, 1000]
    written = [event for event in events if isinstance(event, FileWritten)]
    assert len(written) == 1 and written[0].path == tmp_path / "clip.bin"
    assert (written[0].title, written[0].media_id, written[0].source) == ("My Clip", "clip", "fake")
    assert events[-1] == Finished(files=1)
    assert written[0].path.read_bytes() == b"".join(fake_bytes("clip", 1000))


def test_fake_same_url_same_bytes(tmp_path: Path):
    url = "https://fake.invalid/video/same?size=5000"
    fetch_fake(url, tmp_path / "a")
    fetch_fake(url, tmp_path / "b")
    first, second = (tmp_path / d / "same.bin" for d in "ab")
    digests = {hashlib.sha256(path.read_bytes()).hexdigest() for path in (first, second)}
    assert len(digests) == 1 and first.stat().st_size == 5000


def test_fake_playlist_fetch_takes_the_first_entry(tmp_path: Path):
    events = fetch_fake("https://fake.invalid/playlist/show?count=3&size=10", tmp_path)
    assert [e.path.name for e in events if isinstance(e, FileWritten)] == ["show-1.bin"]


@pytest.mark.parametrize(("fail", "transient"), [("transient", True), ("permanent", False)])
def test_fake_failures_raise_engine_error(tmp_path: Path, fail: str, transient: bool):
    with pytest.raises(EngineError) as caught:
        fetch_fake(f"https://fake.invalid/video/x?fail={fail}", tmp_path)
    assert caught.value.transient is transient
    assert not (tmp_path / "x.bin").exists()


def test_fake_fail_times_counts_attempts_in_the_job_folder(tmp_path: Path):
    url = "https://fake.invalid/video/x?fail=transient&fail_times=2"
    for _ in range(2):
        with pytest.raises(EngineError):
            fetch_fake(url, tmp_path)
    events = fetch_fake(url, tmp_path)
    assert events[-1] == Finished(files=1) and (tmp_path / "x.bin").is_file()


def _fetch_in_child(url: str, dest: str) -> None:
    FakeEngine().fetch(url, Path(dest), FetchOptions(), lambda event: None)


@pytest.mark.timeout(30)
def test_fake_crash_exits_the_process(tmp_path: Path):
    child = multiprocessing.get_context("spawn").Process(
        target=_fetch_in_child, args=("https://fake.invalid/video/x?fail=crash", str(tmp_path)))
    child.start()
    child.join(20)
    assert child.exitcode == 3


@pytest.mark.timeout(30)
def test_fake_hang_never_finishes(tmp_path: Path):
    child = multiprocessing.get_context("spawn").Process(
        target=_fetch_in_child, args=("https://fake.invalid/video/x?fail=hang", str(tmp_path)))
    child.start()
    child.join(3)
    try:
        assert child.is_alive()
    finally:
        child.kill()
        child.join(5)
