"""``/ws/downloads``, ``/ws/queue``, ``/ws/logs`` and ``POST /api/v1/auth/ws-ticket``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, WebSocket

from mediadl.app_context import DatabaseDep, SettingsDep
from mediadl.auth.deps import CurrentUser
from mediadl.core.settings import Settings
from mediadl.db.models import User
from mediadl.realtime.schemas import TicketOut
from mediadl.realtime.server import SocketServer
from mediadl.realtime.sockets import Stream
from mediadl.realtime.tickets import WS_COOKIE, cookie_seconds, cookie_value, issue_ticket

WS_PATH = "/ws"

ws_router = APIRouter(prefix=WS_PATH)
ticket_router = APIRouter(prefix="/auth", tags=["auth"])


@ws_router.websocket("/downloads")
async def downloads_socket(websocket: WebSocket) -> None:
    await SocketServer.of(websocket.app).serve(websocket, Stream.DOWNLOADS)


@ws_router.websocket("/queue")
async def queue_socket(websocket: WebSocket) -> None:
    await SocketServer.of(websocket.app).serve(websocket, Stream.QUEUE)


@ws_router.websocket("/logs")
async def logs_socket(websocket: WebSocket) -> None:
    await SocketServer.of(websocket.app).serve(websocket, Stream.LOGS)


@ticket_router.post("/ws-ticket", response_model=TicketOut,
                    summary="A one-time ticket (and a /ws cookie) to open WebSockets")
def issue_ws_ticket(user: CurrentUser, request: Request, response: Response,
                    db: DatabaseDep, settings: SettingsDep) -> TicketOut:
    with db.session() as session:
        issued = issue_ticket(session, settings, user)
    _set_ws_cookie(response, request, settings, user)
    response.headers["Cache-Control"] = "no-store"
    return TicketOut(ticket=issued.ticket, expires_in=issued.expires_in)


def _set_ws_cookie(response: Response, request: Request, settings: Settings,
                   user: User) -> None:
    # Scoped to the sockets, so it never authenticates an API request.
    root_path = str(request.scope.get("root_path", "")).rstrip("/")
    response.set_cookie(WS_COOKIE, cookie_value(settings, user),
                        max_age=cookie_seconds(settings), path=root_path + WS_PATH,
                        httponly=True, secure=request.url.scheme == "https",
                        samesite="strict")
