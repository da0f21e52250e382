"""Per-user caps: unfinished jobs on enqueue (429, admins exempt) and running jobs at claim
time (the dispatcher passes over owners at their cap)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import Job
from mediadl.db.session import Database
from mediadl.jobs import leases
from tests.security.cheap import cheap_hashing

Headers = dict[str, str]
URL = "https://media.example.com/{}.mp4"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.security.max_queued_jobs_per_user = 3
    return cheap_hashing(settings)


def _add(client: TestClient, headers: Headers, number: int) -> int:
    return client.post("/api/v1/queue", headers=headers,
                       json={"url": URL.format(number), "paused": True}).status_code


def test_enqueue_stops_at_the_cap_with_429(client: TestClient, user_headers: Headers) -> None:
    assert [_add(client, user_headers, n) for n in range(3)] == [201, 201, 201]
    refused = client.post("/api/v1/queue", headers=user_headers, json={"url": URL.format(9)})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert "at most 3 unfinished jobs" in refused.json()["detail"]
    # Finished jobs do not count: clearing one makes room.
    first = client.get("/api/v1/queue", headers=user_headers).json()["items"][0]
    assert client.delete(f"/api/v1/queue/{first['id']}", headers=user_headers).status_code == 204
    assert _add(client, user_headers, 10) == 201


def test_a_batch_over_the_cap_is_refused_whole(client: TestClient, user_headers: Headers) -> None:
    _add(client, user_headers, 0)
    answer = client.post("/api/v1/queue/batch", headers=user_headers,
                         json={"urls": [URL.format(n) for n in range(1, 4)]})
    assert answer.status_code == 429
    assert "room for 2 more" in answer.json()["detail"]
    assert client.get("/api/v1/queue", headers=user_headers).json()["total"] == 1


def test_the_cap_is_per_user_and_admins_have_none(client: TestClient, user_headers: Headers,
                                                  admin_headers: Headers,
                                                  make_user: Callable[..., int],
                                                  login: Callable[..., Headers]) -> None:
    for number in range(3):
        _add(client, user_headers, number)
    make_user("bob")
    assert _add(client, login("bob"), 0) == 201
    assert [_add(client, admin_headers, n) for n in range(5)] == [201] * 5


def _queued(database: Database, owner_id: int, count: int) -> None:
    with database.session() as session:
        for number in range(count):
            session.add(Job(owner_id=owner_id, url=URL.format(number), engine="fake",
                            position=len(str(owner_id)) * 100 + number))


def test_claims_pass_over_owners_at_their_running_cap(database: Database,
                                                      make_user: Callable[..., int]) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    _queued(database, alice, 3)  # alice's jobs come first in the queue
    _queued(database, bob, 1)
    owners = []
    for _ in range(3):
        with database.session() as session:
            claimed = leases.claim_next(session, utcnow(), 30, per_owner_limit=1)
            owners.append(claimed[0].owner_id if claimed else None)
    # One of alice's, then bob's (alice is at her cap), then nothing more to run.
    assert owners == [alice, bob, None]
    with database.session() as session:
        claimed = leases.claim_next(session, utcnow(), 30)  # no cap: alice again
    assert claimed is not None and claimed[0].owner_id == alice
