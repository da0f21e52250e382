"""The activity log: who did what, from where and when.

``record`` adds an entry inside the caller's transaction, so an action and its record
commit or fail together. ``record_request`` is for routes whose service owns its own
transaction: the entry follows in a short one of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from mediadl.app_context import ContextDep
from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import User
from mediadl.db.models.security import ActivityEntry
from mediadl.db.session import Database
from mediadl.security.client import client_address

# The actions written today; other features add their own names.
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an action name)
SESSION_ENDED = "session_ended"
SESSIONS_ENDED = "sessions_ended"
TOKEN_CREATED = "token_created"  # noqa: S105
TOKEN_REVOKED = "token_revoked"  # noqa: S105
TOTP_ENABLED = "totp_enabled"
TOTP_DISABLED = "totp_disabled"
USER_CREATED = "user_created"
USER_UPDATED = "user_updated"
USER_DELETED = "user_deleted"
JOB_ADDED = "job_added"
JOB_DELETED = "job_deleted"
SETTINGS_CHANGED = "settings_changed"
MAX_TARGET = 255


@dataclass(frozen=True)
class Actor:
    """Who acted and from where; ``user_id`` is None for an unknown caller (a failed login)."""

    user_id: int | None
    username: str | None
    address: str | None

    @classmethod
    def of(cls, user: User | None, address: str | None, username: str | None = None) -> Actor:
        if user is None:
            return cls(None, (username or "")[:64] or None, address)
        return cls(user.id, user.username, address)


@dataclass(frozen=True)
class ActivityQuery:
    user_id: int | None = None
    action: str | None = None
    page: int = 1
    page_size: int = 50


def record(session: Session, actor: Actor, action: str, target: str | None = None,
           **details: Any) -> None:
    session.add(ActivityEntry(
        created_at=utcnow(), user_id=actor.user_id, username=actor.username, action=action,
        target=target[:MAX_TARGET] if target else None, client_address=actor.address,
        details=details,
    ))


def record_request(db: Database, settings: Settings, request: HTTPConnection, user: User,
                   action: str, target: str | None = None, **details: Any) -> None:
    """One entry in a transaction of its own, for a request by ``user``."""
    actor = Actor.of(user, client_address(request, settings))
    with db.session() as session:
        record(session, actor, action, target, **details)


class RequestActivity:
    """``log(user, action, target, **details)`` for a route, bound to its request."""

    def __init__(self, request: Request, context: ContextDep) -> None:
        self.request = request
        self.context = context

    def __call__(self, user: User, action: str, target: str | None = None,
                 **details: Any) -> None:
        record_request(self.context.db, self.context.settings, self.request, user, action,
                       target, **details)


ActivityLog = Annotated[RequestActivity, Depends(RequestActivity)]


def list_entries(session: Session, query: ActivityQuery) -> tuple[list[ActivityEntry], int]:
    """Newest first, filtered by user and action."""
    statement = select(ActivityEntry)
    if query.user_id is not None:
        statement = statement.where(ActivityEntry.user_id == query.user_id)
    if query.action:
        statement = statement.where(ActivityEntry.action == query.action)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = (statement.order_by(ActivityEntry.created_at.desc(), ActivityEntry.id.desc())
            .offset((query.page - 1) * query.page_size).limit(query.page_size))
    return list(session.scalars(page)), int(total)
