"""ingest_file: checks, identification, the move into the library and exactly-once rows."""

from __future__ import annotations

import hashlib
import math
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from mediadl.core.errors import BadRequest, MediadlError
from mediadl.core.settings import Settings
from mediadl.db.models import Download, Job
from mediadl.db.session import Database
from mediadl.engines.base import FileWritten
from mediadl.library import ingest as ingest_module
from mediadl.library import thumbnails
from mediadl.library.ingest import UnsafeFile, ingest_file, json_safe, prepare_file
from tests.unit.test_library_media import Samples, make_samples

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg/ffprobe not installed")


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("ingest-samples"))


@pytest.fixture
def owner_id(make_user: Callable[..., int]) -> int:
    return make_user("ingester")


@pytest.fixture
def new_job(database: Database, owner_id: int) -> Callable[[], Job]:
    def _new() -> Job:
        with database.session() as session:
            job = Job(owner_id=owner_id, url="https://example.test/watch?v=1", platform="youtube",
                      engine="ytdlp", source="Job Source", options={})
            session.add(job)
            session.flush()
            return job
    return _new


@pytest.fixture
def job(new_job: Callable[[], Job]) -> Job:
    return new_job()


@pytest.fixture
def job_dir(settings: Settings, job: Job) -> Path:
    folder = settings.work_dir / str(job.id)
    folder.mkdir(parents=True)
    return folder


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ingest(database: Database, settings: Settings, job: Job, job_dir: Path,
            written: FileWritten) -> Download:
    prepared = prepare_file(settings, written, job_dir)
    with database.session() as session:
        return ingest_file(session, settings, job, written, prepared)


def _count_rows(database: Database) -> int:
    with database.read() as session:
        return session.scalar(select(func.count(Download.id))) or 0


def test_video_is_moved_recorded_and_thumbnailed(database: Database, settings: Settings,
                                                 job: Job, job_dir: Path,
                                                 samples: Samples) -> None:
    path = job_dir / "clip.mp4"
    shutil.copy(samples.video, path)
    digest = _sha256(path)
    metadata = {"webpage_url": "https://example.test/page", "tags": ["cats", " ", "funny"],
                "duration": math.nan, "http_headers": {"Cookie": "secret"},
                "title": "ignored", "when": object}
    row = _ingest(database, settings, job, job_dir, FileWritten(
        path=path, title="A Video: Part 1", media_id="vid1", source="Uploader",
        description="About cats", metadata=metadata))
    assert not path.exists()
    assert row.filename == "Uploader/A Video_ Part 1 [vid1].mp4"
    stored = settings.library_dir / row.filename
    assert stored.is_file() and _sha256(stored) == digest == row.sha256
    assert (row.kind, row.mime, row.width, row.height) == ("video", "video/mp4", 320, 240)
    assert row.duration == pytest.approx(1.0, abs=0.2)
    assert row.size == stored.stat().st_size
    assert (row.owner_id, row.job_id, row.item_key) == (job.owner_id, job.id, "vid1")
    assert (row.url, row.platform, row.source) == ("https://example.test/page", "youtube",
                                                   "Uploader")
    assert (row.title, row.description, row.tags) == ("A Video: Part 1", "About cats",
                                                      "cats funny")
    assert row.extra["duration"] is None and "http_headers" not in row.extra
    assert isinstance(row.extra["when"], str)
    assert row.thumbnail == f"{digest[:2]}/{digest}.jpg"
    assert (settings.thumbnail_dir / row.thumbnail).is_file()


def test_job_values_fill_what_the_engine_left_out(database: Database, settings: Settings,
                                                  job: Job, job_dir: Path,
                                                  samples: Samples) -> None:
    path = job_dir / "photo.jpg"
    shutil.copy(samples.image, path)
    row = _ingest(database, settings, job, job_dir, FileWritten(path=path))
    assert (row.url, row.source, row.title, row.item_key) == (
        job.url, "Job Source", "photo", "photo.jpg")
    assert (row.kind, row.mime, row.width, row.height, row.duration) == (
        "image", "image/jpeg", 800, 600, None)
    assert row.filename == "Job Source/photo.jpg"
    assert row.thumbnail is not None


def test_audio_kinds(database: Database, settings: Settings, job: Job, job_dir: Path,
                     samples: Samples) -> None:
    rows = []
    for sample in (samples.audio_cover, samples.audio_plain, samples.audio_webm):
        shutil.copy(sample, job_dir / sample.name)
        rows.append(_ingest(database, settings, job, job_dir,
                            FileWritten(path=job_dir / sample.name)))
    assert [row.kind for row in rows] == ["audio", "audio", "audio"]
    assert [row.mime for row in rows] == ["audio/mpeg", "audio/mp4", "audio/webm"]
    assert rows[0].thumbnail is not None and rows[1].thumbnail is None
    assert all(row.width is None and row.duration for row in rows)


def test_exactly_once_per_job_and_item(database: Database, settings: Settings, job: Job,
                                       job_dir: Path, samples: Samples) -> None:
    shutil.copy(samples.video, job_dir / "a.mp4")
    first = _ingest(database, settings, job, job_dir,
                    FileWritten(path=job_dir / "a.mp4", media_id="same", title="T"))
    # The job ran again after a crash and produced the same item once more.
    shutil.copy(samples.video, job_dir / "a.mp4")
    second = _ingest(database, settings, job, job_dir,
                     FileWritten(path=job_dir / "a.mp4", media_id="same", title="T"))
    assert second.id == first.id
    assert not (job_dir / "a.mp4").exists()
    assert _count_rows(database) == 1
    assert [p.name for p in (settings.library_dir / "Job Source").iterdir()] == ["T [same].mp4"]


def test_same_bytes_in_another_job_is_a_new_row_sharing_the_file(
        database: Database, settings: Settings, job: Job, job_dir: Path,
        new_job: Callable[[], Job], samples: Samples) -> None:
    shutil.copy(samples.video, job_dir / "a.mp4")
    first = _ingest(database, settings, job, job_dir,
                    FileWritten(path=job_dir / "a.mp4", media_id="v", title="T"))
    other = new_job()
    other_dir = settings.work_dir / str(other.id)
    other_dir.mkdir()
    shutil.copy(samples.video, other_dir / "a.mp4")
    second = _ingest(database, settings, other, other_dir,
                     FileWritten(path=other_dir / "a.mp4", media_id="v", title="T"))
    assert second.id != first.id
    # Exact duplicates are never stored twice: the second row points at the first file.
    assert second.filename == first.filename == "Job Source/T [v].mp4"
    assert len(list((settings.library_dir / "Job Source").iterdir())) == 1
    assert second.thumbnail == first.thumbnail


def test_subtitles_of_a_video_are_kept_beside_it(database: Database, settings: Settings,
                                                 job: Job, job_dir: Path,
                                                 samples: Samples) -> None:
    shutil.copy(samples.video, job_dir / "v.mp4")
    (job_dir / "v.en.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n")
    (job_dir / "v.de.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nhallo\n")
    keys = [_ingest(database, settings, job, job_dir,
                    FileWritten(path=job_dir / name, media_id="v1")).item_key
            for name in ("v.mp4", "v.en.vtt", "v.de.vtt")]
    assert keys == ["v1", "v1:en.vtt", "v1:de.vtt"]


def test_lost_insert_race_returns_the_winner(database: Database, settings: Settings,
                                             job: Job, job_dir: Path, samples: Samples,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(samples.image, job_dir / "p.jpg")
    winner = _ingest(database, settings, job, job_dir,
                     FileWritten(path=job_dir / "p.jpg", media_id="p"))
    real_find = ingest_module.find_download
    calls: list[int] = []

    def blind_first_look(*args: Any) -> Download | None:
        calls.append(1)
        return None if len(calls) == 1 else real_find(*args)

    monkeypatch.setattr(ingest_module, "find_download", blind_first_look)
    shutil.copy(samples.image, job_dir / "p.jpg")
    loser = _ingest(database, settings, job, job_dir,
                    FileWritten(path=job_dir / "p.jpg", media_id="p"))
    assert loser.id == winner.id
    assert _count_rows(database) == 1
    assert sorted(p.name for p in (settings.library_dir / "Job Source").iterdir()) == [
        "p [p].jpg"]


@pytest.mark.parametrize("name", ["x.mp4.part", "x.ytdl", "x.exe", "x.sh", "x.html", "x.svg",
                                  "x.php", "noextension", "x.mp4 ", "x.MP4.part"])
def test_disallowed_extensions_are_refused(database: Database, settings: Settings, job: Job,
                                           job_dir: Path, name: str) -> None:
    (job_dir / name).write_bytes(b"data")
    with pytest.raises(UnsafeFile):
        _ingest(database, settings, job, job_dir, FileWritten(path=job_dir / name))
    assert (job_dir / name).exists()
    assert _count_rows(database) == 0


def test_unsafe_file_is_a_bad_request_with_a_sentence() -> None:
    assert issubclass(UnsafeFile, BadRequest) and issubclass(UnsafeFile, MediadlError)
    error = UnsafeFile()
    assert error.status_code == 400 and error.detail.endswith(".")


def test_symlink_to_outside_is_refused(database: Database, settings: Settings, job: Job,
                                       job_dir: Path, samples: Samples, tmp_path: Path) -> None:
    outside = tmp_path / "secret.mp4"
    shutil.copy(samples.video, outside)
    os.symlink(outside, job_dir / "link.mp4")
    with pytest.raises(UnsafeFile, match="symbolic link"):
        _ingest(database, settings, job, job_dir, FileWritten(path=job_dir / "link.mp4"))
    assert outside.is_file() and (job_dir / "link.mp4").is_symlink()


def test_symlinked_folder_inside_the_job_is_refused(database: Database, settings: Settings,
                                                   job: Job, job_dir: Path, samples: Samples,
                                                   tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(samples.video, elsewhere / "v.mp4")
    os.symlink(elsewhere, job_dir / "sub")
    with pytest.raises(UnsafeFile):
        _ingest(database, settings, job, job_dir, FileWritten(path=job_dir / "sub" / "v.mp4"))
    assert (elsewhere / "v.mp4").is_file()


def test_paths_outside_the_job_folder_are_refused(database: Database, settings: Settings,
                                                  job: Job, job_dir: Path, samples: Samples,
                                                  tmp_path: Path) -> None:
    outside = settings.work_dir / "outside.mp4"
    shutil.copy(samples.video, outside)
    for path in (Path("../outside.mp4"), job_dir / ".." / "outside.mp4", outside, job_dir,
                 job_dir / "missing.mp4"):
        with pytest.raises(UnsafeFile):
            _ingest(database, settings, job, job_dir, FileWritten(path=path))
    assert outside.is_file()


def test_relative_paths_inside_the_job_folder_work(database: Database, settings: Settings,
                                                   job: Job, job_dir: Path,
                                                   samples: Samples) -> None:
    (job_dir / "sub").mkdir()
    shutil.copy(samples.image, job_dir / "sub" / "p.jpg")
    row = _ingest(database, settings, job, job_dir, FileWritten(path=Path("sub/p.jpg")))
    assert row.kind == "image"


def test_special_files_and_hard_links_are_refused(database: Database, settings: Settings,
                                                  job: Job, job_dir: Path,
                                                  samples: Samples) -> None:
    os.mkfifo(job_dir / "pipe.mp4")
    (job_dir / "folder.mp4").mkdir()
    shutil.copy(samples.video, settings.work_dir / "original.mp4")
    os.link(settings.work_dir / "original.mp4", job_dir / "hard.mp4")
    for name in ("pipe.mp4", "folder.mp4", "hard.mp4"):
        with pytest.raises(UnsafeFile):
            _ingest(database, settings, job, job_dir, FileWritten(path=job_dir / name))


def test_media_libav_cannot_read_is_refused(database: Database, settings: Settings,
                                              job: Job, job_dir: Path,
                                              samples: Samples) -> None:
    shutil.copy(samples.text, job_dir / "notes.mp4")
    (job_dir / "fake.jpg").write_bytes(b"<html><script>x</script></html>")
    for name in ("notes.mp4", "fake.jpg"):
        with pytest.raises(UnsafeFile, match="not readable media"):
            _ingest(database, settings, job, job_dir, FileWritten(path=job_dir / name))


def test_an_hls_playlist_posing_as_video_is_refused(database: Database, settings: Settings,
                                                    job: Job, job_dir: Path,
                                                    samples: Samples) -> None:
    # libav reads this happily (as "hls", following the segment): it must still be refused.
    shutil.copy(samples.video, job_dir / "seg.mp4")
    (job_dir / "evil.mp4").write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nseg.mp4\n#EXT-X-ENDLIST\n")
    with pytest.raises(UnsafeFile, match="not readable media"):
        _ingest(database, settings, job, job_dir, FileWritten(path=job_dir / "evil.mp4"))


def test_opaque_files_are_kept_without_probe(database: Database, settings: Settings, job: Job,
                                             job_dir: Path) -> None:
    (job_dir / "demo.bin").write_bytes(os.urandom(3000))
    (job_dir / "pack.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    rows = [_ingest(database, settings, job, job_dir, FileWritten(path=job_dir / name))
            for name in ("demo.bin", "pack.zip")]
    assert [(row.kind, row.mime) for row in rows] == [
        ("file", "application/octet-stream"), ("file", "application/zip")]
    assert rows[0].size == 3000 and rows[0].thumbnail is None


def test_thumbnail_failure_never_fails_ingest(database: Database, settings: Settings,
                                              job: Job, job_dir: Path, samples: Samples,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(thumbnails, "FFMPEG", "/nonexistent/ffmpeg")
    shutil.copy(samples.video, job_dir / "v.mp4")
    row = _ingest(database, settings, job, job_dir, FileWritten(path=job_dir / "v.mp4"))
    assert row.thumbnail is None and row.kind == "video"


def test_a_failed_row_leaves_no_library_file(database: Database, settings: Settings, job: Job,
                                             job_dir: Path, samples: Samples,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args: Any) -> Download:
        raise RuntimeError("database went away")

    monkeypatch.setattr(ingest_module, "_insert_once", explode)
    shutil.copy(samples.image, job_dir / "p.jpg")
    with pytest.raises(RuntimeError):
        _ingest(database, settings, job, job_dir, FileWritten(path=job_dir / "p.jpg"))
    assert not [p for p in settings.library_dir.rglob("*") if p.is_file()]


def test_a_rolled_back_ingest_leaves_no_library_file(database: Database, settings: Settings,
                                                     job: Job, job_dir: Path,
                                                     samples: Samples) -> None:
    shutil.copy(samples.image, job_dir / "p.jpg")
    written = FileWritten(path=job_dir / "p.jpg")
    prepared = prepare_file(settings, written, job_dir)
    with pytest.raises(RuntimeError), database.session() as session:
        row = ingest_file(session, settings, job, written, prepared)
        assert (settings.library_dir / row.filename).is_file()
        raise RuntimeError("the job lost its lease")
    assert _count_rows(database) == 0
    assert not [p for p in settings.library_dir.rglob("*") if p.is_file()]


def test_hostile_names_land_inside_the_library(database: Database, settings: Settings,
                                               job: Job, job_dir: Path,
                                               samples: Samples) -> None:
    shutil.copy(samples.image, job_dir / "x.jpg")
    row = _ingest(database, settings, job, job_dir, FileWritten(
        path=job_dir / "x.jpg", title="../../../etc/passwd\x00", source="..",
        media_id="../id"))
    stored = (settings.library_dir / row.filename).resolve()
    assert stored.is_relative_to(settings.library_dir.resolve())
    assert row.filename == "unknown/_.._.._etc_passwd [_id].jpg"
    assert row.title == "../../../etc/passwd"


def test_text_the_database_refuses_is_cleaned(database: Database, settings: Settings,
                                              job: Job, job_dir: Path,
                                              samples: Samples) -> None:
    shutil.copy(samples.image, job_dir / "x.jpg")
    row = _ingest(database, settings, job, job_dir, FileWritten(
        path=job_dir / "x.jpg", title="nul\x00title \ud800", media_id="id\x00",
        description="\x00", metadata={"k\x00": ["v\x00", "\udcff"], "tags": ["a\x00b"]}))
    assert (row.title, row.item_key, row.description, row.tags) == (
        "nultitle ?", "id", None, "ab")
    assert (row.extra["k"], row.extra["tags"]) == (["v", "?"], ["ab"])


def test_json_safe() -> None:
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    value = json_safe({"a": (1, 2.5, math.inf), 3: {"formats": [1]}, "b": {1, 2} - {1},
                       "deep": cyclic})
    assert value["a"] == [1, 2.5, None]
    assert value["3"] == {}
    assert value["b"] == [2]
    assert isinstance(value["deep"], list)


def test_the_engines_digest_is_used_when_it_describes_the_file(settings: Settings,
                                                               job_dir: Path,
                                                               samples: Samples) -> None:
    shutil.copy(samples.image, job_dir / "p.jpg")
    size = (job_dir / "p.jpg").stat().st_size
    hashed_while_writing = "ab" * 32
    written = FileWritten(path=job_dir / "p.jpg",
                          metadata={"sha256": hashed_while_writing, "size": size})
    assert prepare_file(settings, written, job_dir).sha256 == hashed_while_writing
    # A digest of other bytes (the size says so) is not trusted: the file is read.
    stale = FileWritten(path=job_dir / "p.jpg",
                        metadata={"sha256": hashed_while_writing, "size": size + 1})
    assert prepare_file(settings, stale, job_dir).sha256 == _sha256(job_dir / "p.jpg")
