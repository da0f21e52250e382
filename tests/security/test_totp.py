"""Two-factor login: setup, enable with a code, login needs the code, no code twice,
recovery codes once, turning it off, and the secret sealed at rest."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from mediadl.auth import totp
from mediadl.core.settings import Settings
from mediadl.db.models.security import RecoveryCode, TotpCredential
from mediadl.db.session import Database
from tests.conftest import TEST_PASSWORD
from tests.security.conftest import LOGIN
from tests.security.stored import stored_bytes

TOTP = "/api/v1/auth/totp"
Headers = dict[str, str]


def _code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_steps * 30)


def _enable(client: TestClient, headers: Headers, database: Database) -> tuple[str, list[str]]:
    """Turn two-factor on; the code used for it is marked as used one step back, so the
    next test code (of the current step) is fresh."""
    setup = client.post(f"{TOTP}/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    enabled = client.post(f"{TOTP}/enable", headers=headers, json={"code": _code(secret)})
    assert enabled.status_code == 200, enabled.text
    with database.session() as session:
        session.execute(update(TotpCredential).values(
            last_used_step=TotpCredential.last_used_step - 2))
    return secret, enabled.json()["recovery_codes"]


def _login(client: TestClient, **extra: Any) -> Any:
    return client.post(LOGIN, json={"username": "alice", "password": TEST_PASSWORD, **extra})


def test_setup_gives_a_provisioning_uri_and_is_not_in_force_yet(
        client: TestClient, user_headers: Headers) -> None:
    answer = client.post(f"{TOTP}/setup", headers=user_headers)
    body = answer.json()
    assert answer.headers["Cache-Control"] == "no-store"
    assert body["provisioning_uri"].startswith("otpauth://totp/mediadl:alice?secret=")
    assert f"secret={body['secret']}" in body["provisioning_uri"]
    assert "issuer=mediadl" in body["provisioning_uri"]
    assert client.get(TOTP, headers=user_headers).json() == {
        "enabled": False, "pending": True, "recovery_codes_left": 0}
    assert _login(client).status_code == 200  # pending is not enabled


def test_enable_needs_a_valid_code(client: TestClient, user_headers: Headers) -> None:
    assert client.post(f"{TOTP}/enable", headers=user_headers,
                       json={"code": "123456"}).status_code == 409  # no setup yet
    secret = client.post(f"{TOTP}/setup", headers=user_headers).json()["secret"]
    wrong = str((int(_code(secret)) + 1) % 1_000_000).zfill(6)
    answer = client.post(f"{TOTP}/enable", headers=user_headers, json={"code": wrong})
    assert answer.status_code == 422 and answer.json()["detail"].startswith("code:")
    assert client.get(TOTP, headers=user_headers).json()["enabled"] is False


def test_login_then_requires_the_code(client: TestClient, user_headers: Headers,
                                      database: Database) -> None:
    secret, codes = _enable(client, user_headers, database)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(TOTP, headers=user_headers).json() == {
        "enabled": True, "pending": False, "recovery_codes_left": 10}
    missing = _login(client)
    assert missing.status_code == 401 and missing.json()["error"] == "TotpRequired"
    assert "set-cookie" not in missing.headers
    assert _login(client, totp="000000" if _code(secret) != "000000" else "111111"
                  ).status_code == 401
    assert _login(client, totp=_code(secret)).status_code == 200


def test_a_code_cannot_be_used_twice(client: TestClient, user_headers: Headers,
                                     database: Database) -> None:
    secret, _ = _enable(client, user_headers, database)
    code = _code(secret)
    assert _login(client, totp=code).status_code == 200
    replay = _login(client, totp=code)
    assert replay.status_code == 401
    assert replay.json()["detail"] == "The two-factor code is not right or was already used."


def test_an_older_code_is_refused_once_a_newer_one_was_used(client: TestClient,
                                                            user_headers: Headers,
                                                            database: Database) -> None:
    secret, _ = _enable(client, user_headers, database)
    assert _login(client, totp=_code(secret, +1)).status_code == 200  # drift: next step
    assert _login(client, totp=_code(secret)).status_code == 401


def test_a_code_from_far_away_in_time_is_refused(client: TestClient, user_headers: Headers,
                                                 database: Database) -> None:
    secret, _ = _enable(client, user_headers, database)
    far = {_code(secret, offset) for offset in (-4, 4)} - {
        _code(secret, step) for step in (-1, 0, 1)}
    for code in far:
        assert _login(client, totp=code).status_code == 401


def test_recovery_codes_work_once(client: TestClient, user_headers: Headers,
                                  database: Database) -> None:
    _, codes = _enable(client, user_headers, database)
    assert _login(client, totp=codes[0].upper()).status_code == 200  # any case
    assert _login(client, totp=codes[0]).status_code == 401
    assert _login(client, totp=codes[1].replace("-", "")).status_code == 200  # no dashes
    assert client.get(TOTP, headers=user_headers).json()["recovery_codes_left"] == 8


def test_secrets_are_sealed_and_recovery_codes_hashed_at_rest(
        client: TestClient, user_headers: Headers, database: Database,
        settings: Settings) -> None:
    secret, codes = _enable(client, user_headers, database)
    with database.read() as session:
        stored = session.scalars(select(TotpCredential)).one()
        hashes = list(session.scalars(select(RecoveryCode.code_hash)))
    assert stored.sealed_secret.startswith("v1.") and secret not in stored.sealed_secret
    raw = stored_bytes(database, settings)
    assert secret.encode() not in raw
    for code in codes:
        assert code.encode() not in raw and code.replace("-", "").encode() not in raw
    assert len(hashes) == 10 and all(len(value) == 64 for value in hashes)
    # The secret is never served back once set up.
    assert secret not in client.get(TOTP, headers=user_headers).text


def test_disable_needs_the_password_or_a_code(client: TestClient, user_headers: Headers,
                                              database: Database) -> None:
    secret, _ = _enable(client, user_headers, database)
    assert client.post(f"{TOTP}/disable", headers=user_headers, json={}).status_code == 422
    wrong = client.post(f"{TOTP}/disable", headers=user_headers,
                        json={"password": "not my password"})
    assert wrong.status_code == 403
    assert client.post(f"{TOTP}/disable", headers=user_headers,
                       json={"code": _code(secret)}).status_code == 204
    assert client.get(TOTP, headers=user_headers).json() == {
        "enabled": False, "pending": False, "recovery_codes_left": 0}
    assert _login(client).status_code == 200


def test_disable_with_the_password(client: TestClient, user_headers: Headers,
                                   database: Database) -> None:
    _enable(client, user_headers, database)
    answer = client.post(f"{TOTP}/disable", headers=user_headers,
                         json={"password": TEST_PASSWORD})
    assert answer.status_code == 204
    assert _login(client).status_code == 200


def test_setup_again_while_on_is_a_conflict(client: TestClient, user_headers: Headers,
                                            database: Database) -> None:
    _enable(client, user_headers, database)
    assert client.post(f"{TOTP}/setup", headers=user_headers).status_code == 409


def test_an_admin_can_turn_a_users_two_factor_off(client: TestClient, user_headers: Headers,
                                                  admin_headers: Headers,
                                                  database: Database) -> None:
    _enable(client, user_headers, database)
    users = client.get("/api/v1/users", headers=admin_headers).json()
    alice = next(user for user in users if user["username"] == "alice")
    assert alice["totp_enabled"] is True
    answer = client.patch(f"/api/v1/users/{alice['id']}", headers=admin_headers,
                          json={"disable_totp": True})
    assert answer.status_code == 200 and answer.json()["totp_enabled"] is False
    assert _login(client).status_code == 200


def test_an_unreadable_secret_leaves_recovery_codes_working(
        client: TestClient, user_headers: Headers, database: Database,
        settings: Settings) -> None:
    secret, codes = _enable(client, user_headers, database)
    with database.session() as session:
        session.execute(update(TotpCredential).values(sealed_secret="v1.AAAA"))
    assert _login(client, totp=_code(secret)).status_code == 401
    assert _login(client, totp=codes[0]).status_code == 200


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", " 12 34 5"])
def test_malformed_codes_match_no_step(code: str) -> None:
    assert totp.matching_step(pyotp.random_base32(), code) is None


def test_matching_step_allows_one_step_of_drift() -> None:
    secret, now = pyotp.random_base32(), 1_800_000_000.0
    generator = pyotp.TOTP(secret)
    step = int(now // 30)
    assert totp.matching_step(secret, generator.at(now), now) == step
    assert totp.matching_step(secret, generator.at(now - 30), now) == step - 1
    assert totp.matching_step(secret, generator.at(now + 30), now) == step + 1
    far = generator.at(now + 90)
    if far not in {generator.at(now + d) for d in (-30, 0, 30)}:
        assert totp.matching_step(secret, far, now) is None


def test_recovery_codes_are_random_and_well_formed() -> None:
    codes = {totp.new_recovery_code() for _ in range(50)}
    assert len(codes) == 50
    assert all(len(code) == 19 and code.count("-") == 3 for code in codes)

