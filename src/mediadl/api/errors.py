"""The one place where errors become HTTP answers: ``{"error": Name, "detail": sentence}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mediadl.core.errors import MediadlError

log = logging.getLogger(__name__)

_HTTP_NAMES = {
    400: "BadRequest", 401: "NotAuthenticated", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 409: "Conflict", 413: "PayloadTooLarge", 415: "UnsupportedMediaType",
    416: "RangeNotSatisfiable", 422: "InvalidPayload", 429: "TooManyRequests",
}


def error_body(name: str, detail: str) -> dict[str, str]:
    return {"error": name, "detail": detail}


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for problem in exc.errors()[:5]:
        location = ".".join(str(p) for p in problem.get("loc", ()) if p != "body")
        message = str(problem.get("msg", "is not valid"))
        if problem.get("type") == "extra_forbidden":
            message = "is not a known field"
        parts.append(f"{location or 'body'}: {message}")
    return "; ".join(parts) + "."


async def _on_mediadl_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MediadlError)
    return JSONResponse(error_body(exc.name, exc.detail), status_code=exc.status_code,
                        headers=exc.headers)


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(error_body("InvalidPayload", _describe_validation(exc)), status_code=422)


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    name = _HTTP_NAMES.get(exc.status_code, "HTTPError")
    detail = exc.detail if isinstance(exc.detail, str) else name
    return JSONResponse(error_body(name, detail), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body("InternalError", "Something went wrong on the server."),
                        status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MediadlError, _on_mediadl_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
