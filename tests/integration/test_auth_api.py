"""The auth and users API end to end: login, tokens, refresh rotation, logout, admin CRUD."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select, update

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import RefreshToken, User
from mediadl.db.session import Database
from tests.conftest import TEST_PASSWORD
from tests.security.cheap import cheap_hashing
from tests.security.stored import stored_bytes

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"
USERS = "/api/v1/users"
COOKIE = "mediadl_refresh"

CSRF = {"X-Requested-With": "mediadl"}

MakeUser = Callable[..., int]
Headers = dict[str, str]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return cheap_hashing(settings)


def _login(client: TestClient, username: str = "alice",
           password: str = TEST_PASSWORD) -> dict[str, Any]:
    answer = client.post(LOGIN, json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_not_authenticated(answer: Any) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "NotAuthenticated"
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def _forge(settings: Settings, user_id: int, algorithm: str = "HS256", key: Any = None,
           **changes: Any) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id), "iat": now, "exp": now + timedelta(minutes=5),
        "aud": settings.auth.issuer, "iss": settings.auth.issuer, "typ": "access", "ver": 0,
    }
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    signing_key = settings.secret() if key is None and algorithm != "none" else key
    return jwt.encode(claims, signing_key, algorithm=algorithm)


# --- login ---------------------------------------------------------------------------------


def test_login_returns_a_token_pair_and_a_strict_cookie(client: TestClient, make_user: MakeUser,
                                                        settings: Settings) -> None:
    make_user("alice")
    answer = client.post(LOGIN, json={"username": "alice", "password": TEST_PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.auth.access_token_minutes * 60
    assert body["access_token"] and body["refresh_token"]
    assert answer.headers["Cache-Control"] == "no-store"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={body['refresh_token']};")
    assert "HttpOnly" in cookie and "Path=/api/v1/auth" in cookie
    assert "samesite=strict" in cookie.lower()
    assert "Secure" not in cookie  # plain http in tests


def test_login_cookie_is_secure_over_https(app: FastAPI, make_user: MakeUser) -> None:
    make_user("alice")
    with TestClient(app, base_url="https://testserver") as secure_client:
        answer = secure_client.post(LOGIN, json={"username": "alice",
                                                 "password": TEST_PASSWORD})
    assert answer.status_code == 200
    assert "Secure" in answer.headers["set-cookie"]


def test_login_name_is_case_insensitive(client: TestClient, make_user: MakeUser) -> None:
    make_user("Alice")
    assert _login(client, "aLICE")["access_token"]


def test_bad_password_unknown_user_and_inactive_user_look_the_same(
        client: TestClient, make_user: MakeUser, database: Database) -> None:
    user_id = make_user("alice")
    make_user("carol")
    with database.session() as session:
        session.execute(update(User).where(User.username == "carol").values(is_active=False))
    wrong = client.post(LOGIN, json={"username": "alice", "password": "wrong password"})
    unknown = client.post(LOGIN, json={"username": "nobody", "password": TEST_PASSWORD})
    invalid_name = client.post(LOGIN, json={"username": "no body!", "password": "x"})
    inactive = client.post(LOGIN, json={"username": "carol", "password": TEST_PASSWORD})
    assert user_id
    for answer in (wrong, unknown, invalid_name, inactive):
        assert answer.status_code == 401
        assert answer.json() == {"error": "InvalidCredentials",
                                 "detail": "Wrong username or password."}
        assert "set-cookie" not in answer.headers


def test_login_refuses_unknown_fields(client: TestClient, make_user: MakeUser) -> None:
    make_user("alice")
    answer = client.post(LOGIN, json={"username": "alice", "password": TEST_PASSWORD,
                                      "remember": True})
    assert answer.status_code == 422
    assert answer.json()["error"] == "InvalidPayload"


def test_login_ignores_totp_while_two_factor_is_off(client: TestClient,
                                                    make_user: MakeUser) -> None:
    make_user("alice")
    answer = client.post(LOGIN, json={"username": "alice", "password": TEST_PASSWORD,
                                      "totp": "123456"})
    assert answer.status_code == 200


def test_login_upgrades_an_outdated_hash(client: TestClient, make_user: MakeUser,
                                         database: Database) -> None:
    user_id = make_user("alice")
    weak = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),))
    old_hash = weak.hash(TEST_PASSWORD)
    with database.session() as session:
        session.execute(update(User).where(User.id == user_id).values(password_hash=old_hash))
    _login(client)
    with database.read() as session:
        new_hash = session.get(User, user_id).password_hash  # type: ignore[union-attr]
    assert new_hash != old_hash and new_hash.startswith("$argon2id$")
    _login(client)  # and the upgraded hash still takes the password


# --- me and bearer checks ------------------------------------------------------------------


def test_me_describes_the_caller(client: TestClient, make_user: MakeUser) -> None:
    user_id = make_user("alice")
    tokens = _login(client)
    answer = client.get(ME, headers=_bearer(tokens["access_token"]))
    assert answer.status_code == 200
    assert answer.json() == {"id": user_id, "username": "alice", "email": None, "role": "user"}


@pytest.mark.parametrize("header", [None, "Bearer", "Basic YWxpY2U6cGFzcw==",
                                    "Bearer not-a-jwt", "Bearer mdl_" + "x" * 40])
def test_me_without_a_valid_bearer_is_401(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    _assert_not_authenticated(client.get(ME, headers=headers))


@pytest.mark.parametrize("forgery", [
    {"algorithm": "none"},
    {"algorithm": "HS512"},
    {"key": "a different secret that is long enough"},
    {"aud": "other"},
    {"iss": "other"},
    {"exp": datetime.now(UTC) - timedelta(seconds=1)},
    {"typ": "refresh"},
    {"ver": 1},
    {"exp": None}, {"iat": None}, {"sub": None}, {"aud": None}, {"iss": None},
], ids=["alg-none", "alg-hs512", "wrong-key", "aud", "iss", "expired", "typ", "old-ver",
        "no-exp", "no-iat", "no-sub", "no-aud", "no-iss"])
def test_forged_or_stale_tokens_are_401(client: TestClient, make_user: MakeUser, settings: Settings,
                                        forgery: dict[str, Any]) -> None:
    user_id = make_user("alice")
    # The control: a correctly made token passes, so each case fails for its own reason.
    assert client.get(ME, headers=_bearer(_forge(settings, user_id))).status_code == 200
    _assert_not_authenticated(client.get(ME, headers=_bearer(_forge(settings, user_id,
                                                                     **forgery))))


def test_token_of_a_deleted_user_is_401(client: TestClient, make_user: MakeUser, settings: Settings,
                                        database: Database) -> None:
    user_id = make_user("alice")
    token = _login(client)["access_token"]
    with database.session() as session:
        session.delete(session.get(User, user_id))
    _assert_not_authenticated(client.get(ME, headers=_bearer(token)))


def test_disabled_user_is_shut_out_at_once(client: TestClient, make_user: MakeUser,
                                           database: Database) -> None:
    user_id = make_user("alice")
    token = _login(client)["access_token"]
    with database.session() as session:
        session.execute(update(User).where(User.id == user_id).values(is_active=False))
    _assert_not_authenticated(client.get(ME, headers=_bearer(token)))


# --- refresh -------------------------------------------------------------------------------


def test_refresh_rotates_and_a_replay_kills_the_family(client: TestClient,
                                                       make_user: MakeUser) -> None:
    make_user("alice")
    first = _login(client)
    second = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    second_pair = second.json()
    assert second_pair["refresh_token"] != first["refresh_token"]
    assert client.get(ME, headers=_bearer(second_pair["access_token"])).status_code == 200

    replay = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    _assert_refresh_refused(replay)
    # The replay revoked the whole family, the newer token included.
    _assert_refresh_refused(client.post(REFRESH,
                                        json={"refresh_token": second_pair["refresh_token"]}))


def test_refresh_replay_leaves_other_sessions_alone(client: TestClient,
                                                    make_user: MakeUser) -> None:
    make_user("alice")
    laptop, phone = _login(client), _login(client)
    client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})
    client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})  # replay
    answer = client.post(REFRESH, json={"refresh_token": phone["refresh_token"]})
    assert answer.status_code == 200


def test_refresh_from_the_cookie(client: TestClient, make_user: MakeUser) -> None:
    make_user("alice")
    first = _login(client)
    assert client.cookies.get(COOKIE) == first["refresh_token"]
    answer = client.post(REFRESH, headers=CSRF)
    assert answer.status_code == 200, answer.text
    rotated = answer.json()["refresh_token"]
    assert rotated != first["refresh_token"]
    assert client.cookies.get(COOKIE) == rotated
    # An empty body: still the cookie.
    assert client.post(REFRESH, json={}, headers=CSRF).status_code == 200


def test_refresh_by_cookie_needs_the_custom_header(client: TestClient,
                                                   make_user: MakeUser) -> None:
    make_user("alice")
    _login(client)
    for headers in ({}, {"X-Requested-With": "XMLHttpRequest"}):
        answer = client.post(REFRESH, headers=headers)
        assert answer.status_code == 403, headers
        assert "X-Requested-With: mediadl" in answer.json()["detail"]
    # Refused before the token was used: it still works with the header.
    assert client.post(REFRESH, headers=CSRF).status_code == 200


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://testserver:8080",
                                    "http://testserver.evil.example"])
def test_refresh_by_cookie_from_another_origin_is_refused(client: TestClient,
                                                          make_user: MakeUser,
                                                          origin: str) -> None:
    make_user("alice")
    _login(client)
    answer = client.post(REFRESH, headers={**CSRF, "Origin": origin})
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "Forbidden"
    assert client.post(REFRESH, headers={**CSRF, "Origin": "http://testserver"}).status_code == 200


def test_refresh_by_cookie_checks_the_referer_when_there_is_no_origin(
        client: TestClient, make_user: MakeUser) -> None:
    make_user("alice")
    _login(client)
    evil = client.post(REFRESH, headers={**CSRF, "Referer": "https://evil.example/page"})
    assert evil.status_code == 403
    own = client.post(REFRESH, headers={**CSRF, "Referer": "http://testserver/queue"})
    assert own.status_code == 200


def test_refresh_with_a_body_token_needs_no_custom_header(client: TestClient,
                                                          make_user: MakeUser) -> None:
    make_user("alice")
    tokens = _login(client)
    client.cookies.clear()
    answer = client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert answer.status_code == 200


def test_refresh_without_any_token_is_401(client: TestClient) -> None:
    answer = client.post(REFRESH)
    assert answer.status_code == 401
    assert answer.json()["error"] == "NotAuthenticated"


def test_refresh_with_an_unknown_token_is_401(client: TestClient) -> None:
    _assert_refresh_refused(client.post(REFRESH, json={"refresh_token": "made-up"}))


def test_refresh_with_an_expired_token_is_401(client: TestClient, make_user: MakeUser,
                                              database: Database) -> None:
    make_user("alice")
    tokens = _login(client)
    with database.session() as session:
        session.execute(update(RefreshToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    _assert_refresh_refused(client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}))


def test_refresh_of_a_disabled_user_is_401(client: TestClient, make_user: MakeUser,
                                           database: Database) -> None:
    user_id = make_user("alice")
    tokens = _login(client)
    with database.session() as session:
        session.execute(update(User).where(User.id == user_id).values(is_active=False))
    _assert_refresh_refused(client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}))


def test_refresh_refuses_unknown_fields(client: TestClient) -> None:
    answer = client.post(REFRESH, json={"refresh_token": "x", "extra": 1})
    assert answer.status_code == 422


def _assert_refresh_refused(answer: Any) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "NotAuthenticated"


# --- logout --------------------------------------------------------------------------------


def test_logout_kills_the_access_token_and_the_refresh_family(client: TestClient,
                                                              make_user: MakeUser) -> None:
    make_user("alice")
    tokens = _login(client)
    headers = _bearer(tokens["access_token"])
    answer = client.post(LOGOUT, headers=headers)
    assert answer.status_code == 204
    cleared = answer.headers["set-cookie"]
    assert cleared.startswith(f'{COOKIE}="";') or cleared.startswith(f"{COOKIE}=;")
    assert "Max-Age=0" in cleared and "Path=/api/v1/auth" in cleared
    assert client.cookies.get(COOKIE) is None
    _assert_not_authenticated(client.get(ME, headers=headers))
    _assert_refresh_refused(client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}))


def test_logout_with_a_body_token(client: TestClient, make_user: MakeUser) -> None:
    make_user("alice")
    tokens = _login(client)
    client.cookies.clear()
    answer = client.post(LOGOUT, headers=_bearer(tokens["access_token"]),
                         json={"refresh_token": tokens["refresh_token"]})
    assert answer.status_code == 204
    _assert_refresh_refused(client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}))


def test_logout_leaves_another_users_refresh_token_alone(client: TestClient,
                                                         make_user: MakeUser) -> None:
    make_user("alice")
    make_user("bob")
    bob = _login(client, "bob")
    alice = _login(client, "alice")
    answer = client.post(LOGOUT, headers=_bearer(alice["access_token"]),
                         json={"refresh_token": bob["refresh_token"]})
    assert answer.status_code == 204
    assert client.post(REFRESH, json={"refresh_token": bob["refresh_token"]}).status_code == 200


def test_logout_needs_a_login(client: TestClient) -> None:
    _assert_not_authenticated(client.post(LOGOUT))


# --- what is stored ------------------------------------------------------------------------




def test_secrets_are_stored_only_as_hashes(client: TestClient, make_user: MakeUser,
                                           settings: Settings, database: Database) -> None:
    make_user("alice")
    tokens = _login(client)
    with database.read() as session:
        user = session.scalars(select(User)).one()
        stored_token = session.scalars(select(RefreshToken)).one()
    assert user.password_hash.startswith("$argon2id$")
    assert stored_token.token_hash == hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()
    raw = stored_bytes(database, settings)
    assert TEST_PASSWORD.encode() not in raw
    assert tokens["refresh_token"].encode() not in raw
    assert tokens["access_token"].encode() not in raw


# --- admin users API -----------------------------------------------------------------------


def test_admin_manages_users(client: TestClient, admin_headers: dict[str, str]) -> None:
    created = client.post(USERS, headers=admin_headers,
                          json={"username": "Bob", "password": "a fine password",
                                "email": "bob@example.org"})
    assert created.status_code == 201, created.text
    bob = created.json()
    assert bob["username"] == "Bob" and bob["role"] == "user" and bob["is_active"] is True
    assert bob["email"] == "bob@example.org" and "password" not in str(bob)
    assert bob["created_at"].endswith("Z")

    listed = client.get(USERS, headers=admin_headers).json()
    assert [user["username"] for user in listed] == ["admin", "Bob"]

    patched = client.patch(f"{USERS}/{bob['id']}", headers=admin_headers,
                           json={"role": "admin", "email": None})
    assert patched.status_code == 200
    assert patched.json()["role"] == "admin" and patched.json()["email"] is None

    assert client.delete(f"{USERS}/{bob['id']}", headers=admin_headers).status_code == 204
    assert client.patch(f"{USERS}/{bob['id']}", headers=admin_headers,
                        json={"role": "user"}).status_code == 404
    assert client.delete(f"{USERS}/{bob['id']}", headers=admin_headers).status_code == 404


def test_new_password_ends_the_users_sessions(client: TestClient, admin_headers: Headers,
                                              make_user: MakeUser) -> None:
    user_id = make_user("alice")
    tokens = _login(client)
    answer = client.patch(f"{USERS}/{user_id}", headers=admin_headers,
                          json={"password": "a brand new password"})
    assert answer.status_code == 200
    _assert_not_authenticated(client.get(ME, headers=_bearer(tokens["access_token"])))
    _assert_refresh_refused(client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}))
    assert client.post(LOGIN, json={"username": "alice",
                                    "password": TEST_PASSWORD}).status_code == 401
    _login(client, "alice", "a brand new password")


def test_disabling_ends_the_users_sessions(client: TestClient, admin_headers: Headers,
                                           make_user: MakeUser) -> None:
    user_id = make_user("alice")
    tokens = _login(client)
    answer = client.patch(f"{USERS}/{user_id}", headers=admin_headers, json={"is_active": False})
    assert answer.status_code == 200 and answer.json()["is_active"] is False
    _assert_not_authenticated(client.get(ME, headers=_bearer(tokens["access_token"])))
    _assert_refresh_refused(client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}))
    client.patch(f"{USERS}/{user_id}", headers=admin_headers, json={"is_active": True})
    _login(client)


def test_admin_cannot_lock_themselves_out(client: TestClient, admin_headers: Headers) -> None:
    me = client.get(ME, headers=admin_headers).json()
    for change in ({"role": "user"}, {"is_active": False}):
        answer = client.patch(f"{USERS}/{me['id']}", headers=admin_headers, json=change)
        assert answer.status_code == 409, change
        assert answer.json()["error"] == "Conflict"
    assert client.delete(f"{USERS}/{me['id']}", headers=admin_headers).status_code == 409
    assert client.get(ME, headers=admin_headers).json()["role"] == "admin"


def test_users_api_is_admin_only(client: TestClient, user_headers: Headers,
                                 make_user: MakeUser) -> None:
    other = make_user("bob")
    for method, path, body in [("GET", USERS, None),
                               ("POST", USERS, {"username": "eve", "password": "p" * 12}),
                               ("PATCH", f"{USERS}/{other}", {"role": "admin"}),
                               ("DELETE", f"{USERS}/{other}", None)]:
        answer = client.request(method, path, headers=user_headers, json=body)
        assert answer.status_code == 403, (method, path)
        assert answer.json()["error"] == "Forbidden"


def test_users_api_needs_a_login(client: TestClient) -> None:
    _assert_not_authenticated(client.get(USERS))


@pytest.mark.parametrize(("body", "status"), [
    ({"username": "ALICE", "password": "a fine password"}, 409),
    ({"username": "newbie", "password": "short"}, 422),
    ({"username": "new user", "password": "a fine password"}, 422),
    ({"username": "newbie", "password": "a fine password", "role": "root"}, 422),
    ({"username": "newbie", "password": "a fine password", "email": "nope"}, 422),
    ({"username": "newbie", "password": "a fine password", "is_admin": True}, 422),
    ({"username": "newbie"}, 422),
], ids=["taken-any-case", "short-password", "bad-name", "bad-role", "bad-email",
        "unknown-field", "no-password"])
def test_create_user_refusals(client: TestClient, admin_headers: Headers, make_user: MakeUser,
                              body: dict[str, Any], status: int) -> None:
    make_user("alice")
    answer = client.post(USERS, headers=admin_headers, json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == ("Conflict" if status == 409 else "InvalidPayload")
    assert answer.json()["detail"].endswith(".")


def test_update_user_refuses_unknown_fields_and_short_passwords(
        client: TestClient, admin_headers: Headers, make_user: MakeUser) -> None:
    user_id = make_user("alice")
    for body in ({"username": "renamed"}, {"password": "short"}):
        answer = client.patch(f"{USERS}/{user_id}", headers=admin_headers, json=body)
        assert answer.status_code == 422, body


def test_password_whitespace_is_kept(client: TestClient, admin_headers: Headers,
                                     make_user: Callable[..., int]) -> None:
    answer = client.post(USERS, headers=admin_headers,
                         json={"username": "spacey", "password": "  padded password  "})
    assert answer.status_code == 201
    _login(client, "spacey", "  padded password  ")
    assert client.post(LOGIN, json={"username": "spacey",
                                    "password": "padded password"}).status_code == 401
