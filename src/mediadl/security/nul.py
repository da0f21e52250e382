"""Requests whose path or query string carries a NUL character are refused at the door.

No link, name or filter needs one, PostgreSQL cannot store or compare one in text, and a
NUL handed on to a file name or a subprocess is a classic truncation trick. Bodies are
covered by the request models (``core.schemas.RequestModel``).
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mediadl.core.schemas import NUL_REFUSED


def carries_nul(scope: Scope) -> bool:
    query = scope.get("query_string", b"").lower()
    return b"%00" in query or b"\x00" in query or "\x00" in scope.get("path", "")


class NulRefusingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and carries_nul(scope):
            if scope["type"] == "http":
                answer = JSONResponse({"error": "BadRequest", "detail": NUL_REFUSED},
                                      status_code=400)
                await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)
