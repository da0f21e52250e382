"""Access tokens: what decode accepts and everything it must refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from mediadl.auth.tokens import (
    API_TOKEN_PREFIX,
    AccessClaims,
    api_token_prefix,
    create_access_token,
    decode_access_token,
    hash_opaque_token,
    new_api_token,
    new_family_id,
    new_opaque_token,
)
from mediadl.core.errors import NotAuthenticated
from mediadl.core.settings import Settings
from mediadl.db.models import User


def _user(user_id: int = 7, version: int = 3) -> User:
    return User(id=user_id, username="alice", password_hash="x", token_version=version)


def _claims(settings: Settings, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": "7", "iat": now, "exp": now + timedelta(minutes=5),
        "aud": settings.auth.issuer, "iss": settings.auth.issuer, "typ": "access", "ver": 3,
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def _refused(settings: Settings, token: str) -> NotAuthenticated:
    with pytest.raises(NotAuthenticated) as caught:
        decode_access_token(settings, token)
    assert caught.value.headers == {"WWW-Authenticate": "Bearer"}
    return caught.value


def test_round_trip(settings: Settings) -> None:
    token = create_access_token(settings, _user())
    assert decode_access_token(settings, token) == AccessClaims(user_id=7, token_version=3)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"


def test_claims_carry_issuer_audience_and_lifetime(settings: Settings) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    token = create_access_token(settings, _user(), now=now)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "7" and claims["ver"] == 3 and claims["typ"] == "access"
    assert claims["aud"] == claims["iss"] == settings.auth.issuer
    assert claims["exp"] - claims["iat"] == settings.auth.access_token_minutes * 60


def test_alg_none_is_refused(settings: Settings) -> None:
    token = jwt.encode(_claims(settings), key=None, algorithm="none")
    _refused(settings, token)


def test_other_hmac_algorithm_is_refused(settings: Settings) -> None:
    token = jwt.encode(_claims(settings), settings.secret(), algorithm="HS512")
    _refused(settings, token)


def test_wrong_key_is_refused(settings: Settings) -> None:
    token = jwt.encode(_claims(settings), "another key of enough length, 32+", algorithm="HS256")
    _refused(settings, token)


@pytest.mark.parametrize("changes", [
    {"aud": "someone-else"},
    {"iss": "someone-else"},
    {"exp": datetime.now(UTC) - timedelta(seconds=5)},
    {"typ": "refresh"},
    {"typ": None},
    {"ver": None},
    {"ver": "3"},
    {"sub": "alice"},
    {"sub": "-1"},
], ids=["aud", "iss", "expired", "typ", "no-typ", "no-ver", "ver-str", "sub-name", "sub-neg"])
def test_bad_claims_are_refused(settings: Settings, changes: dict[str, Any]) -> None:
    token = jwt.encode(_claims(settings, **changes), settings.secret(), algorithm="HS256")
    _refused(settings, token)


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "aud", "iss"])
def test_missing_required_claim_is_refused(settings: Settings, missing: str) -> None:
    token = jwt.encode(_claims(settings, **{missing: None}), settings.secret(),
                       algorithm="HS256")
    _refused(settings, token)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", API_TOKEN_PREFIX + "x" * 40])
def test_garbage_is_refused(settings: Settings, garbage: str) -> None:
    _refused(settings, garbage)


def test_opaque_tokens_are_random_and_hashed() -> None:
    first, second = new_opaque_token(), new_opaque_token()
    assert first != second and len(first) >= 43
    assert len(hash_opaque_token(first)) == 64
    assert hash_opaque_token(first) == hash_opaque_token(first) != hash_opaque_token(second)
    assert len(new_family_id()) == 32


def test_session_id_travels_in_the_sid_claim(settings: Settings) -> None:
    token = create_access_token(settings, _user(), session_id=42)
    assert jwt.decode(token, options={"verify_signature": False})["sid"] == 42
    assert decode_access_token(settings, token) == AccessClaims(7, 3, session_id=42)


@pytest.mark.parametrize("sid", ["42", 4.2, [42]])
def test_a_malformed_sid_is_refused(settings: Settings, sid: Any) -> None:
    token = jwt.encode(_claims(settings, sid=sid), settings.secret(), algorithm="HS256")
    _refused(settings, token)


def test_api_tokens_are_prefixed_random_and_show_a_short_prefix() -> None:
    first, second = new_api_token(), new_api_token()
    assert first.startswith(API_TOKEN_PREFIX) and first != second
    assert len(first) >= len(API_TOKEN_PREFIX) + 43
    assert api_token_prefix(first) == first[:len(API_TOKEN_PREFIX) + 8]
