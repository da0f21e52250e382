"""What the queue service tells sockets about changes made by people: one ``queue_updated``
per job with the action its change of status means, a snapshot for changes too broad to
list, nothing to anybody but the owner and admins. No dispatcher runs here, so jobs stay
where people put them."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from mediadl.core.clock import utcnow
from mediadl.db.models import Job
from mediadl.realtime.queue_news import action_for
from tests.security.cheap import cheap_hashing

QUEUE = "/api/v1/queue"


@pytest.fixture
def settings(settings):
    return cheap_hashing(settings)


def _socket(client: TestClient, headers: dict[str, str], stream: str = "queue"):
    ticket = client.post("/api/v1/auth/ws-ticket", headers=headers).json()["ticket"]
    ws = client.websocket_connect(f"/ws/{stream}")
    session = ws.__enter__()
    session.send_text(json.dumps({"type": "auth", "ticket": ticket}))
    return ws, session


def _next(session):
    return json.loads(session.receive_text())


def _drain(session):
    session.send_text(json.dumps({"type": "ping"}))
    seen = []
    while (message := _next(session))["type"] != "pong":
        seen.append(message)
    return seen


def _add(client, headers, url="https://example.org/a.mp4", **body):
    answer = client.post(QUEUE, json={"url": url, "paused": True, **body}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_each_change_of_a_job_is_one_message(client, user_headers):
    ws, alice = _socket(client, user_headers)
    try:
        assert _next(alice)["type"] == "snapshot"
        job = _add(client, user_headers)
        added = _next(alice)["data"]
        assert (added["action"], added["previous_status"]) == ("added", None)
        assert added["item"]["id"] == job["id"] and added["item"]["status"] == "paused"
        steps = [
            ("patch", {"paused": False}, "resumed", "paused"),
            ("patch", {"paused": True}, "paused", "queued"),
            ("delete", None, "canceled", "paused"),
            ("retry", None, "added", "canceled"),
            ("delete", None, "canceled", "queued"),
            ("delete", None, "removed", "canceled"),
        ]
        for verb, body, action, previous in steps:
            _act(client, user_headers, job["id"], verb, body)
            data = _next(alice)["data"]
            assert (data["action"], data["previous_status"]) == (action, previous), verb
            assert data["item"]["id"] == job["id"]
    finally:
        ws.__exit__(None, None, None)


def _act(client, headers, job_id, verb, body):
    if verb == "patch":
        answer = client.patch(f"{QUEUE}/{job_id}", json=body, headers=headers)
    elif verb == "delete":
        answer = client.delete(f"{QUEUE}/{job_id}", headers=headers)
    else:
        answer = client.post(f"{QUEUE}/{job_id}/retry", headers=headers)
    assert answer.status_code in (200, 204), answer.text


def test_nobody_else_hears_of_a_users_jobs_but_admins(client, user_headers, make_user, login):
    make_user("bob")
    bob_headers = login("bob")
    ws_bob, bob = _socket(client, bob_headers)
    ws_admin, admin = _socket(client, _admin(make_user, login))
    try:
        _next(bob), _next(admin)
        job = _add(client, user_headers)
        client.post(f"{QUEUE}/pause-all", headers=user_headers)
        client.post(f"{QUEUE}/resume-all", headers=user_headers)
        assert _drain(bob) == []
        heard = [m["data"] for m in _drain(admin)]
        assert [(d["action"], d["item"]["id"]) for d in heard] == [
            ("added", job["id"]), ("resumed", job["id"])]
    finally:
        ws_bob.__exit__(None, None, None)
        ws_admin.__exit__(None, None, None)


def _admin(make_user, login):
    make_user("root", role="admin")
    return login("root")


def _batch(client, headers, urls):
    return client.post(f"{QUEUE}/batch", json={"urls": urls, "paused": True}, headers=headers)


def test_a_small_batch_is_told_job_by_job_in_queue_order(client, user_headers):
    ws, alice = _socket(client, user_headers)
    try:
        _next(alice)
        urls = [f"https://example.org/small-{n}.mp4" for n in range(3)]
        answer = _batch(client, user_headers, urls)
        heard = [message["data"] for message in _drain(alice)]
        assert [(d["action"], d["item"]["url"], d["previous_status"]) for d in heard] == [
            ("added", url, None) for url in urls]
        assert [d["item"] for d in heard] == answer.json()["items"]
    finally:
        ws.__exit__(None, None, None)


def test_broad_changes_resync_with_a_snapshot(client, user_headers):
    ws, alice = _socket(client, user_headers)
    try:
        _next(alice)
        answer = _batch(client, user_headers,
                        [f"https://example.org/{n}.mp4" for n in range(150)])
        assert answer.status_code == 201
        snapshot = _next(alice)
        assert snapshot["type"] == "snapshot" and snapshot["data"]["stats"]["paused"] == 150
        job = answer.json()["items"][-1]
        client.patch(f"{QUEUE}/{job['id']}", json={"position": 1}, headers=user_headers)
        moved = _next(alice)
        assert moved["type"] == "snapshot"
        assert moved["data"]["items"][0]["id"] == job["id"]
        client.post(f"{QUEUE}/bulk", json={"action": "delete", "ids": [job["id"]]},
                    headers=user_headers)
        assert _next(alice)["data"]["action"] == "canceled"
        client.post(f"{QUEUE}/clear", json={"statuses": ["canceled"]}, headers=user_headers)
        cleared = _next(alice)
        assert cleared["type"] == "snapshot" and cleared["data"]["stats"]["canceled"] == 0
    finally:
        ws.__exit__(None, None, None)


def test_the_snapshot_stays_small_however_long_the_history(client, user_headers, database,
                                                           settings):
    settings.realtime.snapshot_max_jobs = 25
    owner = client.get("/api/v1/auth/me", headers=user_headers).json()["id"]
    _insert_jobs(database, owner, "completed", 3000)
    _insert_jobs(database, owner, "queued", 60)
    ws, alice = _socket(client, user_headers, "downloads")
    try:
        snapshot = _next(alice)["data"]
    finally:
        ws.__exit__(None, None, None)
    assert len(snapshot["items"]) == 25 and snapshot["truncated"] is True
    assert snapshot["total_active"] == 60
    assert snapshot["stats"] == client.get(f"{QUEUE}/stats", headers=user_headers).json()
    assert len(json.dumps(snapshot)) < 100_000


def _insert_jobs(database, owner_id, status, count):
    now = utcnow()
    rows = [{"owner_id": owner_id, "url": f"https://example.org/{status}/{n}", "engine": "ytdlp",
             "status": status, "position": n, "options": {}, "created_at": now,
             "updated_at": now} for n in range(count)]
    with database.session() as session:
        session.execute(insert(Job), rows)


@pytest.mark.parametrize(("before", "after", "action"), [
    (None, "queued", "added"), ("queued", None, "removed"), ("queued", "canceled", "canceled"),
    ("running", "paused", "paused"), ("paused", "queued", "resumed"),
    ("failed", "queued", "added"), ("queued", "running", "started"),
    ("running", "completed", "completed"), ("running", "failed", "failed"),
    ("queued", "queued", None),
])
def test_status_changes_name_their_action(before, after, action):
    assert action_for(before, after) == action
