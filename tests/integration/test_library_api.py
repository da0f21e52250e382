"""/api/v1/downloads: listing, search, files with ranges, thumbnails, deletes, bulk, stats."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from mediadl.core.settings import Settings
from mediadl.db.models import Download, Job, User
from mediadl.db.session import Database
from mediadl.engines.base import FileWritten
from mediadl.library.ingest import ingest_file, prepare_file

API = "/api/v1/downloads"
_serial = count(1)

AddDownload = Callable[..., Download]


def _user_id(database: Database, username: str) -> int:
    with database.read() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return user.id


@pytest.fixture
def alice(database: Database, user_headers: dict[str, str]) -> int:
    return _user_id(database, "alice")


@pytest.fixture
def bob_headers(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
                ) -> dict[str, str]:
    make_user("bob")
    return login("bob")


@pytest.fixture
def bob(database: Database, bob_headers: dict[str, str]) -> int:
    return _user_id(database, "bob")


@pytest.fixture
def add_download(database: Database, settings: Settings) -> AddDownload:
    """A library file plus its row, written directly (no engine, no ffmpeg)."""

    def _add(owner_id: int, *, content: bytes = b"0123456789" * 10, title: str = "Clip",
             filename: str | None = None, write_file: bool = True, **fields: Any) -> Download:
        serial = next(_serial)
        filename = filename or f"src/{title} [{serial}].mp4"
        if write_file:
            path = settings.library_dir / filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        values: dict[str, Any] = {
            "owner_id": owner_id, "item_key": f"item-{serial}", "url": "https://fake.invalid/video/x",
            "platform": "youtube", "source": "src", "title": title, "kind": "video",
            "filename": filename, "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(), "mime": "video/mp4",
            "extra": {"n": serial},
        }
        values.update(fields)
        with database.session() as session:
            row = Download(**values)
            session.add(row)
            session.flush()
            return row

    return _add


def _ids(answer: Any) -> list[int]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


# --- listing and filters -------------------------------------------------------------------

def test_login_is_required(client: TestClient) -> None:
    for path in (API, f"{API}/1", f"{API}/1/file", f"{API}/stats"):
        answer = client.get(path)
        assert answer.status_code == 401
        assert answer.json()["error"] == "NotAuthenticated"


def test_download_json_shape(client: TestClient, user_headers: dict[str, str], alice: int,
                             add_download: AddDownload) -> None:
    row = add_download(alice, title="Shape", width=640, height=360, duration=3.5,
                       description="d", created_at=datetime(2026, 11, 21, 10, 30, 45, 123))
    answer = client.get(f"{API}/{row.id}", headers=user_headers)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) >= {"id", "job_id", "url", "platform", "source", "title", "description",
                         "kind", "filename", "size", "sha256", "mime", "width", "height",
                         "duration", "file_url", "thumbnail_url", "created_at", "metadata"}
    assert body["file_url"] == f"{API}/{row.id}/file"
    assert body["thumbnail_url"] == f"{API}/{row.id}/thumbnail"
    assert body["created_at"] == "2026-11-21T10:30:45Z"
    assert body["metadata"] == row.extra
    assert (body["width"], body["duration"], body["size"]) == (640, 3.5, 100)


def test_users_see_only_their_own_and_admins_see_all(
        client: TestClient, user_headers: dict[str, str], bob_headers: dict[str, str],
        admin_headers: dict[str, str], alice: int, bob: int, add_download: AddDownload) -> None:
    mine = add_download(alice)
    theirs = add_download(bob)
    assert _ids(client.get(API, headers=user_headers)) == [mine.id]
    assert _ids(client.get(API, headers=bob_headers)) == [theirs.id]
    assert sorted(_ids(client.get(API, headers=admin_headers))) == [mine.id, theirs.id]
    for suffix in ("", "/file", "/thumbnail"):
        answer = client.get(f"{API}/{theirs.id}{suffix}", headers=user_headers)
        assert answer.status_code == 404
        assert answer.json()["error"] == "NotFound"
    assert client.get(f"{API}/{theirs.id}", headers=admin_headers).status_code == 200


def test_filters(client: TestClient, user_headers: dict[str, str], alice: int,
                 add_download: AddDownload) -> None:
    old = add_download(alice, platform="tiktok", source="chan", kind="audio", size=10,
                       created_at=datetime(2026, 1, 1, 12))
    mid = add_download(alice, platform="youtube", source="chan", kind="video", size=500,
                       created_at=datetime(2026, 6, 15, 23, 59))
    new = add_download(alice, platform="youtube", source="other", kind="image", size=5000,
                       created_at=datetime(2026, 11, 1))

    def ids(**params: Any) -> list[int]:
        return sorted(_ids(client.get(API, params=params, headers=user_headers)))

    assert ids(platform="youtube") == [mid.id, new.id]
    assert ids(source="chan") == [old.id, mid.id]
    assert ids(kind="image") == [new.id]
    assert ids(min_size=500) == [mid.id, new.id]
    assert ids(max_size=500) == [old.id, mid.id]
    assert ids(min_size=11, max_size=4999) == [mid.id]
    assert ids(date_from="2026-06-15") == [mid.id, new.id]
    assert ids(date_to="2026-06-15") == [old.id, mid.id]  # a bare date: the whole day
    assert ids(date_from="2026-06-15T23:00:00Z", date_to="2026-06-16T00:00:00+00:00") == [
        mid.id]
    assert ids(date_to="2026-06-15T12:00:00") == [old.id]
    assert ids(platform="", kind="") == [old.id, mid.id, new.id]  # blank = no filter
    assert ids(platform="vimeo") == []


@pytest.mark.parametrize("params", [
    {"page_size": 201}, {"page_size": 0}, {"page": 0}, {"sort": "bogus"}, {"order": "up"},
    {"kind": "gallery"}, {"date_from": "yesterday"}, {"date_to": "2026-13-01"},
    {"min_size": -1}, {"min_size": "big"}, {"min_size": 10, "max_size": 5},
    {"date_from": "2026-02-01", "date_to": "2026-01-01"}, {"max_size": 2**70},
    {"q": "x" * 501},
])
def test_invalid_list_parameters_are_422(client: TestClient, user_headers: dict[str, str],
                                         params: dict[str, Any]) -> None:
    answer = client.get(API, params=params, headers=user_headers)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "InvalidPayload" and body["detail"]


@pytest.mark.parametrize("path", ["/0", "/-1", "/abc", f"/{2**64}", f"/{2**64}/file"])
def test_invalid_ids_are_422(client: TestClient, user_headers: dict[str, str], path: str) -> None:
    answer = client.get(API + path, headers=user_headers)
    assert answer.status_code == 422
    assert answer.json()["error"] == "InvalidPayload"


def test_full_text_search_ranks_title_above_description(
        client: TestClient, user_headers: dict[str, str], alice: int,
        add_download: AddDownload) -> None:
    in_description = add_download(alice, title="Nature film", description="A penguin walks")
    in_title = add_download(alice, title="Penguin documentary", description="Ice")
    add_download(alice, title="Unrelated", description="Nothing here")
    tagged = add_download(alice, title="Birds", tags="antarctica penguins")
    # Weights: title, then source and tags, then description.
    assert _ids(client.get(API, params={"q": "penguin"}, headers=user_headers)) == [
        in_title.id, tagged.id, in_description.id]
    # Prefix search, several words (all required), diacritics and punctuation are harmless.
    assert _ids(client.get(API, params={"q": "pengu docu"}, headers=user_headers)) == [
        in_title.id]
    assert _ids(client.get(API, params={"q": 'penguin"*(:^'}, headers=user_headers)) == [
        in_title.id, tagged.id, in_description.id]
    # FTS operators are plain words here (all required), never a syntax error.
    assert _ids(client.get(API, params={"q": 'penguin OR NEAR(x'}, headers=user_headers)) == []
    # "asc" turns relevance around: weakest match first.
    assert _ids(client.get(API, params={"q": "penguin", "order": "asc"},
                           headers=user_headers)) == [in_description.id, tagged.id, in_title.id]
    assert _ids(client.get(API, params={"q": "penguin", "sort": "title"},
                           headers=user_headers)) == [tagged.id, in_description.id, in_title.id]
    by_source = client.get(API, params={"q": "src"}, headers=user_headers)
    assert by_source.json()["total"] == 4
    # Only punctuation: no words to look for, so no filter.
    assert client.get(API, params={"q": "!!!"}, headers=user_headers).json()["total"] == 4


def test_search_respects_owner_and_other_filters(
        client: TestClient, user_headers: dict[str, str], alice: int, bob: int,
        add_download: AddDownload) -> None:
    mine = add_download(alice, title="Penguin one", kind="video")
    add_download(alice, title="Penguin two", kind="audio")
    add_download(bob, title="Penguin three")
    answer = client.get(API, params={"q": "penguin", "kind": "video"}, headers=user_headers)
    assert _ids(answer) == [mine.id] and answer.json()["total"] == 1


def test_paging_and_sorting(client: TestClient, user_headers: dict[str, str], alice: int,
                            add_download: AddDownload) -> None:
    rows = [add_download(alice, title=title, size=size, duration=duration,
                         created_at=datetime(2026, 1, day))
            for day, (title, size, duration) in enumerate(
                [("banana", 30, 5.0), ("Apple", 10, None), ("cherry", 20, 1.0),
                 ("date", 50, 9.0), (None, 40, 2.0)], start=1)]
    banana, apple, cherry, date, untitled = (row.id for row in rows)

    def ids(**params: Any) -> list[int]:
        return _ids(client.get(API, params=params, headers=user_headers))

    assert ids() == [untitled, date, cherry, apple, banana]  # newest first
    assert ids(sort="title") == [apple, banana, cherry, date, untitled]
    assert ids(sort="title", order="desc") == [date, cherry, banana, apple, untitled]
    assert ids(sort="size") == [date, untitled, banana, cherry, apple]
    assert ids(sort="size", order="asc") == [apple, cherry, banana, untitled, date]
    assert ids(sort="duration", order="asc") == [cherry, untitled, banana, date, apple]
    assert ids(sort="created_at", order="asc") == [banana, apple, cherry, date, untitled]
    assert ids(sort="relevance") == ids()  # without q there is nothing to rank
    page = client.get(API, params={"sort": "size", "order": "asc", "page": 2, "page_size": 2},
                      headers=user_headers).json()
    assert [item["id"] for item in page["items"]] == [banana, untitled]
    assert (page["total"], page["page"], page["page_size"]) == (5, 2, 2)
    assert ids(page=4, page_size=2) == []


# --- the file ------------------------------------------------------------------------------

CONTENT = bytes(range(256)) * 4  # 1024 bytes


def test_file_is_served_whole_with_safe_headers(client: TestClient,
                                                user_headers: dict[str, str], alice: int,
                                                add_download: AddDownload) -> None:
    row = add_download(alice, content=CONTENT, title='Bad"name;\r\nX: y 🎉')
    answer = client.get(f"{API}/{row.id}/file", headers=user_headers)
    assert answer.status_code == 200
    assert answer.content == CONTENT
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert answer.headers["content-type"] == "video/mp4"
    assert answer.headers["accept-ranges"] == "bytes"
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''Bad%22name%3B%0D%0AX%3A%20y%20%F0%9F%8E%89" in disposition
    assert "\r" not in disposition and "\n" not in disposition


@pytest.mark.parametrize(("header", "start", "end"), [
    ("bytes=0-9", 0, 9), ("bytes=100-199", 100, 199), ("bytes=1000-", 1000, 1023),
    ("bytes=-24", 1000, 1023), ("bytes=-5000", 0, 1023), ("bytes=1020-5000", 1020, 1023),
    ("bytes=1023-1023", 1023, 1023),
])
def test_byte_ranges(client: TestClient, user_headers: dict[str, str], alice: int,
                     add_download: AddDownload, header: str, start: int, end: int) -> None:
    row = add_download(alice, content=CONTENT)
    answer = client.get(f"{API}/{row.id}/file", headers={**user_headers, "Range": header})
    assert answer.status_code == 206
    assert answer.headers["content-range"] == f"bytes {start}-{end}/1024"
    assert answer.content == CONTENT[start:end + 1]
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_ranges_are_416(client: TestClient, user_headers: dict[str, str],
                                      alice: int, add_download: AddDownload,
                                      header: str) -> None:
    row = add_download(alice, content=CONTENT)
    answer = client.get(f"{API}/{row.id}/file", headers={**user_headers, "Range": header})
    assert answer.status_code == 416
    assert answer.headers["content-range"] == "bytes */1024"
    assert answer.json()["error"] == "RangeNotSatisfiable"


@pytest.mark.parametrize("header", ["bytes=abc", "items=0-5", "bytes=9-3", "bytes"])
def test_malformed_ranges_are_ignored(client: TestClient, user_headers: dict[str, str],
                                      alice: int, add_download: AddDownload,
                                      header: str) -> None:
    row = add_download(alice, content=CONTENT)
    answer = client.get(f"{API}/{row.id}/file", headers={**user_headers, "Range": header})
    assert answer.status_code == 200
    assert answer.content == CONTENT


def test_multiple_ranges_are_multipart(client: TestClient, user_headers: dict[str, str],
                                       alice: int, add_download: AddDownload) -> None:
    row = add_download(alice, content=CONTENT)
    answer = client.get(f"{API}/{row.id}/file",
                        headers={**user_headers, "Range": "bytes=0-1,10-11"})
    assert answer.status_code == 206
    assert answer.headers["content-type"].startswith("multipart/byteranges")
    assert CONTENT[0:2] in answer.content and CONTENT[10:12] in answer.content


def test_inline_only_for_playable_media(client: TestClient, user_headers: dict[str, str],
                                        alice: int, add_download: AddDownload) -> None:
    video = add_download(alice)
    archive = add_download(alice, mime="application/zip", kind="file", filename="s/a.zip")
    vector = add_download(alice, mime="image/svg+xml", kind="image", filename="s/a.svg")
    shown = client.get(f"{API}/{video.id}/file?inline=true", headers=user_headers)
    assert shown.status_code == 200
    assert shown.headers["content-disposition"].startswith("inline;")
    for row in (archive, vector):
        refused = client.get(f"{API}/{row.id}/file?inline=true", headers=user_headers)
        assert refused.status_code == 400 and refused.json()["error"] == "BadRequest"
        plain = client.get(f"{API}/{row.id}/file", headers=user_headers)
        assert plain.headers["content-disposition"].startswith("attachment;")


def test_stored_paths_are_checked_again(client: TestClient, user_headers: dict[str, str],
                                        alice: int, add_download: AddDownload,
                                        settings: Settings) -> None:
    secret = settings.data_dir / "secret.key"
    escaping = add_download(alice, filename="../secret.key", write_file=False)
    absolute = add_download(alice, filename=str(secret.resolve()), write_file=False)
    (settings.library_dir / "s").mkdir(exist_ok=True)
    (settings.library_dir / "s" / "link.mp4").symlink_to(secret)
    linked = add_download(alice, filename="s/link.mp4", write_file=False)
    missing = add_download(alice, filename="s/gone.mp4", write_file=False)
    for row in (escaping, absolute, linked, missing):
        answer = client.get(f"{API}/{row.id}/file", headers=user_headers)
        assert answer.status_code == 404
        assert answer.json()["error"] == "NotFound"


# --- thumbnails ----------------------------------------------------------------------------

def test_placeholder_thumbnail(client: TestClient, user_headers: dict[str, str], alice: int,
                               add_download: AddDownload) -> None:
    row = add_download(alice, kind="audio")
    answer = client.get(f"{API}/{row.id}/thumbnail", headers=user_headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.text.startswith("<svg") and "<script" not in answer.text
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_ingested_video_has_a_jpeg_thumbnail_and_plays(
        client: TestClient, user_headers: dict[str, str], alice: int, database: Database,
        settings: Settings) -> None:
    row = _ingest_video(database, settings, alice)
    answer = client.get(f"{API}/{row.id}/thumbnail", headers=user_headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.content[:3] == b"\xff\xd8\xff"
    listed = client.get(API, params={"kind": "video"}, headers=user_headers).json()
    assert listed["items"][0]["width"] == 320
    media = client.get(f"{API}/{row.id}/file", headers={**user_headers, "Range": "bytes=0-7"})
    assert media.status_code == 206 and media.content[4:8] == b"ftyp"


def _ingest_video(database: Database, settings: Settings, owner_id: int) -> Download:
    with database.session() as session:
        job = Job(owner_id=owner_id, url="https://fake.invalid/video/v", platform="generic",
                  engine="fake", options={})
        session.add(job)
        session.flush()
        job_dir = settings.work_dir / str(job.id)
        job_dir.mkdir()
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                        "testsrc2=size=320x240:rate=10", "-t", "1", "-pix_fmt", "yuv420p",
                        str(job_dir / "v.mp4")], check=True)
        written = FileWritten(path=job_dir / "v.mp4", title="Test pattern", media_id="v")
        return ingest_file(session, settings, job, written,
                           prepare_file(settings, written, job_dir))


# --- delete, bulk, stats -------------------------------------------------------------------

def _row_exists(database: Database, download_id: int) -> bool:
    with database.read() as session:
        return session.get(Download, download_id) is not None


def test_delete_keeps_the_file_unless_asked(client: TestClient, user_headers: dict[str, str],
                                            alice: int, add_download: AddDownload,
                                            database: Database, settings: Settings) -> None:
    kept = add_download(alice)
    answer = client.delete(f"{API}/{kept.id}", headers=user_headers)
    assert answer.status_code == 204 and answer.content == b""
    assert not _row_exists(database, kept.id)
    assert (settings.library_dir / kept.filename).is_file()
    assert client.get(f"{API}/{kept.id}", headers=user_headers).status_code == 404


def test_delete_with_file_removes_file_and_thumbnail(
        client: TestClient, user_headers: dict[str, str], alice: int,
        add_download: AddDownload, database: Database, settings: Settings) -> None:
    thumb = settings.thumbnail_dir / "ab" / ("ab" * 32 + ".jpg")
    thumb.parent.mkdir(parents=True)
    thumb.write_bytes(b"\xff\xd8\xff")
    row = add_download(alice, thumbnail=f"ab/{'ab' * 32}.jpg", sha256="ab" * 32)
    answer = client.delete(f"{API}/{row.id}?delete_file=true", headers=user_headers)
    assert answer.status_code == 204
    assert not (settings.library_dir / row.filename).exists()
    assert not thumb.exists()


def test_delete_with_file_keeps_what_other_rows_use(
        client: TestClient, user_headers: dict[str, str], alice: int, bob: int,
        add_download: AddDownload, settings: Settings) -> None:
    thumb = settings.thumbnail_dir / "cd" / ("cd" * 32 + ".jpg")
    thumb.parent.mkdir(parents=True)
    thumb.write_bytes(b"\xff\xd8\xff")
    shared = dict(filename="s/shared.mp4", sha256="cd" * 32, thumbnail=f"cd/{'cd' * 32}.jpg")
    row = add_download(alice, **shared)
    add_download(bob, write_file=False, **shared)
    assert client.delete(f"{API}/{row.id}?delete_file=true",
                         headers=user_headers).status_code == 204
    assert (settings.library_dir / "s" / "shared.mp4").is_file()
    assert thumb.is_file()


def test_delete_of_someone_elses_download_is_404(client: TestClient,
                                                 user_headers: dict[str, str], bob: int,
                                                 add_download: AddDownload,
                                                 database: Database) -> None:
    theirs = add_download(bob)
    answer = client.delete(f"{API}/{theirs.id}?delete_file=true", headers=user_headers)
    assert answer.status_code == 404
    assert _row_exists(database, theirs.id)


def test_bulk_delete_touches_only_visible_rows(
        client: TestClient, user_headers: dict[str, str], alice: int, bob: int,
        add_download: AddDownload, database: Database, settings: Settings) -> None:
    mine = [add_download(alice), add_download(alice)]
    theirs = add_download(bob)
    answer = client.post(f"{API}/bulk", headers=user_headers, json={
        "action": "delete", "ids": [mine[0].id, mine[1].id, theirs.id, 999999],
        "delete_file": True})
    assert answer.status_code == 200
    assert answer.json() == {"affected": 2}
    assert not any(_row_exists(database, row.id) for row in mine)
    assert _row_exists(database, theirs.id)
    assert not (settings.library_dir / mine[0].filename).exists()
    assert (settings.library_dir / theirs.filename).exists()


@pytest.mark.parametrize("body", [
    {"action": "explode", "ids": [1]}, {"action": "delete", "ids": []},
    {"action": "delete", "ids": ["x"]}, {"action": "delete", "ids": list(range(1, 1002))},
    {"action": "delete", "ids": [1], "extra": 1}, {"action": "delete"},
])
def test_bulk_rejects_bad_bodies(client: TestClient, user_headers: dict[str, str],
                                 body: dict[str, Any]) -> None:
    answer = client.post(f"{API}/bulk", headers=user_headers, json=body)
    assert answer.status_code == 422
    assert answer.json()["error"] == "InvalidPayload"


def test_bulk_redownload_queues_jobs_for_the_owner(
        client: TestClient, admin_headers: dict[str, str], alice: int,
        add_download: AddDownload, database: Database) -> None:
    first = add_download(alice, url="https://fake.invalid/video/one")
    second = add_download(alice, url="https://fake.invalid/video/two")
    answer = client.post(f"{API}/bulk", headers=admin_headers,
                         json={"action": "redownload", "ids": [first.id, second.id]})
    assert answer.status_code == 200
    assert answer.json() == {"affected": 2}
    with database.read() as session:
        jobs = session.scalars(select(Job).order_by(Job.id)).all()
    assert [(job.url, job.owner_id, job.quality) for job in jobs] == [
        ("https://fake.invalid/video/one", alice, "best"),
        ("https://fake.invalid/video/two", alice, "best")]
    assert _row_exists(database, first.id)


def test_stats(client: TestClient, user_headers: dict[str, str], admin_headers: dict[str, str],
               alice: int, bob: int, add_download: AddDownload) -> None:
    add_download(alice, kind="video", platform="youtube", size=100)
    add_download(alice, kind="video", platform="tiktok", size=50)
    add_download(alice, kind="image", platform="tiktok", size=7)
    add_download(bob, kind="audio", platform="youtube", size=1000)
    mine = client.get(f"{API}/stats", headers=user_headers)
    assert mine.status_code == 200
    assert mine.json() == {
        "count": 3, "total_size": 157,
        "by_kind": {"video": {"count": 2, "size": 150}, "image": {"count": 1, "size": 7}},
        "by_platform": {"youtube": {"count": 1, "size": 100},
                        "tiktok": {"count": 2, "size": 57}},
    }
    everything = client.get(f"{API}/stats", headers=admin_headers).json()
    assert (everything["count"], everything["total_size"]) == (4, 1157)
    assert everything["by_kind"]["audio"] == {"count": 1, "size": 1000}


def test_stats_of_an_empty_library(client: TestClient, user_headers: dict[str, str]) -> None:
    assert client.get(f"{API}/stats", headers=user_headers).json() == {
        "count": 0, "total_size": 0, "by_kind": {}, "by_platform": {}}
