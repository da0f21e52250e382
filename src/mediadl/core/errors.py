"""The one error tree. Each error knows its HTTP status; ``api`` renders them in one place."""

from __future__ import annotations


class MediadlError(Exception):
    status_code = 500
    default_detail = "Something went wrong on the server."

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail = detail or self.default_detail
        self.headers = headers or {}
        super().__init__(self.detail)

    @property
    def name(self) -> str:
        return type(self).__name__


class BadRequest(MediadlError):
    status_code = 400
    default_detail = "The request cannot be processed."


class UnsupportedURL(BadRequest):
    default_detail = "No engine can read this URL."


class NotAuthenticated(MediadlError):
    status_code = 401
    default_detail = "Log in first."


class InvalidCredentials(NotAuthenticated):
    default_detail = "Wrong username or password."


class Forbidden(MediadlError):
    status_code = 403
    default_detail = "You are not allowed to do this."


class NotFound(MediadlError):
    status_code = 404
    default_detail = "Not found."


class Conflict(MediadlError):
    status_code = 409
    default_detail = "This conflicts with the current state."


class PayloadTooLarge(MediadlError):
    status_code = 413
    default_detail = "The request is too large."


class InvalidPayload(MediadlError):
    status_code = 422
    default_detail = "The request body is not valid."


class RangeNotSatisfiable(MediadlError):
    status_code = 416
    default_detail = "The requested byte range is outside the file."


class TooManyRequests(MediadlError):
    status_code = 429
    default_detail = "Too many requests; wait and try again."

    def __init__(self, detail: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
