"""API tokens for scripts: shown once, stored as a sha256 hash, revocable one by one.

A token works like an access token of its owner until it expires or is deleted, or the
owner is disabled. It cannot manage credentials (see ``deps.InteractiveUser``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from mediadl.auth.tokens import api_token_prefix, hash_opaque_token, new_api_token
from mediadl.core.clock import utcnow
from mediadl.core.errors import Conflict, NotFound
from mediadl.db.models import User
from mediadl.db.models.security import ApiToken
from mediadl.db.session import Database

MAX_TOKENS_PER_USER = 100
# last_used_at is written at most this often per token: a script polling every second
# must not turn every read into a database write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewApiToken:
    row: ApiToken
    token: str


def create_api_token(session: Session, user_id: int, name: str,
                     expires_in_days: int | None) -> NewApiToken:
    count = session.scalar(select(func.count()).select_from(ApiToken)
                           .where(ApiToken.user_id == user_id)) or 0
    if count >= MAX_TOKENS_PER_USER:
        raise Conflict(f"You already have {MAX_TOKENS_PER_USER} API tokens; delete one first.")
    token, now = new_api_token(), utcnow()
    expires_at = now + timedelta(days=expires_in_days) if expires_in_days else None
    row = ApiToken(user_id=user_id, name=name, prefix=api_token_prefix(token),
                   token_hash=hash_opaque_token(token), created_at=now, expires_at=expires_at)
    session.add(row)
    session.flush()
    return NewApiToken(row, token)


def list_api_tokens(session: Session, user_id: int) -> list[ApiToken]:
    statement = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    return list(session.scalars(statement))


def delete_api_token(session: Session, user_id: int, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound("There is no such API token of yours.")
    session.delete(row)
    session.flush()
    return row


def find_usable_token(session: Session, token: str) -> tuple[ApiToken, User] | None:
    """The token's row and its active owner; None when unknown, expired or disabled."""
    row = session.scalars(select(ApiToken)
                          .where(ApiToken.token_hash == hash_opaque_token(token))).first()
    if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def live_token_ids(session: Session, token_ids: set[int], now: datetime) -> set[int]:
    """Which of ``token_ids`` still exist and have not expired (open sockets ask)."""
    if not token_ids:
        return set()
    return set(session.scalars(select(ApiToken.id).where(
        ApiToken.id.in_(token_ids),
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))))


def needs_touch(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION


def touch_api_token(db: Database, token_id: int, last_used_at: datetime | None) -> None:
    """Record use in its own short transaction (the request itself only reads)."""
    now = utcnow()
    if not needs_touch(last_used_at, now):
        return
    with db.session() as session:
        session.execute(update(ApiToken).where(ApiToken.id == token_id)
                        .values(last_used_at=now))
