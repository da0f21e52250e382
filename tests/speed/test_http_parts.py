"""The pieces of the http engine that need no network: plans, ramp, sidecar, names, routing."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from mediadl.engines import registry
from mediadl.engines.base import FetchOptions
from mediadl.engines.http.aria2 import exit_error, readouts
from mediadl.engines.http.digest import Checksum, announced_checksum, file_matches
from mediadl.engines.http.engine import needs_processing
from mediadl.engines.http.naming import disposition_name, file_name, kind_for
from mediadl.engines.http.ramp import Ramp
from mediadl.engines.http.remote import RemoteFile, parse_content_range, remote_from_response
from mediadl.engines.http.segments import SegmentTable, merge_spans, missing_spans
from mediadl.engines.http.state import SavedState, load_state, save_state, state_path
from mediadl.engines.ytdlp.options import fetch_params

MIB = 1024 * 1024


# -- segments ---------------------------------------------------------------------------

def test_spans_merge_and_gaps():
    assert merge_spans([(5, 8), (0, 3), (3, 4), (7, 10)]) == [(0, 4), (5, 10)]
    assert missing_spans([(0, 4), (5, 10)], 12) == [(4, 5), (10, 12)]
    assert missing_spans([], 3) == [(0, 3)] and missing_spans([(0, 3)], 3) == []


def test_table_hands_out_free_spans_then_steals_halves():
    table = SegmentTable(16 * MIB, min_split=MIB)
    first = table.take()
    assert (first.start, first.end) == (0, 16 * MIB)
    second = table.take()  # nothing free: the back half of the first
    assert (second.start, second.end) == (8 * MIB, 16 * MIB) and first.end == 8 * MIB
    third = table.take()
    assert third.start == 4 * MIB and first.end == 4 * MIB  # the largest remaining one
    assert table.active_count() == 3


def test_table_does_not_split_below_twice_the_minimum():
    table = SegmentTable(3 * MIB, min_split=2 * MIB)
    assert table.take() is not None
    assert not table.can_split() and table.take() is None


def test_claim_stops_at_a_moved_end_and_release_frees_the_rest():
    table = SegmentTable(8 * MIB, min_split=MIB)
    segment = table.take()
    table.take()  # takes [4 MiB, 8 MiB)
    assert table.claim(segment, 3 * MIB) == 3 * MIB
    assert table.claim(segment, 2 * MIB) == MIB  # only up to its new end
    assert segment.remaining == 0
    table.release(segment)
    table.mark_written(0, 4 * MIB)
    assert table.written() == 4 * MIB and not table.complete()


def test_a_failed_connection_gives_its_bytes_back():
    table = SegmentTable(4 * MIB, min_split=MIB)
    segment = table.take()
    table.claim(segment, MIB)
    table.mark_written(0, MIB)
    table.release(segment)  # the connection broke: [1 MiB, 4 MiB) is free again
    again = table.take()
    assert (again.start, again.end) == (MIB, 4 * MIB)


def test_resumed_table_fetches_only_the_gaps():
    table = SegmentTable(10 * MIB, done=[(0, 3 * MIB), (5 * MIB, 6 * MIB)])
    first, second = table.take(), table.take()
    assert (first.start, first.end) == (3 * MIB, 5 * MIB)
    assert (second.start, second.end) == (6 * MIB, 10 * MIB)
    assert table.written() == 4 * MIB


def test_empty_file_is_complete():
    assert SegmentTable(0).complete()


# -- ramp -------------------------------------------------------------------------------

def drive(ramp: Ramp, rate_per_connection: float, cap: float | None = None,
          steps: int = 40) -> list[int]:
    """Feed the ramp the bytes a server would deliver; returns the targets over time."""
    now, received, targets = 0.0, 0, []
    for _ in range(steps):
        target = ramp.update(now, int(received), streaming=ramp.target)
        targets.append(target)
        total_rate = target * rate_per_connection
        received += 0.1 * (min(total_rate, cap) if cap else total_rate)
        now += 0.1
    return targets


def test_ramp_grows_fast_while_each_connection_brings_its_share():
    ramp = Ramp(limit=8)
    targets = drive(ramp, rate_per_connection=4 * MIB)  # a per-connection cap
    assert targets[0] == 1 and targets[-1] == 8 and ramp.settled
    assert sorted(set(targets)) == [1, 2, 8]  # two scaled perfectly: then four times more


def test_ramp_doubles_while_gains_are_partial_and_backs_off_at_the_plateau():
    ramp = Ramp(limit=32)
    targets = drive(ramp, rate_per_connection=4 * MIB, cap=24 * MIB)
    assert sorted(set(targets)) == [1, 2, 8, 16]
    assert targets[-1] == 8 and ramp.settled  # 16 brought nothing over 8


def test_ramp_stops_when_more_connections_bring_nothing():
    ramp = Ramp(limit=8)
    targets = drive(ramp, rate_per_connection=100 * MIB, cap=100 * MIB)
    assert 2 in targets  # it tried a second one, which did not help ...
    assert targets[-1] == 1 and ramp.settled  # ... so it went back to one


def test_ramp_keeps_one_connection_that_is_already_saturating():
    from mediadl.engines.http.ramp import SATURATED_RATE

    ramp = Ramp(limit=8)
    assert set(drive(ramp, rate_per_connection=SATURATED_RATE * 1.2)) == {1}
    assert ramp.settled


def test_ramp_stays_at_one_for_a_limit_of_one():
    assert set(drive(Ramp(limit=1), 4 * MIB)) == {1}


def test_ramp_waits_for_new_connections_to_deliver():
    ramp = Ramp(limit=8, window=0.25)
    assert ramp.update(0.0, 0, streaming=1) == 1
    assert ramp.update(0.4, 1_000_000, streaming=1) == 2  # 2.5 MB/s with one
    # the second connection is still connecting: no window is measured yet
    assert ramp.update(1.0, 2_000_000, streaming=1) == 2
    assert ramp.update(1.1, 2_100_000, streaming=2) == 2
    assert ramp.update(1.5, 3_650_000, streaming=2) == 4  # 1.55 times the speed: worth it


def test_ramp_stop_freezes_the_count():
    ramp = Ramp(limit=8)
    ramp.stop()
    assert drive(ramp, 4 * MIB)[-1] == 1


# -- what the server says ------------------------------------------------------------------

def test_content_range_parsing():
    assert parse_content_range("bytes 10-19/100").total == 100
    assert parse_content_range("bytes 10-19/*").total is None
    assert parse_content_range("items 1-2/3") is None and parse_content_range(None) is None


def test_remote_from_206_and_200_answers():
    ranged = remote_from_response("http://h/f", 206, {"content-range": "bytes 0-99/1000",
                                                      "etag": '"abc"'})
    assert (ranged.size, ranged.ranges, ranged.validator) == (1000, True, '"abc"')
    plain = remote_from_response("http://h/f", 200, {"content-length": "1000"})
    assert (plain.size, plain.ranges) == (1000, False)
    unknown = remote_from_response("http://h/f", 200, {"accept-ranges": "bytes"})
    assert (unknown.size, unknown.ranges) == (None, False)


def test_weak_etags_are_not_sent_in_if_range():
    remote = RemoteFile("u", 10, True, etag='W/"x"', last_modified="Mon, 01 Jan 2024")
    assert remote.validator == "Mon, 01 Jan 2024"


def test_checksums_from_headers(tmp_path: Path):
    body = b"hello mediadl"
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    found = announced_checksum({"repr-digest": f"md5=:{md5}:, sha-256=:{sha}:"},
                               whole_body=False)
    assert found == Checksum("sha256", hashlib.sha256(body).hexdigest())
    assert announced_checksum({"digest": f"SHA-256={sha}"}, whole_body=False) == found
    assert announced_checksum({"content-md5": md5}, whole_body=False) is None  # a 206 body
    assert announced_checksum({"content-md5": md5}, whole_body=True).algorithm == "md5"
    assert announced_checksum({"repr-digest": "sha-256=:bm90IGEgaGFzaA==:"},
                              whole_body=True) is None  # wrong length: ignored
    path = tmp_path / "f"
    path.write_bytes(body)
    assert file_matches(path, found)
    assert not file_matches(path, Checksum("sha256", "0" * 64))


# -- the sidecar -----------------------------------------------------------------------------

def test_state_round_trip_and_validation(tmp_path: Path):
    part = tmp_path / "download.part"
    part.write_bytes(b"x")
    save_state(part, SavedState("http://h/f", 100, '"e"', None, [(0, 10), (20, 30)]))
    loaded = load_state(part)
    assert loaded is not None and loaded.done == [(0, 10), (20, 30)]
    assert loaded.matches(RemoteFile("http://h/f", 100, True, etag='"e"'))
    assert not loaded.matches(RemoteFile("http://h/f", 100, True, etag='"other"'))
    assert not loaded.matches(RemoteFile("http://h/f", 101, True, etag='"e"'))
    assert not loaded.matches(RemoteFile("http://h/f", 100, False, etag='"e"'))


@pytest.mark.parametrize("content", ["not json", '{"version": 99}', '{"version": 1}'])
def test_unreadable_state_is_ignored(tmp_path: Path, content: str):
    part = tmp_path / "download.part"
    part.write_bytes(b"x")
    state_path(part).write_text(content)
    assert load_state(part) is None


def test_state_without_its_partial_file_is_ignored(tmp_path: Path):
    part = tmp_path / "download.part"
    save_state(part, SavedState("u", 10, done=[(0, 5)]))
    assert load_state(part) is None


def test_state_drops_spans_outside_the_file(tmp_path: Path):
    part = tmp_path / "download.part"
    part.write_bytes(b"x")
    save_state(part, SavedState("u", 10, done=[(0, 5), (8, 50)]))
    assert load_state(part).done == [(0, 5)]


# -- names and kinds ---------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "content_type", "disposition", "expected"), [
    ("https://h/a/clip.mp4?x=1", "video/mp4", None, "clip.mp4"),
    ("https://h/a/My%20Song.MP3", None, None, "My Song.mp3"),
    ("https://h/download", "video/mp4", None, "download.mp4"),
    ("https://h/d?id=5", "application/octet-stream", 'attachment; filename="Talk.webm"',
     "Talk.webm"),
    ("https://h/d", None, "attachment; filename*=UTF-8''%C3%A9t%C3%A9.flac", "été.flac"),
    ("https://h/d", None, 'attachment; filename="../../etc/passwd"', "passwd.bin"),
    ("https://h/", None, None, "download.bin"),
    ("https://h/x/..%2F..%2Fevil.mp4", None, None, "evil.mp4"),
])
def test_file_names(url, content_type, disposition, expected):
    name = file_name(url, content_type, disposition)
    assert name == expected and "/" not in name


def test_disposition_without_a_name():
    assert disposition_name("inline") is None and disposition_name(None) is None


def test_kinds_from_extension_and_type():
    assert kind_for("mkv") == "video" and kind_for("opus") == "audio"
    assert kind_for("", "image/png") == "image" and kind_for("zip") == "file"


# -- what goes where ---------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "engine"), [
    ("https://cdn.example.com/v/clip.mp4", "http"),
    ("https://cdn.example.com/v/clip.MKV?token=1#t=3", "http"),
    ("https://cdn.example.com/a/b/song.opus", "http"),
    ("https://cdn.example.com/stream/master.m3u8", "ytdlp"),
    ("https://cdn.example.com/dash/manifest.mpd", "ytdlp"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "ytdlp"),
    ("https://example.com/page?file=clip.mp4", "ytdlp"),
    ("https://example.mp4/", "ytdlp"),
    ("https://mirror.example.net/f/disk.iso", "http"),
    ("https://mirror.example.net/f/blob.bin", "http"),
])
def test_routing(url, engine):
    assert registry.engine_for_url(url).name == engine


@pytest.mark.parametrize(("ext", "options", "expected"), [
    ("mp4", {}, False),
    ("mp4", {"quality": "audio"}, True),
    ("mp4", {"container": "mkv"}, True),
    ("mp4", {"container": "mp4"}, False),
    ("webm", {"container": "webm"}, False),
    ("mp4", {"embed_metadata": True}, True),
    ("mp3", {"quality": "audio"}, False),
    ("mp3", {"quality": "audio", "audio_format": "opus"}, True),
    ("jpg", {"quality": "audio", "embed_metadata": True}, False),
    ("zip", {"container": "mkv"}, False),
])
def test_only_conversions_go_to_ytdlp(ext, options, expected):
    assert needs_processing(FetchOptions(**options), ext) is expected


def test_fragments_run_concurrently_within_the_per_host_limit(tmp_path: Path):
    assert fetch_params(FetchOptions(), tmp_path)["concurrent_fragment_downloads"] == 8
    limited = FetchOptions(per_host_connections=3)
    assert fetch_params(limited, tmp_path)["concurrent_fragment_downloads"] == 3
    assert "ratelimit" not in fetch_params(FetchOptions(), tmp_path)
    capped = FetchOptions(speed_limit_bps=8_000_000, global_speed_limit_bps=4_000_000)
    assert fetch_params(capped, tmp_path)["ratelimit"] == 500_000  # 4 MB/s over 8 fragments


# -- aria2c's output ---------------------------------------------------------------------------

def test_aria2c_readouts_become_progress():
    lines = [" *** Download Progress Summary ***\n",
             "[#597a6f 62MiB/128MiB(48%) CN:8 DL:31MiB ETA:2s]\n",
             "FILE: /x/download.part\n",
             "[#597a6f 1.5GiB/2.0GiB(75%) CN:3]\n"]
    first, second = readouts(iter(lines), 128 * MIB)
    assert (first.downloaded, first.connections, first.speed) == (62 * MIB, 8, 31 * MIB)
    assert first.eta == pytest.approx(66 / 31)
    assert second.downloaded == 128 * MIB and second.speed is None  # capped at the total


def test_aria2c_exit_codes():
    assert not exit_error(3, "").transient
    error = exit_error(6, "network problem\nerrorCode=6 Connection refused\n")
    assert error.transient and "Connection refused" in error.message


# -- warm job processes ----------------------------------------------------------------------

def test_warm_up_compiles_every_extractor_pattern():
    from yt_dlp.extractor import gen_extractor_classes

    from mediadl.engines.ytdlp.warm import warm_up

    assert warm_up() > 1000
    with_patterns = [c for c in gen_extractor_classes() if getattr(c, "_VALID_URL", None)]
    assert with_patterns and all("_VALID_URL_RE" in c.__dict__ for c in with_patterns)


def test_the_job_template_loads_the_warm_ups():
    import importlib

    from mediadl.jobs.template import PRELOAD

    # A warm-up module that is never preloaded is paid again by every job process.
    assert {"mediadl.engines.ytdlp.warm", "mediadl.engines.http.warm"} <= set(PRELOAD)
    for name in PRELOAD:
        importlib.import_module(name)
    from mediadl.engines.http.client import tls_context

    assert tls_context.cache_info().currsize == 1


def test_state_from_an_earlier_boot_is_not_trusted(tmp_path: Path, monkeypatch):
    part = tmp_path / "download.part"
    part.write_bytes(b"x")
    save_state(part, SavedState("u", 10, done=[(0, 5)]))
    assert load_state(part) is not None
    monkeypatch.setattr("mediadl.engines.http.state.boot_id", lambda: "another-boot")
    assert load_state(part) is None  # after a power cut its bytes may never have hit disk


def test_prefix_hasher_follows_the_written_front(tmp_path: Path):
    import os

    from mediadl.engines.http.hashing import PrefixHasher

    data = os.urandom(3 * MIB + 123)
    path = tmp_path / "f"
    path.write_bytes(b"\0" * len(data))
    front = [0]
    fd = os.open(path, os.O_RDWR)
    hasher = PrefixHasher(fd, lambda: front[0])
    hasher.start()
    for end in (MIB, 2 * MIB, len(data)):  # written in order, as one connection does
        os.pwrite(fd, data[front[0]:end], front[0])
        front[0] = end
    assert hasher.finish(len(data)) == hashlib.sha256(data).hexdigest()
    hasher.abandon()  # after finish: harmless
    os.close(fd)


def test_prefix_hasher_can_be_abandoned_half_way(tmp_path: Path):
    import os

    from mediadl.engines.http.hashing import PrefixHasher

    path = tmp_path / "f"
    path.write_bytes(b"x" * MIB)
    fd = os.open(path, os.O_RDONLY)
    hasher = PrefixHasher(fd, lambda: MIB // 2)
    hasher.start()
    hasher.abandon()
    assert not hasher.is_alive() and hasher.hashed <= MIB // 2
    os.close(fd)


def test_prefix_hasher_hands_what_it_hashed_to_the_disk_in_order(tmp_path: Path, monkeypatch):
    import itertools
    import os

    from mediadl.engines.http import hashing

    started: list[tuple[int, int]] = []
    monkeypatch.setattr(hashing, "WRITEBACK_STEP", MIB)
    monkeypatch.setattr(hashing, "start_writeback",
                        lambda fd, offset, length: started.append((offset, length)))
    data = os.urandom(5 * MIB)
    path = tmp_path / "f"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    hasher = hashing.PrefixHasher(fd, lambda: len(data))
    hasher.start()
    assert hasher.finish(len(data)) == hashlib.sha256(data).hexdigest()
    os.close(fd)
    assert started and started[0][0] == 0
    assert all(a + n == b for (a, n), (b, _) in itertools.pairwise(started))
    assert sum(length for _, length in started) >= 4 * MIB


def test_writeback_of_a_real_file_never_fails(tmp_path: Path):
    import os

    from mediadl.engines.http.hashing import start_writeback

    path = tmp_path / "f"
    path.write_bytes(b"x" * MIB)
    fd = os.open(path, os.O_RDONLY)
    start_writeback(fd, 0, MIB)
    os.close(fd)
    start_writeback(fd, 0, MIB)  # a closed descriptor: still quiet
