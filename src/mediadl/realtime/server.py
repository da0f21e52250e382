"""The sockets of one app: admission, and closing those whose session has ended or whose
client stopped reading.

A logout, a password change or a disabled account bumps or clears what a socket was
authenticated with; one query every ``session_check_seconds`` covers every open socket of
the process, instead of one query per socket.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

from fastapi import FastAPI
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket

from mediadl.app_context import AppContext
from mediadl.auth.api_tokens import live_token_ids
from mediadl.core.clock import utcnow
from mediadl.db.models import User
from mediadl.realtime.handshake import authenticate, origin_allowed
from mediadl.realtime.hub import EventHub
from mediadl.realtime.principal import Principal
from mediadl.realtime.sockets import POLICY_VIOLATION, TRY_AGAIN_LATER, SocketSession, Stream
from mediadl.realtime.tickets import redeem_ticket

log = logging.getLogger(__name__)

SESSION_ENDED = ("Your session ended (logged out, password changed, account disabled, or "
                 "its API token deleted or expired).")
CROSS_SITE = "This socket was opened from another site."
NOT_AUTHENTICATED = ("Authenticate: send {\"type\": \"auth\", \"ticket\": ...} with a ticket "
                     "from POST /api/v1/auth/ws-ticket as the first message.")
ADMINS_ONLY = "Only an admin can follow the logs."
TOO_MANY = "This account has too many open sockets; close some and try again."


class SocketServer:
    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.sockets: set[SocketSession] = set()
        self._guard: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, app: FastAPI) -> SocketServer:
        server = getattr(app.state, "socket_server", None)
        if server is None:
            server = app.state.socket_server = cls(app.state.context)
        return server

    @property
    def hub(self) -> EventHub:
        return self.context.events

    def spend_ticket(self, ticket: str) -> None:
        with self.context.db.session() as session:
            redeem_ticket(session, ticket)

    async def serve(self, websocket: WebSocket, stream: Stream) -> None:
        """Check, authenticate and run one socket until either side ends it."""
        principal = await self._open(websocket, stream)
        if principal is None:
            return
        session = SocketSession(websocket, self, principal, stream)
        if not self.admit(session):
            await websocket.close(TRY_AGAIN_LATER, TOO_MANY)
            return
        try:
            await session.run()
        finally:
            self.release(session)

    async def _open(self, websocket: WebSocket, stream: Stream) -> Principal | None:
        """The authenticated user of an accepted socket; None once the socket is refused."""
        if not origin_allowed(websocket, self.context.settings):
            await websocket.close(POLICY_VIOLATION, CROSS_SITE)  # before accept: HTTP 403
            return None
        await websocket.accept()
        principal = await authenticate(websocket, self.context)
        if principal is None:
            await websocket.close(POLICY_VIOLATION, NOT_AUTHENTICATED)
        elif stream is Stream.LOGS and not principal.is_admin:
            await websocket.close(POLICY_VIOLATION, ADMINS_ONLY)
            return None
        return principal

    def admit(self, session: SocketSession) -> bool:
        """False when the account already holds as many sockets as it may."""
        user_id = session.principal.user_id
        held = sum(1 for other in self.sockets if other.principal.user_id == user_id)
        if held >= self.context.settings.realtime.max_sockets_per_user:
            return False
        self.sockets.add(session)
        self._ensure_guard()
        return True

    def release(self, session: SocketSession) -> None:
        self.sockets.discard(session)

    def counts(self) -> Counter[str]:
        return Counter(session.stream.value for session in self.sockets)

    def _ensure_guard(self) -> None:
        loop = asyncio.get_running_loop()
        if self._guard is None or self._guard.done() or self._guard.get_loop() is not loop:
            self._guard = loop.create_task(self._watch_sessions(), name="socket-sessions")

    async def _watch_sessions(self) -> None:
        interval = self.context.settings.realtime.session_check_seconds
        while self.sockets:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for session in list(self.sockets):
                session.close_if_stuck(now)
            try:
                await self._close_ended_sessions()
            except Exception:
                log.exception("checking socket sessions failed")

    async def _close_ended_sessions(self) -> None:
        sockets = list(self.sockets)
        user_ids = {session.principal.user_id for session in sockets}
        if not user_ids:
            return
        token_ids = {session.principal.api_token_id for session in sockets} - {None}
        users, live_tokens = await run_in_threadpool(self._load_users, user_ids, token_ids)
        for session in sockets:
            user = users.get(session.principal.user_id)
            if not session.principal.still_valid(user, live_tokens):
                session.end(POLICY_VIOLATION, SESSION_ENDED)

    def _load_users(self, user_ids: set[int], token_ids: set[int | None]
                    ) -> tuple[dict[int, User], set[int]]:
        """The sockets' users, and which of their API tokens still exist unexpired."""
        wanted = {token_id for token_id in token_ids if token_id is not None}
        with self.context.db.read() as session:
            users = {user.id: user for user in session.scalars(
                select(User).where(User.id.in_(user_ids)))}
            return users, live_token_ids(session, wanted, utcnow())
