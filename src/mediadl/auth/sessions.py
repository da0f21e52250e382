"""Login sessions: one row per refresh-token family, for "where am I logged in".

The refresh tokens stay the credential; this row only describes the family (when it
started, when it was last used, from where) and records when it ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mediadl.core.clock import utcnow
from mediadl.core.errors import NotFound
from mediadl.db.models import RefreshToken, User
from mediadl.db.models.security import AuthSession

MAX_USER_AGENT = 255


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from, as far as the server can tell."""

    address: str | None = None
    user_agent: str | None = None


def open_session(session: Session, user_id: int, family_id: str, client: ClientInfo,
                 expires_at: datetime) -> AuthSession:
    now = utcnow()
    row = AuthSession(user_id=user_id, family_id=family_id, created_at=now, last_used_at=now,
                      expires_at=expires_at, client_address=client.address,
                      user_agent=(client.user_agent or "")[:MAX_USER_AGENT] or None)
    session.add(row)
    session.flush()
    return row


def touch_session(session: Session, family_id: str, client: ClientInfo,
                  expires_at: datetime) -> AuthSession | None:
    """Note a refresh: the family's new expiry and the client that used it last."""
    row = session.scalars(select(AuthSession).where(AuthSession.family_id == family_id)).first()
    if row is None:
        return None
    row.last_used_at, row.expires_at = utcnow(), expires_at
    if client.address:
        row.client_address = client.address
    session.flush()
    return row


def end_family(session: Session, family_id: str) -> None:
    """Revoke every refresh token of a family and mark its session ended."""
    now = utcnow()
    session.execute(update(RefreshToken)
                    .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now).execution_options(synchronize_session=False))
    session.execute(update(AuthSession)
                    .where(AuthSession.family_id == family_id, AuthSession.ended_at.is_(None))
                    .values(ended_at=now).execution_options(synchronize_session=False))


def end_all_sessions(session: Session, user: User) -> None:
    """Kill every access token (version bump) and every session of a user at once."""
    now = utcnow()
    user.token_version += 1
    session.execute(update(RefreshToken)
                    .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now).execution_options(synchronize_session=False))
    session.execute(update(AuthSession)
                    .where(AuthSession.user_id == user.id, AuthSession.ended_at.is_(None))
                    .values(ended_at=now).execution_options(synchronize_session=False))
    session.flush()


def active_sessions(session: Session, user_id: int) -> list[AuthSession]:
    statement = (select(AuthSession)
                 .where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None),
                        AuthSession.expires_at > utcnow())
                 .order_by(AuthSession.last_used_at.desc(), AuthSession.id.desc()))
    return list(session.scalars(statement))


def end_session(session: Session, user_id: int, session_id: int) -> AuthSession:
    """End one of the user's own sessions; its access tokens die with the version bump
    (the user's other sessions get new ones at their next refresh)."""
    row = session.get(AuthSession, session_id)
    user = session.get(User, user_id)
    if row is None or user is None or row.user_id != user_id or row.ended_at is not None:
        raise NotFound("There is no such session of yours.")
    end_family(session, row.family_id)
    user.token_version += 1
    session.flush()
    return row


def end_own_session(session: Session, user_id: int, session_id: int) -> None:
    """End a session if it is the user's (logout by the access token's session id)."""
    row = session.get(AuthSession, session_id)
    if row is not None and row.user_id == user_id:
        end_family(session, row.family_id)


def session_id_of_family(session: Session, family_id: str) -> int | None:
    return session.scalar(select(AuthSession.id).where(AuthSession.family_id == family_id))


def session_is_live(session: Session, session_id: int, user_id: int) -> bool:
    """Whether an access token's session still stands: the user's and not ended (logout,
    "end session", or a replayed refresh token that revoked the family). One primary-key
    read per request, like the user row that carries the token version."""
    row = session.execute(select(AuthSession.user_id, AuthSession.ended_at)
                          .where(AuthSession.id == session_id)).first()
    return row is not None and row.user_id == user_id and row.ended_at is None
