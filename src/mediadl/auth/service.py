"""Users, the password check, the refresh-token life cycle and bearer checks.

Every function works inside the caller's session (one transaction per request). Argon2 work
is done before the first query where possible: on SQLite a write transaction takes the
database lock at its first statement, and a slow hash must not hold every writer back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediadl.auth import api_tokens, totp
from mediadl.auth.passwords import burn_verify_time, hash_password, verify_password
from mediadl.auth.schemas import UserUpdate
from mediadl.auth.sessions import (
    ClientInfo,
    end_all_sessions,
    end_family,
    end_own_session,
    open_session,
    session_id_of_family,
    session_is_live,
    touch_session,
)
from mediadl.auth.tokens import (
    API_TOKEN_PREFIX,
    REJECTED_BEARER_DETAIL,
    access_token_seconds,
    create_access_token,
    decode_access_token,
    hash_opaque_token,
    new_family_id,
    new_opaque_token,
)
from mediadl.core.clock import utcnow
from mediadl.core.errors import (
    Conflict,
    InvalidCredentials,
    InvalidPayload,
    NotAuthenticated,
    NotFound,
)
from mediadl.core.settings import Settings
from mediadl.db.models import ROLE_ADMIN, ROLE_USER, RefreshToken, User

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+")
MAX_EMAIL_LENGTH = 254
# Argon2 takes any length; the cap only stops a megabyte "password" from costing CPU.
MAX_PASSWORD_LENGTH = 1024
ROLES = (ROLE_ADMIN, ROLE_USER)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class VerifiedLogin:
    """Outcome of a password check, carried from the read step of a login to the write step."""

    user_id: int
    verified_hash: str
    rehashed_password: str | None


@dataclass(frozen=True)
class Authenticated:
    """Who a bearer value belongs to, and what kind of credential it was."""

    user: User
    session_id: int | None = None
    api_token_id: int | None = None
    token_last_used_at: datetime | None = None

    @property
    def is_api_token(self) -> bool:
        return self.api_token_id is not None


# --- users -------------------------------------------------------------------------------


def create_user(session: Session, settings: Settings, username: str, password: str,
                role: str = ROLE_USER, email: str | None = None) -> User:
    """Add a user; raise InvalidPayload for a bad field and Conflict for a taken name."""
    _check_username(username)
    check_password_rules(settings, password)
    _check_role(role)
    _check_email(email)
    password_hash = hash_password(settings.auth, password)
    if find_user_by_username(session, username) is not None:
        raise Conflict("That username is already taken; choose another one.")
    user = User(username=username, password_hash=password_hash, role=role, email=email,
                is_active=True, token_version=0)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another request created the same name between our check and our insert.
        raise Conflict("That username is already taken; choose another one.") from exc
    return user


def find_user_by_username(session: Session, username: str) -> User | None:
    # Names are unique regardless of case, so "Alice" and "alice" are one account.
    query = select(User).where(func.lower(User.username) == username.lower())
    return session.scalars(query).first()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("There is no user with this id.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def update_user(session: Session, settings: Settings, actor_id: int, user_id: int,
                changes: UserUpdate) -> User:
    """Apply an admin's changes; a new password or disabling ends the user's sessions."""
    sent = changes.model_fields_set
    new_hash = _validated_new_password(settings, changes.password)
    if "email" in sent:
        _check_email(changes.email)
    user = get_user(session, user_id)
    if user_id == actor_id:
        _refuse_self_lockout(changes)
    if changes.role is not None:
        user.role = changes.role
    if "email" in sent:
        user.email = changes.email
    if changes.is_active is not None:
        user.is_active = changes.is_active
    if new_hash is not None:
        user.password_hash = new_hash
    if changes.disable_totp:
        totp.disable(session, user.id)
    if new_hash is not None or changes.is_active is False:
        end_all_sessions(session, user)
    session.flush()
    return user


def delete_user(session: Session, actor_id: int, user_id: int) -> User:
    if user_id == actor_id:
        raise Conflict("You cannot delete your own account; ask another admin.")
    # Tokens, sessions, jobs and downloads of the user go with it (ON DELETE CASCADE).
    user = get_user(session, user_id)
    session.delete(user)
    session.flush()
    return user


def change_password(session: Session, settings: Settings, login: VerifiedLogin,
                    new_hash: str) -> User:
    """Store a new password (already checked and hashed) and end every session."""
    user = session.get(User, login.user_id)
    if user is None or not user.is_active or user.password_hash != login.verified_hash:
        raise InvalidCredentials("Your password changed meanwhile; log in again.")
    user.password_hash = new_hash
    end_all_sessions(session, user)
    return user


# --- login, refresh, logout --------------------------------------------------------------


def authenticate(session: Session, settings: Settings, username: str,
                 password: str) -> VerifiedLogin:
    """Check a username and password (read session); one generic error for every failure."""
    user = find_user_by_username(session, username) if _is_username(username) else None
    if user is None:
        burn_verify_time(settings.auth, password)
        raise InvalidCredentials()
    valid, rehashed = verify_password(settings.auth, password, user.password_hash)
    # Checked after the hash so a disabled account answers as slowly as any other.
    if not valid or not user.is_active:
        raise InvalidCredentials()
    return VerifiedLogin(user_id=user.id, verified_hash=user.password_hash,
                         rehashed_password=rehashed)


def start_session(session: Session, settings: Settings, login: VerifiedLogin,
                  client: ClientInfo | None = None) -> TokenPair:
    """Issue the first token pair of a new refresh family (write session)."""
    user = session.get(User, login.user_id)
    # The user may have been disabled or given a new password since the password check.
    if user is None or not user.is_active or user.password_hash != login.verified_hash:
        raise InvalidCredentials()
    if login.rehashed_password is not None:
        user.password_hash = login.rehashed_password
    family_id = new_family_id()
    opened = open_session(session, user.id, family_id, client or ClientInfo(),
                          _refresh_expiry(settings))
    return _issue_pair(session, settings, user, family_id, opened.id)


def rotate_refresh_token(session: Session, settings: Settings, token: str,
                         client: ClientInfo | None = None) -> TokenPair | None:
    """Trade a refresh token for a new pair in the same family; None when it is refused.

    A refused token may have changed state (a reused token revokes its whole family), so the
    caller commits the transaction before answering 401.
    """
    row = _find_refresh_token(session, token)
    if row is None:
        return None
    if row.used_at is not None:
        # A token that was already traded in is being replayed: assume it was stolen and
        # end the session for both the thief and the owner.
        end_family(session, row.family_id)
        return None
    if row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    if not _mark_used(session, row):
        # A concurrent request traded the same token in first: the same replay case.
        end_family(session, row.family_id)
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    touched = touch_session(session, row.family_id, client or ClientInfo(),
                            _refresh_expiry(settings))
    return _issue_pair(session, settings, user, row.family_id, touched.id if touched else None)


def logout(session: Session, user_id: int, refresh_token: str | None,
           session_id: int | None = None) -> None:
    """End the caller's session (named by its refresh token or by the access token's
    session) and every access token of the user."""
    user = session.get(User, user_id)
    if user is None:
        return
    user.token_version += 1
    row = _find_refresh_token(session, refresh_token) if refresh_token else None
    # Only the caller's own family: a stale cookie of another account is left alone.
    if row is not None and row.user_id == user_id:
        end_family(session, row.family_id)
    if session_id is not None:
        end_own_session(session, user_id, session_id)


def authenticate_bearer(session: Session, settings: Settings, token: str) -> Authenticated:
    """The one place a bearer value becomes a user; NotAuthenticated when it cannot."""
    if token.startswith(API_TOKEN_PREFIX):
        found = api_tokens.find_usable_token(session, token)
        if found is None:
            raise _bearer_refused()
        row, owner = found
        return Authenticated(owner, api_token_id=row.id, token_last_used_at=row.last_used_at)
    claims = decode_access_token(settings, token)
    user = session.get(User, claims.user_id)
    if user is None or not user.is_active or user.token_version != claims.token_version:
        raise _bearer_refused()
    # The token dies with its session (a replayed refresh token ends the whole family),
    # not only when the user's token version moves.
    if claims.session_id is not None and not session_is_live(session, claims.session_id,
                                                             user.id):
        raise _bearer_refused()
    return Authenticated(user, session_id=claims.session_id)


def user_from_bearer(session: Session, settings: Settings, token: str) -> User:
    return authenticate_bearer(session, settings, token).user


# --- helpers -----------------------------------------------------------------------------


def _issue_pair(session: Session, settings: Settings, user: User, family_id: str,
                session_id: int | None) -> TokenPair:
    refresh_token = new_opaque_token()
    session.add(RefreshToken(
        user_id=user.id,
        token_hash=hash_opaque_token(refresh_token),
        family_id=family_id,
        expires_at=_refresh_expiry(settings),
    ))
    session.flush()
    if session_id is None:
        session_id = session_id_of_family(session, family_id)
    return TokenPair(access_token=create_access_token(settings, user, session_id=session_id),
                     refresh_token=refresh_token,
                     expires_in=access_token_seconds(settings))


def _refresh_expiry(settings: Settings) -> datetime:
    return utcnow() + timedelta(days=settings.auth.refresh_token_days)


def _find_refresh_token(session: Session, token: str) -> RefreshToken | None:
    query = select(RefreshToken).where(RefreshToken.token_hash == hash_opaque_token(token))
    return session.scalars(query).first()


def _mark_used(session: Session, row: RefreshToken) -> bool:
    """Atomically claim a token; False when another transaction used or revoked it first."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None),
               RefreshToken.revoked_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def _bearer_refused() -> NotAuthenticated:
    return NotAuthenticated(REJECTED_BEARER_DETAIL, headers={"WWW-Authenticate": "Bearer"})


def _refuse_self_lockout(changes: UserUpdate) -> None:
    # An admin who demotes or disables themselves could leave nobody able to undo it.
    if changes.role is not None and changes.role != ROLE_ADMIN:
        raise Conflict("You cannot remove your own admin role; ask another admin.")
    if changes.is_active is False:
        raise Conflict("You cannot disable your own account; ask another admin.")


def _is_username(username: str) -> bool:
    return USERNAME_PATTERN.fullmatch(username) is not None


def _check_username(username: str) -> None:
    if not _is_username(username):
        raise InvalidPayload(
            "A username is 1 to 64 characters of letters, digits, '_', '.' and '-'.")


def check_password_rules(settings: Settings, password: str) -> None:
    shortest = settings.auth.min_password_length
    if len(password) < shortest:
        raise InvalidPayload(f"A password needs at least {shortest} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidPayload(f"A password can have at most {MAX_PASSWORD_LENGTH} characters.")


def _validated_new_password(settings: Settings, password: str | None) -> str | None:
    if password is None:
        return None
    check_password_rules(settings, password)
    return hash_password(settings.auth, password)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidPayload(f"A role is one of: {', '.join(ROLES)}.")


def _check_email(email: str | None) -> None:
    if email is None:
        return
    if len(email) > MAX_EMAIL_LENGTH or EMAIL_PATTERN.fullmatch(email) is None:
        raise InvalidPayload("The email address is not valid; use a form like name@example.org.")
