"""CORS against the live allowlist (``cors_origins``), looked up on every request.

The list can change at run time (``PATCH /api/v1/settings``, ADR 0006), so it is read from
the process's settings object per request instead of being copied at start-up. Only an
origin on the list, compared exactly, is ever named in ``Access-Control-Allow-Origin``;
anything else gets no CORS headers at all, and a preflight from it is refused. No
credentials: the refresh cookie never travels cross-site (other sites use bearer tokens).
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediadl.core.settings import Settings
from mediadl.security.origins import ORIGIN_PATTERN

CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
CORS_HEADERS = ("Authorization", "Content-Type", "Range", "Idempotency-Key")
CORS_EXPOSED = ("Content-Disposition", "Content-Range", "Retry-After")
PREFLIGHT_MAX_AGE = 600
# Headers a browser may list in a preflight although they need no permission.
_SAFELISTED = ("Accept", "Accept-Language", "Content-Language")
_ALLOWED_HEADERS = frozenset(name.lower() for name in (*CORS_HEADERS, *_SAFELISTED))


def allowed_origins(settings: Settings) -> frozenset[str]:
    """The allowlist as exact, lower-case origins. Entries that are not an origin (a hand-
    edited '*', say) match nothing: a wildcard is never honoured."""
    cleaned = (origin.strip().rstrip("/").lower() for origin in settings.cors_origins)
    return frozenset(origin for origin in cleaned if ORIGIN_PATTERN.fullmatch(origin))


def is_preflight(scope: Scope, headers: Headers) -> bool:
    return scope["method"] == "OPTIONS" and "access-control-request-method" in headers


def preflight_refusal(headers: Headers) -> str | None:
    """Why a preflight from a listed origin is refused, or None when it may go ahead."""
    method = headers["access-control-request-method"].strip().upper()
    if method not in CORS_METHODS:
        return f"The method {method} is not allowed cross-origin."
    asked = {name.strip().lower()
             for name in headers.get("access-control-request-headers", "").split(",")}
    unknown = sorted(asked - _ALLOWED_HEADERS - {""})
    if unknown:
        return f"The header {unknown[0]} is not allowed cross-origin."
    return None


def preflight_answer(origin: str) -> Response:
    return Response(status_code=204, headers={
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": ", ".join(CORS_METHODS),
        "Access-Control-Allow-Headers": ", ".join(CORS_HEADERS),
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
        "Vary": "Origin",
    })


def refused_preflight(detail: str) -> JSONResponse:
    return JSONResponse({"error": "Forbidden", "detail": detail}, status_code=403,
                        headers={"Vary": "Origin"})


class LiveCORSMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin", "").strip().lower()
        if not origin:
            await self.app(scope, receive, send)
            return
        listed = origin in allowed_origins(self.settings)
        if is_preflight(scope, headers):
            await self._preflight(origin, listed, headers)(scope, receive, send)
            return
        await self.app(scope, receive, self._with_cors(origin if listed else None, send))

    @staticmethod
    def _preflight(origin: str, listed: bool, headers: Headers) -> Response:
        if not listed:
            return refused_preflight("This origin may not call the API cross-origin; an "
                                     "admin can add it to the CORS allowlist.")
        refusal = preflight_refusal(headers)
        return refused_preflight(refusal) if refusal else preflight_answer(origin)

    @staticmethod
    def _with_cors(origin: str | None, send: Send) -> Send:
        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers.add_vary_header("Origin")
                if origin is not None:
                    response_headers["Access-Control-Allow-Origin"] = origin
                    response_headers["Access-Control-Expose-Headers"] = ", ".join(CORS_EXPOSED)
            await send(message)

        return send_with_cors
