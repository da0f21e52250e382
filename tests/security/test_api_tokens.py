"""API tokens: shown once, stored as a hash, listed with last use, revocable, owner-only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import User
from mediadl.db.models.security import ApiToken
from mediadl.db.session import Database
from tests.security.conftest import bearer
from tests.security.stored import stored_bytes

TOKENS = "/api/v1/auth/tokens"
ME = "/api/v1/auth/me"
Headers = dict[str, str]


def _create(client: TestClient, headers: Headers, name: str = "backup script",
            **extra: object) -> dict:  # type: ignore[type-arg]
    answer = client.post(TOKENS, headers=headers, json={"name": name, **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_token_is_shown_once_and_works_as_a_bearer(client: TestClient,
                                                     user_headers: Headers) -> None:
    created = _create(client, user_headers, expires_in_days=30)
    token = created["token"]
    assert token.startswith("mdl_") and created["prefix"] == token[:12]
    assert created["name"] == "backup script" and created["expires_at"].endswith("Z")
    me = client.get(ME, headers=bearer(token))
    assert me.status_code == 200 and me.json()["username"] == "alice"
    listed = client.get(TOKENS, headers=user_headers).json()
    assert [row["id"] for row in listed] == [created["id"]]
    assert "token" not in listed[0]
    assert listed[0]["prefix"] == created["prefix"]
    assert listed[0]["last_used_at"] is not None  # the /me call above


def test_the_clear_token_is_nowhere_in_the_database(client: TestClient, user_headers: Headers,
                                                    settings: Settings,
                                                    database: Database) -> None:
    token = _create(client, user_headers)["token"]
    client.get(ME, headers=bearer(token))
    raw = stored_bytes(database, settings)
    assert b"mdl_" in raw  # the prefix is kept in clear, so the search does find things
    assert token.encode() not in raw
    assert token[12:].encode() not in raw  # not even the secret part after the prefix
    with database.read() as session:
        row = session.scalars(select(ApiToken)).one()
    assert len(row.token_hash) == 64 and row.token_hash != token


def test_revoked_token_stops_working_at_once(client: TestClient, user_headers: Headers) -> None:
    created = _create(client, user_headers)
    assert client.get(ME, headers=bearer(created["token"])).status_code == 200
    assert client.delete(f"{TOKENS}/{created['id']}", headers=user_headers).status_code == 204
    assert client.get(ME, headers=bearer(created["token"])).status_code == 401
    assert client.get(TOKENS, headers=user_headers).json() == []


def test_expired_token_is_refused(client: TestClient, user_headers: Headers,
                                  database: Database) -> None:
    created = _create(client, user_headers, expires_in_days=1)
    with database.session() as session:
        session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get(ME, headers=bearer(created["token"])).status_code == 401


def test_token_of_a_disabled_user_is_refused(client: TestClient, user_headers: Headers,
                                             database: Database) -> None:
    token = _create(client, user_headers)["token"]
    with database.session() as session:
        session.execute(update(User).values(is_active=False))
    assert client.get(ME, headers=bearer(token)).status_code == 401


def test_a_guessed_token_with_the_right_prefix_is_refused(client: TestClient,
                                                          user_headers: Headers) -> None:
    token = _create(client, user_headers)["token"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    answer = client.get(ME, headers=bearer(forged))
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"


def test_another_users_token_is_404_to_delete(client: TestClient, user_headers: Headers,
                                              make_user: Callable[..., int],
                                              login: Callable[..., Headers]) -> None:
    mine = _create(client, user_headers)
    make_user("bob")
    bob = login("bob")
    assert client.delete(f"{TOKENS}/{mine['id']}", headers=bob).status_code == 404
    assert client.get(TOKENS, headers=bob).json() == []
    assert client.get(ME, headers=bearer(mine["token"])).status_code == 200


def test_an_api_token_cannot_manage_credentials(client: TestClient,
                                                user_headers: Headers) -> None:
    script = bearer(_create(client, user_headers)["token"])
    refusals = [
        client.post(TOKENS, headers=script, json={"name": "another"}),
        client.post("/api/v1/auth/password", headers=script,
                    json={"current_password": "x", "new_password": "y" * 12}),
        client.post("/api/v1/auth/totp/setup", headers=script),
        client.post("/api/v1/auth/totp/disable", headers=script, json={"code": "123456"}),
    ]
    for answer in refusals:
        assert answer.status_code == 403, answer.text
        assert "API tokens" in answer.json()["detail"]
    # ...but it can do the work scripts are for.
    assert client.get("/api/v1/queue", headers=script).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(client: TestClient, user_headers: Headers,
                                                    database: Database) -> None:
    token = _create(client, user_headers)["token"]
    client.get(ME, headers=bearer(token))
    with database.read() as session:
        first = session.scalars(select(ApiToken.last_used_at)).one()
    client.get(ME, headers=bearer(token))
    with database.read() as session:
        assert session.scalars(select(ApiToken.last_used_at)).one() == first
    with database.session() as session:
        session.execute(update(ApiToken).values(last_used_at=utcnow() - timedelta(minutes=2)))
    client.get(ME, headers=bearer(token))
    with database.read() as session:
        assert session.scalars(select(ApiToken.last_used_at)).one() > first  # type: ignore[operator]


def test_token_requests_are_validated(client: TestClient, user_headers: Headers) -> None:
    for body in ({"name": ""}, {"name": "x" * 101}, {"name": "a", "expires_in_days": 0},
                 {"name": "a", "expires_in_days": 5000}, {"name": "a", "scopes": ["all"]}, {}):
        answer = client.post(TOKENS, headers=user_headers, json=body)
        assert answer.status_code == 422, body
    assert client.delete(f"{TOKENS}/0", headers=user_headers).status_code == 422
    assert client.delete(f"{TOKENS}/999", headers=user_headers).status_code == 404
