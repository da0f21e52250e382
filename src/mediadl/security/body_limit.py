"""One cap on the size of every request body, before any route reads it.

A declared ``Content-Length`` over the cap is refused at once, unread. A body without one
(chunked) is counted as it streams in; at the first chunk past the cap the client gets the
413 and the route sees a disconnected client, so nothing it answers reaches the wire.
A plain ASGI middleware, so uploads still stream through untouched below the cap.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediadl.core.errors import PayloadTooLarge
from mediadl.core.settings import Settings

DISCONNECT: Message = {"type": "http.disconnect"}


def too_large(limit: int) -> JSONResponse:
    error = PayloadTooLarge(f"The request body is larger than {limit} bytes; send less at "
                            "once (an admin can raise MEDIADL_SECURITY__MAX_BODY_BYTES).")
    return JSONResponse({"error": error.name, "detail": error.detail},
                        status_code=error.status_code, headers={"Connection": "close"})


def declared_length(scope: Scope) -> int | None:
    """The Content-Length the client announced, when it is a plain number."""
    value = Headers(scope=scope).get("content-length", "").strip()
    return int(value) if value.isdigit() else None


@dataclass
class _Transfer:
    """One request's body count and whether the 413 already went out."""

    limit: int
    received: int = 0
    refused: bool = False
    started: bool = False


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Read per request: the limit is a setting like any other.
        limit = self.settings.security.max_body_bytes
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            await too_large(limit)(scope, receive, send)
            return
        transfer = _Transfer(limit)
        try:
            await self.app(scope, self._counting(transfer, receive, send),
                           self._unless_refused(transfer, send))
        except Exception:
            # The route failed on the cut-off body; the client already has its answer.
            if not transfer.refused:
                raise

    def _counting(self, transfer: _Transfer, receive: Receive, send: Send) -> Receive:
        async def counting_receive() -> Message:
            if transfer.refused:
                return DISCONNECT
            message = await receive()
            if message["type"] == "http.request":
                transfer.received += len(message.get("body", b""))
                if transfer.received > transfer.limit:
                    await self._refuse(transfer, send)
                    return DISCONNECT
            return message

        return counting_receive

    async def _refuse(self, transfer: _Transfer, send: Send) -> None:
        transfer.refused = True
        if transfer.started:
            return  # the route answered before reading it all; nothing more can be said
        response = too_large(transfer.limit)
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})

    @staticmethod
    def _unless_refused(transfer: _Transfer, send: Send) -> Send:
        async def guarded_send(message: Message) -> None:
            if transfer.refused:
                return
            if message["type"] == "http.response.start":
                transfer.started = True
            await send(message)

        return guarded_send
