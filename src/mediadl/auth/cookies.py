"""The auth cookies, each HttpOnly, SameSite=Strict, Secure over https and sent only where
it is read:

- the refresh-token cookie, to the auth routes;
- the media cookie (a media token, see ``auth.media``), to the library, where only the
  file and thumbnail routes accept it, so ``<video>`` and ``<img>`` can stream.
"""

from __future__ import annotations

from fastapi import Request, Response

from mediadl.auth.media import MEDIA_TOKEN_LIFETIME, media_token_for
from mediadl.auth.schemas import TokenPairResponse
from mediadl.auth.service import TokenPair
from mediadl.core.settings import Settings

REFRESH_COOKIE = "mediadl_refresh"
# Where the router is mounted (API prefix + "/auth"); the cookie goes nowhere else.
REFRESH_COOKIE_PATH = "/api/v1/auth"
MEDIA_COOKIE = "mediadl_media"
MEDIA_COOKIE_PATH = "/api/v1/downloads"


def token_answer(pair: TokenPair, request: Request, response: Response,
                 settings: Settings) -> TokenPairResponse:
    """The pair as JSON, the refresh token also as the cookie, and a fresh media cookie."""
    _set_cookie(request, response, REFRESH_COOKIE, pair.refresh_token, REFRESH_COOKIE_PATH,
                settings.auth.refresh_token_days * 24 * 3600)
    _set_cookie(request, response, MEDIA_COOKIE,
                media_token_for(settings, pair.access_token), MEDIA_COOKIE_PATH,
                int(MEDIA_TOKEN_LIFETIME.total_seconds()))
    # Tokens must not sit in a proxy or browser cache.
    response.headers["Cache-Control"] = "no-store"
    return TokenPairResponse(access_token=pair.access_token, refresh_token=pair.refresh_token,
                             expires_in=pair.expires_in)


def clear_auth_cookies(request: Request, response: Response) -> None:
    for name, path in ((REFRESH_COOKIE, REFRESH_COOKIE_PATH), (MEDIA_COOKIE, MEDIA_COOKIE_PATH)):
        response.delete_cookie(name, path=mounted_path(request, path), httponly=True,
                               secure=is_https(request), samesite="strict")


def _set_cookie(request: Request, response: Response, name: str, value: str, path: str,
                max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path=mounted_path(request, path),
                        httponly=True, secure=is_https(request), samesite="strict")


def mounted_path(request: Request, path: str) -> str:
    # Behind a proxy that mounts the app under a sub-path, the browser sees that prefix too.
    root_path = str(request.scope.get("root_path", "")).rstrip("/")
    return root_path + path


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"
