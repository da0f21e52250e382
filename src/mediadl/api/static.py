"""The web UI on the app's own port: the files ``frontend/`` builds into ``mediadl/static``.

It answers whatever no route matched (the router's ``default``), so it needs no place in
the route order and can never shadow an API route, a WebSocket or a 405 answer:

- files under ``/assets/`` carry a content hash in their name and are cached for a year;
- ``index.html``, the service worker and the manifest are revalidated on every load, so a
  new release shows up at once;
- any other path that looks like a page is a client route and gets ``index.html``; paths
  under ``/api/`` and ``/ws/`` and the ``/health`` and ``/metrics`` endpoints never do;
- without a built UI, pages answer with a short explanation instead.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
INDEX = "index.html"
RESERVED_PREFIXES = ("/api/", "/ws/")
RESERVED_PATHS = frozenset({"/api", "/ws", "/health", "/metrics"})
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
ONE_DAY = "public, max-age=86400"
ALWAYS_REVALIDATED = frozenset({INDEX, "sw.js", "manifest.webmanifest"})
# Types Python's mimetypes table may not know or may get wrong on some systems.
MEDIA_TYPES = {
    ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
    ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml",
    ".woff2": "font/woff2", ".woff": "font/woff", ".png": "image/png", ".json": "application/json",
}
NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>mediadl: web UI not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;
line-height:1.5}code{background:#eee;padding:.1em .3em;border-radius:3px}</style></head>
<body><h1>The mediadl web UI is not built</h1>
<p>The server runs, but the files of its web interface are missing. Build them from a source
checkout with <code>make install</code> (it runs <code>npm ci</code> and
<code>npm run build</code> in <code>frontend/</code>), then restart <code>mediadl serve</code>.</p>
<p>The API works meanwhile: see <a href="/api/v1/docs">/api/v1/docs</a> and
<a href="/health">/health</a>.</p></body></html>
"""


def is_reserved(path: str) -> bool:
    """Paths that belong to the API side: they never get the page, only a 404."""
    return path in RESERVED_PATHS or path.startswith(RESERVED_PREFIXES)


def looks_like_file(path: str) -> bool:
    """A missing ``/assets/x.js`` is a 404, not a page: a stale tab must not get HTML."""
    return path.startswith("/assets/") or "." in PurePosixPath(path).name


def cache_control(relative: str) -> str:
    if relative.startswith("assets/"):
        return IMMUTABLE
    return REVALIDATE if relative in ALWAYS_REVALIDATED else ONE_DAY


class StaticUI:
    """ASGI app for everything the routes did not claim."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self.directory = directory.resolve()

    @property
    def built(self) -> bool:
        return (self.directory / INDEX).is_file()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await WebSocketClose()(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        response = self.respond(scope["path"], scope["method"], _request_headers(scope))
        await response(scope, receive, send)

    def respond(self, path: str, method: str, headers: dict[str, str]) -> Response:
        if is_reserved(path):
            raise HTTPException(404, "There is no such API endpoint on this server.")
        if method not in ("GET", "HEAD"):
            raise HTTPException(405, "Pages of the web UI can only be read.",
                                headers={"Allow": "GET, HEAD"})
        target = self.file_for(path)
        if target is not None:
            return self.file_response(target, headers)
        if looks_like_file(path):
            raise HTTPException(404, "There is no such file.")
        if not self.built:
            return HTMLResponse(NOT_BUILT_PAGE, status_code=503,
                                headers={"Cache-Control": "no-store"})
        return self.file_response(self.directory / INDEX, headers)

    def file_for(self, path: str) -> Path | None:
        """The built file a path names, refusing anything outside the folder."""
        parts = PurePosixPath(path).parts[1:]
        if not parts or any(part.startswith(".") for part in parts):
            return None
        candidate = self.directory.joinpath(*parts).resolve()
        if not candidate.is_relative_to(self.directory) or not candidate.is_file():
            return None
        return candidate

    def file_response(self, target: Path, headers: dict[str, str]) -> Response:
        relative = target.relative_to(self.directory).as_posix()
        response = FileResponse(target, media_type=MEDIA_TYPES.get(target.suffix),
                                headers={"Cache-Control": cache_control(relative)},
                                stat_result=target.stat())
        etag = response.headers.get("etag")
        if etag and etag in _etags(headers.get("if-none-match", "")):
            return Response(status_code=304, headers={
                "ETag": etag, "Cache-Control": response.headers["cache-control"]})
        return response


def _request_headers(scope: Scope) -> dict[str, str]:
    return {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def install_static_ui(app: FastAPI, directory: Path = STATIC_DIR) -> None:
    """Serve the built UI for every request no route of ``app`` answers."""
    app.router.default = StaticUI(directory)
