"""Login sessions: listing, ending one, password change, an admin's "end sessions", and
that each takes effect at once, for access tokens already handed out too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import TEST_PASSWORD
from tests.security.conftest import bearer

SESSIONS = "/api/v1/auth/sessions"
PASSWORD = "/api/v1/auth/password"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/auth/me"
Login = Callable[..., dict[str, Any]]


def _refresh(client: TestClient, pair: dict[str, Any]) -> int:
    return client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}).status_code


def test_sessions_list_where_i_am_logged_in(client: TestClient, make_user: Callable[..., int],
                                            login_pair: Login) -> None:
    make_user("alice")
    laptop = client.post("/api/v1/auth/login", headers={"User-Agent": "Laptop browser"},
                         json={"username": "alice", "password": TEST_PASSWORD}).json()
    phone = login_pair("alice")
    listed = client.get(SESSIONS, headers=bearer(phone["access_token"])).json()
    assert len(listed) == 2
    current = [row for row in listed if row["current"]]
    assert len(current) == 1
    other = next(row for row in listed if not row["current"])
    assert other["user_agent"] == "Laptop browser"
    assert other["client_address"] == "testclient"
    assert other["created_at"].endswith("Z") and other["expires_at"].endswith("Z")
    assert laptop["access_token"] != phone["access_token"]


def test_ending_a_session_logs_it_out_at_once(client: TestClient,
                                              make_user: Callable[..., int],
                                              login_pair: Login) -> None:
    make_user("alice")
    laptop, phone = login_pair("alice"), login_pair("alice")
    phone_headers = bearer(phone["access_token"])
    laptop_id = next(row["id"] for row in client.get(SESSIONS, headers=phone_headers).json()
                     if not row["current"])
    assert client.delete(f"{SESSIONS}/{laptop_id}", headers=phone_headers).status_code == 204
    assert client.get(ME, headers=bearer(laptop["access_token"])).status_code == 401
    assert _refresh(client, laptop) == 401
    # The phone's session goes on: its refresh token still works.
    assert _refresh(client, phone) == 200
    assert client.delete(f"{SESSIONS}/{laptop_id}", headers=phone_headers).status_code in (
        401, 404)


def test_another_users_session_is_404(client: TestClient, make_user: Callable[..., int],
                                      login_pair: Login) -> None:
    make_user("alice")
    make_user("bob")
    alice = login_pair("alice")
    bob = login_pair("bob")
    alice_session = client.get(SESSIONS, headers=bearer(alice["access_token"])).json()[0]["id"]
    answer = client.delete(f"{SESSIONS}/{alice_session}", headers=bearer(bob["access_token"]))
    assert answer.status_code == 404
    assert client.get(ME, headers=bearer(alice["access_token"])).status_code == 200


def test_logout_ends_its_session_even_without_the_refresh_token(
        client: TestClient, make_user: Callable[..., int], login_pair: Login) -> None:
    make_user("alice")
    pair = login_pair("alice")
    client.cookies.clear()
    assert client.post("/api/v1/auth/logout",
                       headers=bearer(pair["access_token"])).status_code == 204
    assert _refresh(client, pair) == 401
    other = login_pair("alice")
    assert len(client.get(SESSIONS, headers=bearer(other["access_token"])).json()) == 1


def test_password_change_ends_every_other_session(client: TestClient,
                                                  make_user: Callable[..., int],
                                                  login_pair: Login) -> None:
    make_user("alice")
    laptop, phone = login_pair("alice"), login_pair("alice")
    answer = client.post(PASSWORD, headers=bearer(phone["access_token"]),
                         json={"current_password": TEST_PASSWORD,
                               "new_password": "a much better password"})
    assert answer.status_code == 200, answer.text
    fresh = answer.json()
    for old in (laptop, phone):
        assert client.get(ME, headers=bearer(old["access_token"])).status_code == 401
        assert _refresh(client, old) == 401
    assert client.get(ME, headers=bearer(fresh["access_token"])).status_code == 200
    assert login_pair("alice", "a much better password")["access_token"]
    assert client.post("/api/v1/auth/login", json={"username": "alice",
                                                   "password": TEST_PASSWORD}).status_code == 401


def test_password_change_checks_the_current_password_and_the_rules(
        client: TestClient, make_user: Callable[..., int], login_pair: Login) -> None:
    make_user("alice")
    headers = bearer(login_pair("alice")["access_token"])
    wrong = client.post(PASSWORD, headers=headers,
                        json={"current_password": "not it", "new_password": "long enough pw"})
    assert wrong.status_code == 403
    short = client.post(PASSWORD, headers=headers,
                        json={"current_password": TEST_PASSWORD, "new_password": "short"})
    assert short.status_code == 422
    extra = client.post(PASSWORD, headers=headers,
                        json={"current_password": TEST_PASSWORD, "new_password": "long enough",
                              "username": "x"})
    assert extra.status_code == 422
    assert client.get(ME, headers=headers).status_code == 200  # nothing changed


def test_admin_ends_a_users_sessions(client: TestClient, make_user: Callable[..., int],
                                     login_pair: Login, admin_headers: dict[str, str]) -> None:
    alice_id = make_user("alice")
    pair = login_pair("alice")
    answer = client.post(f"/api/v1/users/{alice_id}/end-sessions", headers=admin_headers)
    assert answer.status_code == 204
    assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 401
    assert _refresh(client, pair) == 401
    assert client.get(ME, headers=admin_headers).status_code == 200
    assert client.post("/api/v1/users/99999/end-sessions",
                       headers=admin_headers).status_code == 404


def test_a_user_cannot_end_others_sessions_via_the_admin_route(
        client: TestClient, make_user: Callable[..., int], login_pair: Login) -> None:
    bob_id = make_user("bob")
    make_user("alice")
    alice = bearer(login_pair("alice")["access_token"])
    bob = login_pair("bob")
    assert client.post(f"/api/v1/users/{bob_id}/end-sessions", headers=alice).status_code == 403
    assert client.get(ME, headers=bearer(bob["access_token"])).status_code == 200


def test_a_replayed_refresh_token_ends_the_session_in_the_list(
        client: TestClient, make_user: Callable[..., int], login_pair: Login) -> None:
    make_user("alice")
    stolen, other = login_pair("alice"), login_pair("alice")
    rotated = client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]}).json()
    assert _refresh(client, stolen) == 401  # replay: the family is revoked
    assert _refresh(client, rotated) == 401
    listed = client.get(SESSIONS, headers=bearer(other["access_token"])).json()
    assert len(listed) == 1 and listed[0]["current"]


def test_a_replayed_refresh_token_ends_the_access_tokens_of_that_session_at_once(
        client: TestClient, make_user: Callable[..., int], login_pair: Login) -> None:
    """The thief traded the stolen refresh token first; the victim's later use of the same
    token is the replay. Both access tokens of the family stop working there and then,
    not when they expire; another session of the same user goes on."""
    make_user("alice")
    victim, other_device = login_pair("alice"), login_pair("alice")
    thief = client.post(REFRESH, json={"refresh_token": victim["refresh_token"]}).json()
    for pair in (victim, thief, other_device):
        assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 200
    assert _refresh(client, victim) == 401  # the replay
    for pair in (victim, thief):
        answer = client.get(ME, headers=bearer(pair["access_token"]))
        assert answer.status_code == 401
        assert answer.json()["error"] == "NotAuthenticated"
    assert client.get(ME, headers=bearer(other_device["access_token"])).status_code == 200
