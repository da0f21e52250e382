"""The queue's start times, Idempotency-Key, bulk validation, removal of partial files of
idle jobs, and the per-user cap on retries, re-downloads and playlist children."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import Download, Job, User
from mediadl.db.models.security import ActivityEntry
from mediadl.db.session import Database
from mediadl.engines.base import Entry, ProbeResult
from mediadl.jobs.runner import add_children
from mediadl.queue import service as queue_service
from mediadl.queue.schemas import EnqueueRequest
from mediadl.queue.service import QueueService
from tests.conftest import wait_for_job

Headers = dict[str, str]
FAKE = "https://fake.invalid/video/{}"
PLAYLIST = "https://fake.invalid/playlist/p"


def _add(client: TestClient, headers: Headers, name: str, **body: Any) -> Any:
    return client.post("/api/v1/queue", json={"url": FAKE.format(name), **body},
                       headers=headers)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _user(database: Database, username: str) -> User:
    with database.read() as session:
        return session.scalars(select(User).where(User.username == username)).one()


# -- start times -----------------------------------------------------------------------------


def test_start_time_is_kept_in_utc_and_shown(client, user_headers):
    in_utc = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    zoned = in_utc.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=5, minutes=30)))
    answer = _add(client, user_headers, "later", not_before=_iso(zoned))
    assert answer.status_code == 201, answer.text
    assert answer.json()["not_before"] == in_utc.isoformat() + "Z"
    # Without a zone the time is UTC.
    naive = (utcnow() + timedelta(hours=3)).replace(microsecond=0)
    job = _add(client, user_headers, "naive", not_before=naive.isoformat()).json()
    assert job["not_before"] == naive.isoformat() + "Z"
    assert client.get(f"/api/v1/queue/{job['id']}", headers=user_headers).json()[
        "not_before"] == naive.isoformat() + "Z"


def test_a_past_start_time_means_now_and_a_far_one_is_422(client, user_headers):
    past = _add(client, user_headers, "past", not_before="2020-01-01T00:00:00Z")
    assert past.status_code == 201 and past.json()["not_before"] is None
    far = _add(client, user_headers, "far",
               not_before=_iso(datetime.now(UTC) + timedelta(days=400)))
    assert far.status_code == 422 and far.json()["error"] == "InvalidPayload"
    assert "not_before" in far.json()["detail"]
    for bad in ("tomorrow", "9999-12-31T23:59:59-23:59", 10**20):
        answer = _add(client, user_headers, "bad", not_before=bad)
        assert answer.status_code == 422, (bad, answer.text)


def test_batch_takes_a_start_time(client, user_headers):
    later = (utcnow() + timedelta(hours=6)).replace(microsecond=0)
    answer = client.post("/api/v1/queue/batch", headers=user_headers, json={
        "urls": [FAKE.format("b1"), FAKE.format("b2")], "not_before": later.isoformat() + "Z"})
    assert answer.status_code == 201, answer.text
    assert {job["not_before"] for job in answer.json()["items"]} == {later.isoformat() + "Z"}
    too_far = client.post("/api/v1/queue/batch", headers=user_headers, json={
        "urls": [FAKE.format("b3")], "not_before": _iso(datetime.now(UTC) + timedelta(days=900))})
    assert too_far.status_code == 422


def test_pause_and_resume_keep_a_start_time_and_a_manual_retry_starts_now(client,
                                                                          user_headers):
    later = (utcnow() + timedelta(hours=2)).replace(microsecond=0).isoformat() + "Z"
    job = _add(client, user_headers, "planned", not_before=later).json()
    url = f"/api/v1/queue/{job['id']}"
    assert client.patch(url, json={"paused": True}, headers=user_headers).json()[
        "status"] == "paused"
    resumed = client.patch(url, json={"paused": False}, headers=user_headers).json()
    assert resumed["status"] == "queued" and resumed["not_before"] == later
    assert client.post("/api/v1/queue/pause-all", headers=user_headers).status_code == 200
    assert client.post("/api/v1/queue/resume-all", headers=user_headers).status_code == 200
    assert client.get(url, headers=user_headers).json()["not_before"] == later
    # Canceled, then retried by hand: the person wants it now.
    assert client.delete(url, headers=user_headers).status_code == 204
    retried = client.post(f"{url}/retry", headers=user_headers).json()
    assert retried["status"] == "queued" and retried["not_before"] is None


def test_resume_skips_the_wait_of_a_job_that_already_ran(client, user_headers, database):
    job = _add(client, user_headers, "ran", paused=True).json()
    with database.session() as session:
        session.execute(update(Job).where(Job.id == job["id"]).values(
            started_at=utcnow(), attempts=1, not_before=utcnow() + timedelta(minutes=5)))
    resumed = client.patch(f"/api/v1/queue/{job['id']}", json={"paused": False},
                           headers=user_headers).json()
    assert resumed["status"] == "queued" and resumed["not_before"] is None


def test_a_job_waits_for_its_start_time_and_starts_when_due(live_client, live_login, database):
    headers = live_login()
    later = _iso(datetime.now(UTC) + timedelta(hours=1))
    waiting = _add(live_client, headers, "waiting", not_before=later).json()
    due = _add(live_client, headers, "due", not_before="2001-01-01T00:00:00+01:00").json()
    assert wait_for_job(live_client, headers, due["id"])["status"] == "completed"
    still = live_client.get(f"/api/v1/queue/{waiting['id']}", headers=headers).json()
    assert still["status"] == "queued" and still["attempts"] == 0
    assert still["started_at"] is None
    # Its hour has come (moved, rather than waited for).
    with database.session() as session:
        session.execute(update(Job).where(Job.id == waiting["id"])
                        .values(not_before=utcnow() - timedelta(seconds=1)))
    assert wait_for_job(live_client, headers, waiting["id"])["status"] == "completed"


# -- bulk ------------------------------------------------------------------------------------


def test_bulk_priority_without_a_priority_is_422(client, user_headers):
    job = _add(client, user_headers, "p", paused=True).json()
    answer = client.post("/api/v1/queue/bulk", headers=user_headers,
                         json={"action": "priority", "ids": [job["id"]]})
    assert answer.status_code == 422 and answer.json()["error"] == "InvalidPayload"
    assert "priority" in answer.json()["detail"]
    done = client.post("/api/v1/queue/bulk", headers=user_headers,
                       json={"action": "priority", "ids": [job["id"]], "priority": "high"})
    assert done.status_code == 200
    assert client.get(f"/api/v1/queue/{job['id']}", headers=user_headers).json()[
        "priority"] == "high"


# -- partial files of idle jobs --------------------------------------------------------------


def _partial(settings: Settings, job_id: int) -> Any:
    folder = settings.work_dir / f"job-{job_id}"
    folder.mkdir(parents=True)
    (folder / "video.mp4.part").write_bytes(b"half a video")
    return folder


def test_deleting_paused_or_queued_jobs_removes_their_partial_files(client, user_headers,
                                                                    settings):
    paused = _add(client, user_headers, "paused", paused=True).json()
    queued = _add(client, user_headers, "queued").json()  # no dispatcher here: stays queued
    bulk = [_add(client, user_headers, f"bulk-{n}", paused=bool(n)).json() for n in range(2)]
    folders = {job["id"]: _partial(settings, job["id"]) for job in (paused, queued, *bulk)}
    for job in (paused, queued):
        assert client.delete(f"/api/v1/queue/{job['id']}", headers=user_headers).status_code == 204
        assert not folders[job["id"]].exists()
    answer = client.post("/api/v1/queue/bulk", headers=user_headers,
                         json={"action": "delete", "ids": [job["id"] for job in bulk]})
    assert answer.status_code == 200
    assert not any(folders[job["id"]].exists() for job in bulk)
    assert client.get(f"/api/v1/queue/{paused['id']}", headers=user_headers).json()[
        "status"] == "canceled"


def test_pausing_keeps_partial_files(client, user_headers, settings):
    job = _add(client, user_headers, "keep").json()
    folder = _partial(settings, job["id"])
    client.patch(f"/api/v1/queue/{job['id']}", json={"paused": True}, headers=user_headers)
    assert folder.exists()


# -- the queue cap ---------------------------------------------------------------------------


@pytest.fixture
def capped(settings: Settings) -> Settings:
    settings.security.max_queued_jobs_per_user = 3
    return settings


def _canceled(client: TestClient, headers: Headers, name: str) -> int:
    job = _add(client, headers, name, paused=True).json()
    assert client.delete(f"/api/v1/queue/{job['id']}", headers=headers).status_code == 204
    return int(job["id"])


def test_retry_respects_the_queue_cap(capped, client, user_headers):
    first, second = _canceled(client, user_headers, "c1"), _canceled(client, user_headers, "c2")
    for n in range(2):
        assert _add(client, user_headers, f"w{n}", paused=True).status_code == 201
    assert client.post(f"/api/v1/queue/{first}/retry", headers=user_headers).status_code == 200
    refused = client.post(f"/api/v1/queue/{second}/retry", headers=user_headers)
    assert refused.status_code == 429 and "at most 3 unfinished jobs" in refused.json()["detail"]
    assert client.get(f"/api/v1/queue/{second}", headers=user_headers).json()[
        "status"] == "canceled"


def test_bulk_retry_respects_the_queue_cap(capped, client, user_headers, admin_headers):
    ids = [_canceled(client, user_headers, f"c{n}") for n in range(2)]
    for n in range(2):
        assert _add(client, user_headers, f"w{n}", paused=True).status_code == 201
    answer = client.post("/api/v1/queue/bulk", headers=user_headers,
                         json={"action": "retry", "ids": ids})
    assert answer.status_code == 429
    stats = client.get("/api/v1/queue/stats", headers=user_headers).json()
    assert stats["canceled"] == 2 and stats["paused"] == 2
    # An admin has no cap, also when retrying someone else's jobs.
    assert client.post("/api/v1/queue/bulk", headers=admin_headers,
                       json={"action": "retry", "ids": ids}).status_code == 200


def _library_rows(database: Database, owner_id: int, count: int) -> list[int]:
    with database.session() as session:
        rows = [Download(owner_id=owner_id, item_key=f"r{n}", url=FAKE.format(f"r{n}"),
                         platform="fake", title=f"r{n}", kind="video", filename=f"r{n}.mp4",
                         size=1, sha256=f"{n:064d}", mime="video/mp4", extra={})
                for n in range(count)]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_library_redownload_respects_the_cap_and_is_recorded(capped, client, user_headers,
                                                             database):
    ids = _library_rows(database, _user(database, "alice").id, 3)
    assert _add(client, user_headers, "w", paused=True).status_code == 201
    refused = client.post("/api/v1/downloads/bulk", headers=user_headers,
                          json={"action": "redownload", "ids": ids})
    assert refused.status_code == 429
    answer = client.post("/api/v1/downloads/bulk", headers=user_headers,
                         json={"action": "redownload", "ids": ids[:2]})
    assert answer.status_code == 200 and answer.json()["affected"] == 2
    with database.read() as session:
        entries = session.scalars(select(ActivityEntry).where(
            ActivityEntry.action == "job_added").order_by(ActivityEntry.id)).all()
        added = session.scalars(select(Job.id).where(Job.url.in_(
            [FAKE.format("r0"), FAKE.format("r1")]))).all()
    # One for the job added by hand, one for the re-download; none for the refusal.
    assert len(entries) == 2 and entries[1].username == "alice"
    assert entries[1].target == "2 links"
    assert sorted(entries[1].details["job_ids"]) == sorted(added)


def _running_parent(database: Database, owner: User) -> Job:
    with database.session() as session:
        parent = Job(owner_id=owner.id, url=PLAYLIST, platform="fake",
                     engine="fake", status="running", priority="normal", priority_rank=1,
                     position=1, quality="best", options={}, max_attempts=3)
        session.add(parent)
        session.flush()
        return parent


def _children(database: Database, parent: Job) -> list[str]:
    with database.read() as session:
        return list(session.scalars(select(Job.url).where(Job.parent_id == parent.id)
                                    .order_by(Job.id)))


def test_playlist_children_stop_at_the_cap_with_a_note(capped, database, user_headers):
    alice = _user(database, "alice")
    parent = _running_parent(database, alice)
    probe = ProbeResult(url=PLAYLIST, kind="playlist", title="list", entries=[
        Entry(url=FAKE.format(f"e{n}"), key=f"e{n}") for n in range(5)])
    with database.session() as session:
        children = add_children(session, capped, parent, probe)
    # The parent finishes once its children are in, so three of the five fit.
    assert children.added == 3
    assert children.note and "2 entries were not added" in children.note
    assert _children(database, parent) == [FAKE.format(f"e{n}") for n in range(3)]


def test_playlist_children_of_an_admin_are_not_capped(capped, database, admin_headers):
    parent = _running_parent(database, _user(database, "admin"))
    probe = ProbeResult(url=PLAYLIST, kind="playlist",
                        entries=[Entry(url=FAKE.format(f"a{n}")) for n in range(5)])
    with database.session() as session:
        children = add_children(session, capped, parent, probe)
    assert children.added == 5 and children.note is None


def test_playlist_entries_with_bad_links_are_skipped(settings, database, user_headers):
    settings.allow_private_networks = False
    parent = _running_parent(database, _user(database, "alice"))
    bad = ["ftp://example.org/a", "-o /tmp/x", "file:///etc/passwd", "http://127.0.0.1/x",
           "http://[::1]/y", "javascript:alert(1)"]
    entries = [Entry(url=url) for url in bad] + [Entry(url=FAKE.format("good"))]
    probe = ProbeResult(url=PLAYLIST, kind="playlist", entries=entries)
    with database.session() as session:
        children = add_children(session, settings, parent, probe)
    assert children.added == 1
    assert children.note and "6 entries were skipped" in children.note
    assert _children(database, parent) == [FAKE.format("good")]


def test_a_capped_playlist_completes_with_its_note(capped, live_client, live_login):
    headers = live_login()
    parent = live_client.post("/api/v1/queue", headers=headers, json={
        "url": "https://fake.invalid/playlist/capped?count=6&size=1000"}).json()
    done = wait_for_job(live_client, headers, parent["id"])
    assert done["status"] == "completed"
    assert "3 entries were not added" in done["error"]
    children = live_client.get(f"/api/v1/queue?parent_id={parent['id']}",
                               headers=headers).json()
    assert children["total"] == 3


# -- Idempotency-Key -------------------------------------------------------------------------


def _with_key(headers: Headers, key: str) -> Headers:
    return {**headers, "Idempotency-Key": key}


def test_the_same_key_gives_the_same_job(client, user_headers, make_user, login, database):
    first = _add(client, _with_key(user_headers, "k-1"), "once")
    again = _add(client, _with_key(user_headers, "k-1"), "once")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert client.get("/api/v1/queue", headers=user_headers).json()["total"] == 1
    # The key is per user; a new key is a new job; and POST /downloads shares the rule.
    make_user("bob")
    bob = _add(client, _with_key(login("bob"), "k-1"), "once")
    assert bob.status_code == 201 and bob.json()["id"] != first.json()["id"]
    assert _add(client, _with_key(user_headers, "k-2"), "once").status_code == 201
    from_library = client.post("/api/v1/downloads", headers=_with_key(user_headers, "k-2"),
                               json={"url": FAKE.format("once")})
    assert from_library.status_code == 200
    with database.read() as session:
        entries = session.scalar(select(func.count()).select_from(ActivityEntry)
                                 .where(ActivityEntry.action == "job_added"))
    assert entries == 3  # replays add nothing to the activity log


def test_a_key_reused_for_another_link_is_422(client, user_headers):
    assert _add(client, _with_key(user_headers, "same"), "one").status_code == 201
    answer = _add(client, _with_key(user_headers, "same"), "two")
    assert answer.status_code == 422 and "Idempotency-Key" in answer.json()["detail"]


@pytest.mark.parametrize("key", ["", "x" * 129, "with space", "naïve"])
def test_bad_keys_are_422(client, user_headers, key):
    headers: dict[str, Any] = {**user_headers, "Idempotency-Key": key.encode("utf-8")}
    assert _add(client, headers, "k").status_code == 422


def test_a_lost_race_answers_with_the_winners_job(context, database, make_user, monkeypatch):
    """Two requests both see no job with the key; the unique constraint lets one insert,
    and the other answers with that job."""
    make_user("alice")
    alice = _user(database, "alice")
    service = QueueService(context)
    request = EnqueueRequest(url=FAKE.format("raced"))
    winner = service.enqueue(alice, request, "race-key")
    real = queue_service.job_with_key
    misses = iter([None])
    monkeypatch.setattr(queue_service, "job_with_key",
                        lambda *args: next(misses, None) or real(*args))
    loser = service.enqueue(alice, request, "race-key")
    assert winner.created and not loser.created and loser.job.id == winner.job.id
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 1


def test_concurrent_requests_with_one_key_add_one_job(context, database, make_user):
    make_user("alice")
    alice = _user(database, "alice")
    service = QueueService(context)
    request = EnqueueRequest(url=FAKE.format("concurrent"))
    start = threading.Barrier(4)
    results: list[Any] = []

    def send() -> None:
        start.wait()
        results.append(service.enqueue(alice, request, "together"))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len({result.job.id for result in results}) == 1
    assert sum(result.created for result in results) == 1
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 1

