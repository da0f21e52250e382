"""How a socket proves who it is.

- A one-time ticket (``POST /api/v1/auth/ws-ticket``), sent as the first message. It lives
  ``realtime.ticket_seconds``, is stored only as a hash, works once, and works in whichever
  API process the socket reaches, because it is kept in the database.
- A short-lived cookie set by the same call, scoped to ``/ws``, so a browser can open any
  number of sockets for a few minutes without sending a message first. It is a signed
  token of its own kind: it is no access token and never reaches the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mediadl.auth.tokens import JWT_ALGORITHM, hash_opaque_token, new_opaque_token
from mediadl.core.clock import utcnow
from mediadl.core.errors import TooManyRequests
from mediadl.core.settings import Settings
from mediadl.db.models import User, WsTicket
from mediadl.db.session import affected_rows
from mediadl.realtime.principal import Principal

WS_COOKIE = "mediadl_ws"
WS_COOKIE_TYPE = "ws"
MAX_OPEN_TICKETS = 20  # per user; plenty for a few tabs, a wall against a flood of rows
MAX_TICKET_LENGTH = 256


@dataclass(frozen=True)
class IssuedTicket:
    ticket: str
    expires_in: int


def issue_ticket(session: Session, settings: Settings, user: User) -> IssuedTicket:
    now = utcnow()
    session.execute(delete(WsTicket).where(WsTicket.expires_at <= now))
    if _open_tickets(session, user.id, now) >= MAX_OPEN_TICKETS:
        raise TooManyRequests("Too many WebSocket tickets are waiting to be used; "
                              "open a socket with one of them or wait a few seconds.",
                              retry_after=settings.realtime.ticket_seconds)
    ticket = new_opaque_token()
    lifetime = settings.realtime.ticket_seconds
    session.add(WsTicket(user_id=user.id, token_hash=hash_opaque_token(ticket),
                         token_version=user.token_version, created_at=now,
                         expires_at=now + timedelta(seconds=lifetime)))
    return IssuedTicket(ticket, lifetime)


def redeem_ticket(session: Session, ticket: str) -> Principal | None:
    """The ticket's owner, once; None for an unknown, used, expired or voided ticket."""
    if not ticket or len(ticket) > MAX_TICKET_LENGTH:
        return None
    row = session.scalar(select(WsTicket).where(
        WsTicket.token_hash == hash_opaque_token(ticket)))
    if row is None:
        return None
    # Whoever deletes the row redeems it; a second socket racing with the same ticket loses.
    if affected_rows(session.execute(delete(WsTicket).where(WsTicket.id == row.id))) != 1:
        return None
    if row.expires_at <= utcnow():
        return None
    return _principal_if_current(session, row.user_id, row.token_version)


def cookie_value(settings: Settings, user: User) -> str:
    issued = datetime.now(UTC)
    claims = {"sub": str(user.id), "ver": user.token_version, "typ": WS_COOKIE_TYPE,
              "iat": issued, "exp": issued + timedelta(seconds=cookie_seconds(settings)),
              "aud": settings.auth.issuer, "iss": settings.auth.issuer}
    return jwt.encode(claims, settings.secret(), algorithm=JWT_ALGORITHM)


def cookie_seconds(settings: Settings) -> int:
    # As long as an access token: whoever could ask for the cookie could ask again.
    return settings.auth.access_token_minutes * 60


def principal_from_cookie(session: Session, settings: Settings, value: str) -> Principal | None:
    try:
        claims = jwt.decode(value, settings.secret(), algorithms=[JWT_ALGORITHM],
                            audience=settings.auth.issuer, issuer=settings.auth.issuer,
                            options={"require": ["exp", "sub", "typ"]})
    except jwt.PyJWTError:
        return None
    subject, version = claims.get("sub"), claims.get("ver")
    if claims["typ"] != WS_COOKIE_TYPE or not str(subject).isdigit() or type(version) is not int:
        return None
    return _principal_if_current(session, int(str(subject)), version)


def _principal_if_current(session: Session, user_id: int, version: int) -> Principal | None:
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.token_version != version:
        return None
    return Principal.of(user)


def _open_tickets(session: Session, user_id: int, now: datetime) -> int:
    return session.scalar(select(func.count()).select_from(WsTicket).where(
        WsTicket.user_id == user_id, WsTicket.expires_at > now)) or 0
