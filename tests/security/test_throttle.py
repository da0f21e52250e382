"""Login throttling: free attempts, then doubling delays per account and per address,
429 with Retry-After, generic answers, and a good login clearing the account count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from mediadl.core.clock import utcnow
from mediadl.core.settings import SecuritySettings, Settings
from mediadl.db.models.security import LoginThrottle
from mediadl.db.session import Database
from mediadl.security import throttle
from tests.conftest import TEST_PASSWORD
from tests.security.cheap import cheap_hashing
from tests.security.conftest import LOGIN


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.security = settings.security.model_copy(update={
        "login_free_failures_per_account": 3, "login_free_failures_per_address": 6,
        "login_base_delay_seconds": 30, "login_max_delay_seconds": 300})
    return cheap_hashing(settings)


def _unblock(database: Database) -> None:
    with database.session() as session:
        session.execute(update(LoginThrottle).values(blocked_until=utcnow()))


def test_after_the_free_failures_the_account_waits(client: TestClient,
                                                   make_user: Callable[..., int]) -> None:
    make_user("alice")
    for _ in range(3):
        assert client.post(LOGIN, json={"username": "alice",
                                        "password": "wrong"}).status_code == 401
    # The fourth failure starts the first delay; the next attempt must wait.
    assert client.post(LOGIN, json={"username": "alice", "password": "wrong"}).status_code == 401
    blocked = client.post(LOGIN, json={"username": "alice", "password": TEST_PASSWORD})
    assert blocked.status_code == 429, blocked.text
    assert blocked.json()["error"] == "TooManyRequests"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 30
    # Even the right password is not looked at while the account waits.
    assert "set-cookie" not in blocked.headers


def test_an_unknown_account_is_throttled_the_same_way(client: TestClient, settings: Settings,
                                                      make_user: Callable[..., int]) -> None:
    settings.security.login_free_failures_per_address = 100
    make_user("alice")
    answers = [client.post(LOGIN, json={"username": name, "password": "wrong"})
               for name in ("nobody",) * 4 + ("alice",) * 4]
    nobody, alice = answers[:4], answers[4:]
    assert [a.status_code for a in nobody] == [a.status_code for a in alice] == [401] * 4
    assert {a.json()["detail"] for a in answers} == {"Wrong username or password."}
    assert client.post(LOGIN, json={"username": "nobody", "password": "x"}).status_code == 429
    assert client.post(LOGIN, json={"username": "alice", "password": "x"}).status_code == 429


def test_delays_grow_and_are_capped(client: TestClient, make_user: Callable[..., int],
                                    database: Database) -> None:
    make_user("alice")
    waits = []
    for _ in range(8):
        client.post(LOGIN, json={"username": "alice", "password": "wrong"})
        with database.read() as session:
            row = session.get(LoginThrottle, "account:alice")
            waits.append(round((row.blocked_until - row.last_failure_at).total_seconds())
                         if row and row.blocked_until else 0)
        _unblock(database)
    assert waits[:3] == [0, 0, 0]
    assert waits[3:] == [30, 60, 120, 240, 300]


def test_a_good_login_clears_the_account_count(client: TestClient,
                                               make_user: Callable[..., int],
                                               database: Database) -> None:
    make_user("alice")
    for _ in range(3):
        client.post(LOGIN, json={"username": "alice", "password": "wrong"})
    assert client.post(LOGIN, json={"username": "Alice",
                                    "password": TEST_PASSWORD}).status_code == 200
    with database.read() as session:
        assert session.get(LoginThrottle, "account:alice") is None
        assert session.get(LoginThrottle, "address:testclient") is not None


def test_one_address_guessing_many_accounts_is_throttled(client: TestClient,
                                                         make_user: Callable[..., int]) -> None:
    make_user("alice")
    for number in range(7):
        assert client.post(LOGIN, json={"username": f"user{number}",
                                        "password": "wrong"}).status_code == 401
    blocked = client.post(LOGIN, json={"username": "alice", "password": TEST_PASSWORD})
    assert blocked.status_code == 429


def test_old_failures_are_forgotten(client: TestClient, make_user: Callable[..., int],
                                    database: Database) -> None:
    make_user("alice")
    for _ in range(3):
        client.post(LOGIN, json={"username": "alice", "password": "wrong"})
    with database.session() as session:
        session.execute(update(LoginThrottle).values(
            last_failure_at=utcnow() - timedelta(hours=2)))
    client.post(LOGIN, json={"username": "alice", "password": "wrong"})
    with database.read() as session:
        assert session.scalar(select(LoginThrottle.failures)
                              .where(LoginThrottle.key == "account:alice")) == 1


def test_password_change_guesses_count_against_the_account(
        client: TestClient, make_user: Callable[..., int], login: Callable[..., dict]) -> None:  # type: ignore[type-arg]
    make_user("alice")
    headers = login("alice")
    for _ in range(4):
        answer = client.post("/api/v1/auth/password", headers=headers,
                             json={"current_password": "guess", "new_password": "x" * 12})
        assert answer.status_code == 403
    answer = client.post("/api/v1/auth/password", headers=headers,
                         json={"current_password": TEST_PASSWORD, "new_password": "x" * 12})
    assert answer.status_code == 429


def test_delay_after_is_a_capped_doubling() -> None:
    rules = SecuritySettings(login_base_delay_seconds=2, login_max_delay_seconds=100)
    assert [throttle.delay_after(n, 5, rules) for n in range(1, 13)] == [
        0, 0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 100]
    assert throttle.delay_after(10**9, 5, rules) == 100


@pytest.mark.parametrize(("address", "key"), [
    ("192.0.2.7", "address:192.0.2.7"),
    ("2001:db8:1:2:3:4:5:6", "address:2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff::1", "address:2001:db8:1:2::/64"),
    ("::ffff:192.0.2.7", "address:192.0.2.7"),
    ("testclient", "address:testclient"),
])
def test_address_keys_group_an_ipv6_host_by_its_64(address: str, key: str) -> None:
    assert throttle.address_key(address) == key
