"""Token formats: signed JWT access tokens and opaque, hash-stored refresh tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from mediadl.core.errors import NotAuthenticated
from mediadl.core.settings import Settings
from mediadl.db.models import User

# Pinned: the algorithm is never taken from the token header, so "none" or a swapped
# algorithm cannot slip through.
JWT_ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"  # noqa: S105 (a claim value, not a secret)
# A read-only credential for <video> and <img> (the media cookie): the same claims as an
# access token but another type, so it opens nothing but the two file routes.
MEDIA_TOKEN_TYPE = "media"  # noqa: S105 (a claim value, not a secret)
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss"]
# Prefix of long-lived API tokens; never a JWT. The first characters after it are stored
# in clear so a person can tell their tokens apart.
API_TOKEN_PREFIX = "mdl_"  # noqa: S105 (a public prefix, not a secret)
API_TOKEN_SHOWN_CHARS = 8
_USER_ID = re.compile(r"[0-9]{1,18}")
REJECTED_BEARER_DETAIL = "Your access token is not valid or has expired; log in again."


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    token_version: int
    # The login session (AuthSession id) the token was issued for.
    session_id: int | None = None


def access_token_seconds(settings: Settings) -> int:
    return settings.auth.access_token_minutes * 60


def create_access_token(settings: Settings, user: User, now: datetime | None = None,
                        session_id: int | None = None) -> str:
    claims = AccessClaims(user.id, user.token_version, session_id)
    lifetime = timedelta(seconds=access_token_seconds(settings))
    return sign_claims(settings, claims, ACCESS_TOKEN_TYPE, lifetime, now)


def sign_claims(settings: Settings, claims: AccessClaims, token_type: str,
                lifetime: timedelta, now: datetime | None = None) -> str:
    """A signed JWT of ``token_type`` for the user, version and session of ``claims``."""
    issued = now or datetime.now(UTC)
    encoded: dict[str, Any] = {
        "sub": str(claims.user_id),
        "iat": issued,
        "exp": issued + lifetime,
        "aud": settings.auth.issuer,
        "iss": settings.auth.issuer,
        "typ": token_type,
        "ver": claims.token_version,
    }
    if claims.session_id is not None:
        encoded["sid"] = claims.session_id
    return jwt.encode(encoded, settings.secret(), algorithm=JWT_ALGORITHM)


def decode_access_token(settings: Settings, token: str,
                        token_type: str = ACCESS_TOKEN_TYPE) -> AccessClaims:
    """Verify signature, lifetime, audience, issuer and type; raise NotAuthenticated on any
    doubt."""
    try:
        claims = jwt.decode(
            token,
            settings.secret(),
            algorithms=[JWT_ALGORITHM],
            audience=settings.auth.issuer,
            issuer=settings.auth.issuer,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise _invalid_token() from exc
    return _access_claims(claims, token_type)


def _access_claims(claims: dict[str, Any], token_type: str) -> AccessClaims:
    # A token signed with our key but of another kind (a media token, say) must not work
    # as an access token, nor the other way round.
    if claims.get("typ") != token_type:
        raise _invalid_token()
    subject, version, session_id = claims["sub"], claims.get("ver"), claims.get("sid")
    if not isinstance(subject, str) or not _USER_ID.fullmatch(subject) or type(version) is not int:
        raise _invalid_token()
    if session_id is not None and type(session_id) is not int:
        raise _invalid_token()
    return AccessClaims(user_id=int(subject), token_version=version, session_id=session_id)


def _invalid_token() -> NotAuthenticated:
    return NotAuthenticated(REJECTED_BEARER_DETAIL, headers={"WWW-Authenticate": "Bearer"})


def new_opaque_token() -> str:
    """A random secret for the client; only its hash is stored."""
    return secrets.token_urlsafe(32)


def hash_opaque_token(token: str) -> str:
    # A plain sha256 is enough: the token carries 256 random bits, so there is nothing for
    # a slow hash to protect against, and lookup by hash stays an index hit.
    return hashlib.sha256(token.encode()).hexdigest()


def new_family_id() -> str:
    return secrets.token_hex(16)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def api_token_prefix(token: str) -> str:
    """The part of an API token kept in clear: ``mdl_`` and the next few characters."""
    return token[:len(API_TOKEN_PREFIX) + API_TOKEN_SHOWN_CHARS]
