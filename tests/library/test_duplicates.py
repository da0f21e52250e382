"""Duplicates: the same bytes are stored once; the same picture re-encoded and resized is
found by its fingerprint and listed for cleaning up."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mediadl.core.settings import Settings
from mediadl.db.models import Download, Job
from mediadl.db.session import Database
from mediadl.engines.base import FileWritten
from mediadl.library.fingerprint import dhash, distance, near_pairs, to_signed, to_unsigned
from mediadl.library.ingest import ingest_file, prepare_file
from tests.stats.support import cheap

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
API = "/api/v1/downloads"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return cheap(settings)


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A picture, the same picture re-encoded smaller as PNG and as a low-quality JPEG, and a
    different picture."""
    folder = tmp_path_factory.mktemp("pictures")
    original = folder / "original.jpg"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=800x600", "-frames:v", "1", "-q:v", "2",
            str(original))
    resized = folder / "repost.png"
    _ffmpeg("-i", str(original), "-vf", "scale=400:300", str(resized))
    recompressed = folder / "recompressed.jpg"
    _ffmpeg("-i", str(original), "-vf", "scale=640:480", "-q:v", "20", str(recompressed))
    different = folder / "different.jpg"
    _ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=800x600", "-frames:v", "1", str(different))
    return {"original": original, "resized": resized, "recompressed": recompressed,
            "different": different}


@pytest.fixture
def alice(make_user) -> int:  # type: ignore[no-untyped-def]
    return make_user("alice")


def _ingest(database: Database, settings: Settings, owner: int, source: Path,
            title: str) -> Download:
    with database.session() as session:
        job = Job(owner_id=owner, url=f"https://x.test/{title}", engine="fake",
                  platform="instagram", source="poster", options={})
        session.add(job)
        session.flush()
        job_dir = settings.work_dir / f"job-{job.id}"
        job_dir.mkdir(parents=True)
        shutil.copy(source, job_dir / source.name)
        written = FileWritten(
            path=job_dir / source.name, title=title, media_id=title,
            metadata={"uploader": "poster", "upload_date": "20260314", "tags": ["a", "b"]})
        row = ingest_file(session, settings, job, written,
                          prepare_file(settings, written, job_dir))
        session.flush()
        return row


def test_the_same_bytes_are_stored_once_and_survive_one_delete(
        client: TestClient, database: Database, settings: Settings, alice: int,
        login, pictures: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    first = _ingest(database, settings, alice, pictures["original"], "one")
    second = _ingest(database, settings, alice, pictures["original"], "two")
    assert second.id != first.id and second.filename == first.filename
    assert second.extra["duplicate_of"] == first.id
    assert second.sha256 == first.sha256 and second.thumbnail == first.thumbnail
    stored = [path for path in settings.library_dir.rglob("*") if path.is_file()]
    assert len(stored) == 1
    headers = login("alice")
    answer = client.delete(f"{API}/{first.id}", params={"delete_file": True}, headers=headers)
    assert answer.status_code == 204
    assert (settings.library_dir / second.filename).is_file()  # still used by the other row
    assert client.get(f"{API}/{second.id}/file", headers=headers).status_code == 200
    client.delete(f"{API}/{second.id}", params={"delete_file": True}, headers=headers)
    assert not (settings.library_dir / second.filename).exists()


def test_metadata_keeps_codecs_uploader_post_date_and_tags(
        database: Database, settings: Settings, alice: int, pictures: dict[str, Path]) -> None:
    row = _ingest(database, settings, alice, pictures["original"], "facts")
    assert row.extra["media"]["video_codec"] == "mjpeg"
    assert (row.extra["media"]["width"], row.extra["media"]["height"]) == (800, 600)
    assert row.extra["uploader"] == "poster"
    assert row.extra["posted_at"] == "2026-03-14"
    assert row.extra["tags"] == ["a", "b"]


def test_a_reencoded_resized_picture_is_listed_as_a_near_duplicate(
        client: TestClient, database: Database, settings: Settings, alice: int, login,  # type: ignore[no-untyped-def]
        make_user, pictures: dict[str, Path]) -> None:
    original = _ingest(database, settings, alice, pictures["original"], "original")
    resized = _ingest(database, settings, alice, pictures["resized"], "resized")
    recompressed = _ingest(database, settings, alice, pictures["recompressed"], "recompressed")
    different = _ingest(database, settings, alice, pictures["different"], "different")
    copy = _ingest(database, settings, alice, pictures["original"], "copy")
    bob = make_user("bob")
    _ingest(database, settings, bob, pictures["original"], "bobs")
    headers = login("alice")
    answer = client.get(f"{API}/duplicates", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 1  # bob's copy is bob's business
    group = body["items"][0]
    assert group["kind"] == "similar"
    assert {item["id"] for item in group["items"]} == {
        original.id, resized.id, recompressed.id, copy.id}
    assert different.id not in {item["id"] for item in group["items"]}
    assert 0 <= group["max_distance"] <= 6
    strict = client.get(f"{API}/duplicates", params={"similar": False},
                        headers=headers).json()
    assert [group["kind"] for group in strict["items"]] == ["exact"]
    assert {item["id"] for item in strict["items"][0]["items"]} == {original.id, copy.id}
    videos = client.get(f"{API}/duplicates", params={"kind": "video"}, headers=headers).json()
    assert videos["total"] == 0
    assert client.get(f"{API}/duplicates", params={"max_distance": 40},
                      headers=headers).status_code == 422


def test_fingerprints_tell_pictures_apart(pictures: dict[str, Path]) -> None:
    hashes = {name: dhash(path) for name, path in pictures.items()}
    assert all(value is not None for value in hashes.values())
    assert distance(hashes["original"], hashes["resized"]) <= 4  # type: ignore[arg-type]
    assert distance(hashes["original"], hashes["recompressed"]) <= 4  # type: ignore[arg-type]
    assert distance(hashes["original"], hashes["different"]) >= 16  # type: ignore[arg-type]
    assert to_unsigned(to_signed(2**64 - 1)) == 2**64 - 1


def test_near_pairs_finds_exactly_the_close_pairs() -> None:
    rng = random.Random(5)
    hashes = {index: to_signed(rng.getrandbits(64)) for index in range(300)}
    for index in range(300, 340):  # copies with a few bits flipped
        flipped = to_unsigned(hashes[index - 300])
        for bit in rng.sample(range(64), rng.randrange(0, 8)):
            flipped ^= 1 << bit
        hashes[index] = to_signed(flipped)
    for limit in (0, 3, 7):
        found = {(a, b) for a, b, _ in near_pairs(hashes, limit)}
        expected = {(a, b) for a in hashes for b in hashes
                    if a < b and distance(hashes[a], hashes[b]) <= limit}
        assert found == expected
