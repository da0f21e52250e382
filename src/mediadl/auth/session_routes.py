"""``/auth/sessions``: where the caller is logged in, and ending one of those logins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from mediadl.app_context import DatabaseDep
from mediadl.auth import sessions
from mediadl.auth.deps import Client, CurrentAuth
from mediadl.auth.schemas import SessionOut
from mediadl.core.schemas import MAX_ID
from mediadl.security import activity
from mediadl.security.activity import Actor

router = APIRouter(prefix="/sessions")
SessionId = Annotated[int, Path(ge=1, le=MAX_ID, description="A session id.")]


@router.get("", response_model=list[SessionOut], summary="Your active login sessions")
def list_sessions(auth: CurrentAuth, db: DatabaseDep) -> list[SessionOut]:
    with db.read() as session:
        rows = sessions.active_sessions(session, auth.user.id)
    return [SessionOut.from_row(row, auth.session_id) for row in rows]


@router.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="End one of your sessions at once")
def end_session(session_id: SessionId, auth: CurrentAuth, db: DatabaseDep,
                client: Client) -> Response:
    with db.session() as session:
        sessions.end_session(session, auth.user.id, session_id)
        activity.record(session, Actor.of(auth.user, client.address), activity.SESSION_ENDED,
                        str(session_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
