"""FastAPI dependencies: who is calling, and may they do admin work.

Feature routes declare ``user: CurrentUser`` or ``admin: AdminUser``; nothing else reads
the Authorization header. The two library file routes declare ``MediaReader``, the only
one that also takes the media cookie. Routes that manage credentials declare ``InteractiveUser``:
an API token (a script) may not mint more tokens, change the password or turn off
two-factor login, so a leaked token cannot be turned into a lasting takeover.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from mediadl.app_context import DatabaseDep, SettingsDep
from mediadl.auth import api_tokens, service
from mediadl.auth.cookies import MEDIA_COOKIE
from mediadl.auth.media import media_token_user
from mediadl.auth.service import Authenticated
from mediadl.auth.sessions import ClientInfo
from mediadl.core.errors import Forbidden, NotAuthenticated
from mediadl.db.models import User
from mediadl.security.client import client_address

# auto_error off: a missing header must become our own 401 body, not FastAPI's. The scheme
# object also puts the "Authorize" button into the OpenAPI docs.
_bearer_scheme = HTTPBearer(auto_error=False,
                            description="An access token or an API token (mdl_...).")
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)]
# Declared in OpenAPI (as an alternative to the bearer) on the operations that take it.
_media_cookie_scheme = APIKeyCookie(
    name=MEDIA_COOKIE, scheme_name="MediaCookie", auto_error=False,
    description="Set by login and refresh; lets <video> and <img> load library files.")
MediaCookie = Annotated[str | None, Depends(_media_cookie_scheme)]


def current_auth(db: DatabaseDep, settings: SettingsDep,
                 credentials: BearerCredentials) -> Authenticated:
    """The logged-in, active caller; 401 with ``WWW-Authenticate: Bearer`` otherwise."""
    if credentials is None:
        raise NotAuthenticated("Log in first: send 'Authorization: Bearer <access token>'.",
                               headers={"WWW-Authenticate": "Bearer"})
    with db.read() as session:
        auth = service.authenticate_bearer(session, settings, credentials.credentials)
    if auth.api_token_id is not None:
        api_tokens.touch_api_token(db, auth.api_token_id, auth.token_last_used_at)
    return auth


CurrentAuth = Annotated[Authenticated, Depends(current_auth)]


def current_user(auth: CurrentAuth) -> User:
    return auth.user


CurrentUser = Annotated[User, Depends(current_user)]


def media_reader(db: DatabaseDep, settings: SettingsDep, credentials: BearerCredentials,
                 cookie: MediaCookie) -> User:
    """The bearer as everywhere; without one, the media cookie. A bearer that is sent
    decides alone, so a bad header is never rescued by a cookie."""
    if credentials is not None or not cookie:
        return current_auth(db, settings, credentials).user
    with db.read() as session:
        return media_token_user(session, settings, cookie)


MediaReader = Annotated[User, Depends(media_reader)]


def require_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("Only an admin can do this.")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


def require_interactive(auth: CurrentAuth) -> User:
    if auth.is_api_token:
        raise Forbidden("API tokens cannot manage credentials; log in with your password.")
    return auth.user


InteractiveUser = Annotated[User, Depends(require_interactive)]


def client_info(request: Request, settings: SettingsDep) -> ClientInfo:
    return ClientInfo(address=client_address(request, settings),
                      user_agent=request.headers.get("user-agent"))


Client = Annotated[ClientInfo, Depends(client_info)]
