"""The refresh-token cookie: HttpOnly, SameSite=Strict, Secure over https, and sent only
to the auth routes."""

from __future__ import annotations

from fastapi import Request, Response

from mediadl.auth.schemas import TokenPairResponse
from mediadl.auth.service import TokenPair
from mediadl.core.settings import Settings

REFRESH_COOKIE = "mediadl_refresh"
# Where the router is mounted (API prefix + "/auth"); the cookie goes nowhere else.
REFRESH_COOKIE_PATH = "/api/v1/auth"


def token_answer(pair: TokenPair, request: Request, response: Response,
                 settings: Settings) -> TokenPairResponse:
    """The pair as JSON, the refresh token also as the cookie."""
    response.set_cookie(
        REFRESH_COOKIE, pair.refresh_token,
        max_age=settings.auth.refresh_token_days * 24 * 3600,
        path=cookie_path(request), httponly=True, secure=is_https(request),
        samesite="strict",
    )
    # Tokens must not sit in a proxy or browser cache.
    response.headers["Cache-Control"] = "no-store"
    return TokenPairResponse(access_token=pair.access_token, refresh_token=pair.refresh_token,
                             expires_in=pair.expires_in)


def clear_refresh_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(REFRESH_COOKIE, path=cookie_path(request), httponly=True,
                           secure=is_https(request), samesite="strict")


def cookie_path(request: Request) -> str:
    # Behind a proxy that mounts the app under a sub-path, the browser sees that prefix too.
    root_path = str(request.scope.get("root_path", "")).rstrip("/")
    return root_path + REFRESH_COOKIE_PATH


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"
