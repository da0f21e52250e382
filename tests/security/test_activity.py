"""The activity log: who did what, from where, readable by admins only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import TEST_PASSWORD
from tests.security.conftest import LOGIN

ACTIVITY = "/api/v1/activity"
Headers = dict[str, str]


def _entries(client: TestClient, headers: Headers, **query: Any) -> list[dict[str, Any]]:
    answer = client.get(ACTIVITY, headers=headers, params=query)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_logins_and_failures_are_recorded(client: TestClient, admin_headers: Headers,
                                          make_user: Callable[..., int]) -> None:
    alice_id = make_user("alice")
    client.post(LOGIN, json={"username": "alice", "password": "wrong"})
    client.post(LOGIN, json={"username": "ghost", "password": "wrong"})
    client.post(LOGIN, json={"username": "alice", "password": TEST_PASSWORD})
    entries = _entries(client, admin_headers)
    newest = entries[0]
    assert newest["action"] == "login" and newest["user_id"] == alice_id
    assert newest["client_address"] == "testclient" and newest["created_at"].endswith("Z")
    failed = _entries(client, admin_headers, action="login_failed")
    assert [(e["username"], e["user_id"] is not None) for e in failed] == [
        ("ghost", False), ("alice", True)]
    assert failed[0]["details"] == {"purpose": "login", "factor": "password"}
    # Passwords are never part of a record.
    assert "wrong" not in str(entries) and TEST_PASSWORD not in str(entries)


def test_user_changes_and_tokens_are_recorded(client: TestClient,
                                              admin_headers: Headers) -> None:
    created = client.post("/api/v1/users", headers=admin_headers,
                          json={"username": "bob", "password": "a fine password"}).json()
    client.patch(f"/api/v1/users/{created['id']}", headers=admin_headers,
                 json={"role": "admin", "password": "another fine one"})
    token = client.post("/api/v1/auth/tokens", headers=admin_headers, json={"name": "cron"})
    client.delete(f"/api/v1/auth/tokens/{token.json()['id']}", headers=admin_headers)
    client.delete(f"/api/v1/users/{created['id']}", headers=admin_headers)
    actions = [(e["action"], e["target"]) for e in _entries(client, admin_headers)]
    assert actions[:5] == [("user_deleted", "bob"), ("token_revoked", "cron"),
                           ("token_created", "cron"), ("user_updated", "bob"),
                           ("user_created", "bob")]
    updated = _entries(client, admin_headers, action="user_updated")[0]
    assert updated["details"]["fields"] == ["password", "role"]
    assert "another fine one" not in str(updated)


def test_jobs_added_and_deleted_are_recorded(client: TestClient, user_headers: Headers,
                                             admin_headers: Headers) -> None:
    job = client.post("/api/v1/queue", headers=user_headers,
                      json={"url": "https://media.example.com/a.mp4", "paused": True}).json()
    client.delete(f"/api/v1/queue/{job['id']}", headers=user_headers)
    entries = _entries(client, admin_headers, action="job_added") + _entries(
        client, admin_headers, action="job_deleted")
    assert [(e["action"], e["username"]) for e in entries] == [
        ("job_added", "alice"), ("job_deleted", "alice")]
    assert entries[0]["target"] == "https://media.example.com/a.mp4"
    assert entries[0]["details"] == {"job_id": job["id"]}


def test_filter_by_user_and_pages(client: TestClient, admin_headers: Headers,
                                  make_user: Callable[..., int]) -> None:
    alice_id = make_user("alice")
    for _ in range(3):
        client.post(LOGIN, json={"username": "alice", "password": TEST_PASSWORD})
    first = client.get(ACTIVITY, headers=admin_headers,
                       params={"user_id": alice_id, "page_size": 2}).json()
    second = client.get(ACTIVITY, headers=admin_headers,
                        params={"user_id": alice_id, "page_size": 2, "page": 2}).json()
    assert first["total"] == 3 and len(first["items"]) == 2 and len(second["items"]) == 1
    assert {e["user_id"] for e in first["items"] + second["items"]} == {alice_id}


def test_the_log_is_for_admins_only(client: TestClient, user_headers: Headers) -> None:
    assert client.get(ACTIVITY).status_code == 401
    assert client.get(ACTIVITY, headers=user_headers).status_code == 403


def test_bad_filters_are_422(client: TestClient, admin_headers: Headers) -> None:
    for query in ({"page": 0}, {"page_size": 501}, {"user_id": "x"}, {"action": "a" * 41}):
        assert client.get(ACTIVITY, headers=admin_headers, params=query).status_code == 422
