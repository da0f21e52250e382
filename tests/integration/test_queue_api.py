"""The queue API without workers: what a person can see and change, and what is refused."""

from __future__ import annotations

import pytest

FAKE = "https://fake.invalid/video/{}"


def _add(client, headers, name, **body):
    answer = client.post("/api/v1/queue", json={"url": FAKE.format(name), **body},
                         headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.mark.parametrize("url", ["-o /tmp/x", "file:///etc/passwd", "data:text/plain,hi",
                                 "ftp://example.org/a", "javascript:alert(1)", "not a url", ""])
def test_urls_that_are_not_web_links_are_422(client, user_headers, url):
    answer = client.post("/api/v1/queue", json={"url": url}, headers=user_headers)
    assert answer.status_code == 422
    assert answer.json()["error"] == "InvalidPayload"
    assert answer.json()["detail"]


@pytest.mark.parametrize("body", [
    {"url": FAKE.format("a"), "outtmpl": "/etc/%(id)s"},
    {"url": FAKE.format("a"), "options": {"exec": "rm -rf /"}},
    {"url": FAKE.format("a"), "options": {"cookiefile": "/etc/shadow"}},
    {"url": FAKE.format("a"), "options": {"proxy": "http://evil"}},
    {"url": FAKE.format("a"), "quality": "bestvideo[height<=9999]"},
    {"url": FAKE.format("a"), "priority": "urgent"},
])
def test_unknown_fields_and_options_are_422(client, user_headers, body):
    answer = client.post("/api/v1/queue", json=body, headers=user_headers)
    assert answer.status_code == 422, answer.text


def test_malformed_bodies_are_422_never_500(client, user_headers):
    for raw in (b"{", b"[]", b"null", b'{"url": 5}', b"\xff\xfe"):
        answer = client.post("/api/v1/queue", content=raw, headers={
            **user_headers, "content-type": "application/json"})
        assert answer.status_code == 422, (raw, answer.text)


def test_job_shape_and_listing_order(client, user_headers):
    low = _add(client, user_headers, "low", priority="low", paused=True)
    first = _add(client, user_headers, "first", paused=True)
    high = _add(client, user_headers, "high", priority="high", paused=True)
    assert set(low) >= {"id", "url", "platform", "engine", "kind", "title", "source", "status",
                        "priority", "position", "quality", "options", "progress", "attempts",
                        "error", "parent_id", "owner_id", "schedule_id", "created_at",
                        "started_at", "finished_at", "download_ids"}
    assert low["status"] == "paused" and low["engine"] == "fake"
    page = client.get("/api/v1/queue?sort=priority", headers=user_headers).json()
    assert [j["id"] for j in page["items"]] == [high["id"], first["id"], low["id"]]
    assert page["total"] == 3
    newest = client.get("/api/v1/queue?sort=created_at&order=desc&page_size=1",
                        headers=user_headers).json()
    assert newest["items"][0]["id"] == high["id"] and newest["page_size"] == 1


def test_filters_and_search(client, user_headers):
    _add(client, user_headers, "holiday-video", paused=True)
    _add(client, user_headers, "other", paused=True)
    found = client.get("/api/v1/queue?q=holiday", headers=user_headers).json()
    assert [j["url"] for j in found["items"]] == [FAKE.format("holiday-video")]
    assert client.get("/api/v1/queue?status=queued", headers=user_headers).json()["total"] == 0
    assert client.get("/api/v1/queue?status=paused&platform=fake",
                      headers=user_headers).json()["total"] == 2
    assert client.get("/api/v1/queue?q=%25", headers=user_headers).json()["total"] == 0


def test_batch_bulk_pause_resume_and_stats(client, user_headers):
    urls = [FAKE.format(f"batch-{n}") for n in range(50)]
    batch = client.post("/api/v1/queue/batch", json={"urls": urls, "paused": True},
                        headers=user_headers)
    assert batch.status_code == 201
    ids = [job["id"] for job in batch.json()["items"]]
    assert len(set(ids)) == 50
    assert [job["url"] for job in batch.json()["items"]] == urls  # in the order given
    positions = [job["position"] for job in batch.json()["items"]]
    assert positions == sorted(positions)
    stats = client.get("/api/v1/queue/stats", headers=user_headers).json()
    assert stats == {"queued": 0, "paused": 50, "running": 0, "completed": 0, "failed": 0,
                     "canceled": 0}
    assert client.post("/api/v1/queue/resume-all", headers=user_headers).json()["affected"] == 50
    assert client.post("/api/v1/queue/pause-all", headers=user_headers).json()["affected"] == 50
    bulk = client.post("/api/v1/queue/bulk", json={"action": "priority", "ids": ids[:5],
                                                   "priority": "high"}, headers=user_headers)
    assert bulk.json()["affected"] == 5
    top = client.get("/api/v1/queue?page_size=5", headers=user_headers).json()["items"]
    assert {j["id"] for j in top} == set(ids[:5])
    client.post("/api/v1/queue/bulk", json={"action": "delete", "ids": ids[:10]},
                headers=user_headers)
    assert client.get("/api/v1/queue/stats", headers=user_headers).json()["canceled"] == 10
    cleared = client.post("/api/v1/queue/clear", json={"statuses": ["canceled"]},
                          headers=user_headers)
    assert cleared.json()["affected"] == 10
    assert client.get("/api/v1/queue", headers=user_headers).json()["total"] == 40


def test_batch_is_bounded(client, user_headers):
    urls = [FAKE.format(n) for n in range(10_001)]
    assert client.post("/api/v1/queue/batch", json={"urls": urls},
                       headers=user_headers).status_code == 422


def test_patch_moves_pauses_and_reprioritises(client, user_headers):
    a, b, c = (_add(client, user_headers, name, paused=True) for name in "abc")
    moved = client.patch(f"/api/v1/queue/{c['id']}", json={"position": a["position"]},
                         headers=user_headers)
    assert moved.status_code == 200
    order = [j["id"] for j in client.get("/api/v1/queue", headers=user_headers).json()["items"]]
    assert order == [c["id"], a["id"], b["id"]]
    resumed = client.patch(f"/api/v1/queue/{b['id']}", json={"paused": False, "priority": "high"},
                           headers=user_headers).json()
    assert (resumed["status"], resumed["priority"]) == ("queued", "high")


def test_delete_cancels_then_removes_and_retry_requeues(client, user_headers):
    job = _add(client, user_headers, "x", paused=True)
    assert client.delete(f"/api/v1/queue/{job['id']}", headers=user_headers).status_code == 204
    canceled = client.get(f"/api/v1/queue/{job['id']}", headers=user_headers).json()
    assert canceled["status"] == "canceled"
    retried = client.post(f"/api/v1/queue/{job['id']}/retry", headers=user_headers).json()
    assert (retried["status"], retried["attempts"]) == ("queued", 0)
    conflict = client.post(f"/api/v1/queue/{job['id']}/retry", headers=user_headers)
    assert conflict.status_code == 409 and conflict.json()["error"] == "Conflict"
    client.delete(f"/api/v1/queue/{job['id']}", headers=user_headers)
    assert client.delete(f"/api/v1/queue/{job['id']}", headers=user_headers).status_code == 204
    assert client.get(f"/api/v1/queue/{job['id']}", headers=user_headers).status_code == 404


def test_other_users_jobs_are_404_and_admin_sees_all(client, make_user, login, user_headers,
                                                     admin_headers):
    mine = _add(client, user_headers, "mine", paused=True)
    make_user("mallory")
    mallory = login("mallory")
    for method, path in (("get", ""), ("patch", ""), ("delete", ""), ("post", "/retry")):
        kwargs = {"json": {"priority": "low"}} if method == "patch" else {}
        answer = getattr(client, method)(f"/api/v1/queue/{mine['id']}{path}", headers=mallory,
                                         **kwargs)
        assert answer.status_code == 404, (method, path, answer.text)
    assert client.get("/api/v1/queue", headers=mallory).json()["total"] == 0
    assert client.post("/api/v1/queue/bulk", json={"action": "delete", "ids": [mine["id"]]},
                       headers=mallory).json()["affected"] == 0
    assert client.get("/api/v1/queue", headers=admin_headers).json()["total"] == 1


def test_anonymous_is_401(client):
    answer = client.get("/api/v1/queue")
    assert answer.status_code == 401
    assert answer.json()["error"] == "NotAuthenticated"


def test_post_downloads_enqueues_like_the_queue(client, user_headers):
    answer = client.post("/api/v1/downloads", json={"url": FAKE.format("lib"), "paused": True},
                         headers=user_headers)
    assert answer.status_code == 201
    assert answer.json()["status"] == "paused"
    assert client.post("/api/v1/downloads", json={"url": "-x"},
                       headers=user_headers).status_code == 422
