"""Opening a socket: is it from our own site, and who is it.

Browsers let any page open a WebSocket to any host and send that host's cookies along, so
the Origin header is the only defence against another site riding on a person's cookie
(cross-site WebSocket hijacking). Programs send no Origin and are let through: they have
to authenticate like everyone else.
"""

from __future__ import annotations

import asyncio
import json

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket

from mediadl.app_context import AppContext
from mediadl.auth.service import authenticate_bearer
from mediadl.core.errors import NotAuthenticated
from mediadl.core.settings import Settings
from mediadl.realtime.principal import Principal
from mediadl.realtime.schemas import AuthMessage, client_message
from mediadl.realtime.tickets import WS_COOKIE, principal_from_cookie, redeem_ticket
from mediadl.security.origins import is_trusted_origin

MAX_AUTH_MESSAGE = 1024


def origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    """Same rule as the API's CSRF check: our own origin (Origin host and port = Host),
    or one listed in MEDIADL_CORS_ORIGINS / MEDIADL_SECURITY__ALLOWED_ORIGINS."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    return is_trusted_origin(websocket, settings, origin.strip().rstrip("/").lower())


async def authenticate(websocket: WebSocket, context: AppContext) -> Principal | None:
    """An accepted socket's user: from its handshake, else from its first message."""
    principal = await run_in_threadpool(_from_handshake, websocket, context)
    if principal is not None:
        return principal
    ticket = await _ticket_message(websocket, context.settings.realtime.auth_timeout_seconds)
    if ticket is None:
        return None
    return await run_in_threadpool(_redeem, context, ticket)


def _from_handshake(websocket: WebSocket, context: AppContext) -> Principal | None:
    """A bearer token (scripts) or the ``/ws`` cookie (browsers)."""
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    cookie = websocket.cookies.get(WS_COOKIE)
    with context.db.read() as session:
        if scheme.lower() == "bearer" and token:
            try:
                found = authenticate_bearer(session, context.settings, token.strip())
            except NotAuthenticated:
                return None
            return Principal.of(found.user, api_token_id=found.api_token_id)
        if cookie:
            return principal_from_cookie(session, context.settings, cookie)
    return None


async def _ticket_message(websocket: WebSocket, timeout: float) -> str | None:
    try:
        message = await asyncio.wait_for(websocket.receive(), timeout)
    except TimeoutError:
        return None
    text = message.get("text")
    if not isinstance(text, str) or len(text) > MAX_AUTH_MESSAGE:
        return None
    try:
        parsed = client_message.validate_python(json.loads(text))
    except (ValueError, ValidationError):
        return None
    return parsed.ticket if isinstance(parsed, AuthMessage) else None


def _redeem(context: AppContext, ticket: str) -> Principal | None:
    with context.db.session() as session:
        return redeem_ticket(session, ticket)
