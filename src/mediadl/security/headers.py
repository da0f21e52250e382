"""Response headers for every page and answer, and the foreign-origin check for writes.

A plain ASGI middleware (not BaseHTTPMiddleware), so file and streaming responses pass
through untouched apart from their headers. A Content-Security-Policy a route sets itself
(the sandbox of library files) is kept.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediadl.core.errors import Forbidden
from mediadl.core.settings import Settings
from mediadl.security.origins import UNSAFE_METHODS, check_origin

# The web app: scripts and styles only from our own files (Vuetify injects its theme as a
# <style> element, hence 'unsafe-inline' for styles only), never framed, no <base> tricks.
# CSP3 lets 'self' in connect-src cover ws:/wss: of the same host (Chrome 71+, Firefox,
# Safari 16+), so the WebSockets need no entry of their own.
APP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
           "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
           "form-action 'self'")
# FastAPI's interactive API docs load Swagger UI from its CDN and start it with an inline
# script. The page shows only our own schema.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), payment=(), usb=()")
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, docs_path: str | None,
                 api_prefix: str) -> None:
        self.app = app
        self.settings = settings
        self.docs_path = docs_path
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._foreign_write(scope)
        if refusal is not None:
            await refusal(scope, receive, self._with_headers(scope, send))
            return
        await self.app(scope, receive, self._with_headers(scope, send))

    def _foreign_write(self, scope: Scope) -> JSONResponse | None:
        """A write a browser sends from another site is refused before any route runs."""
        if scope["method"] not in UNSAFE_METHODS:
            return None
        try:
            check_origin(HTTPConnection(scope), self.settings)
        except Forbidden as error:
            return JSONResponse({"error": error.name, "detail": error.detail}, status_code=403)
        return None

    def _with_headers(self, scope: Scope, send: Send) -> Send:
        path: str = scope["path"]
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add_headers(MutableHeaders(scope=message), path, https)
            await send(message)

        return send_with_headers

    def _add_headers(self, headers: MutableHeaders, path: str, https: bool) -> None:
        for name, value in COMMON_HEADERS.items():
            headers.setdefault(name, value)
        headers.setdefault("Content-Security-Policy",
                           DOCS_CSP if path == self.docs_path else APP_CSP)
        if path.startswith(self.api_prefix + "/"):
            # Answers are per user: no shared cache may keep them.
            headers.setdefault("Cache-Control", "no-store")
        if https and self.settings.security.hsts_seconds:
            headers.setdefault("Strict-Transport-Security",
                               f"max-age={self.settings.security.hsts_seconds}")
