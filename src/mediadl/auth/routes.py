"""``/auth``: login, refresh, logout, me and password change; and the assembled router of
the whole auth package (tokens, two-factor, sessions, users).

Each route parses, authorises, calls the service and answers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Cookie, Request, Response, status

from mediadl.app_context import DatabaseDep, SettingsDep
from mediadl.auth import login as login_flow
from mediadl.auth import service
from mediadl.auth.cookies import REFRESH_COOKIE, clear_auth_cookies, token_answer
from mediadl.auth.deps import Client, CurrentAuth, CurrentUser, InteractiveUser
from mediadl.auth.schemas import (
    LoginRequest,
    MeResponse,
    PasswordChange,
    RefreshTokenBody,
    TokenPairResponse,
)
from mediadl.auth.session_routes import router as sessions_router
from mediadl.auth.token_routes import router as tokens_router
from mediadl.auth.totp_routes import router as totp_router
from mediadl.auth.user_routes import router as users_router
from mediadl.core.errors import NotAuthenticated
from mediadl.security import activity
from mediadl.security.activity import Actor
from mediadl.security.origins import check_cookie_request

REFRESH_REFUSED = "The refresh token is not valid, expired or already used; log in again."

OptionalTokenBody = Annotated[RefreshTokenBody | None, Body()]
RefreshCookie = Annotated[str | None, Cookie(alias=REFRESH_COOKIE)]

auth_router = APIRouter(prefix="/auth", tags=["auth"])


@auth_router.post("/login", response_model=TokenPairResponse)
def login(body: LoginRequest, request: Request, response: Response, db: DatabaseDep,
          settings: SettingsDep, client: Client) -> TokenPairResponse:
    attempt = login_flow.PasswordCheck(body.username, body.password, client)
    pair = login_flow.log_in(db, settings, attempt, body.totp)
    return token_answer(pair, request, response, settings)


@auth_router.post("/refresh", response_model=TokenPairResponse)
def refresh(request: Request, response: Response, db: DatabaseDep, settings: SettingsDep,
            client: Client, body: OptionalTokenBody = None,
            cookie: RefreshCookie = None) -> TokenPairResponse:
    token = _refresh_token_from(body, None)
    if token is None and cookie:
        # The cookie alone authenticates this write: prove it is our own page asking.
        check_cookie_request(request, settings)
        token = cookie
    if token is None:
        raise NotAuthenticated("Send a refresh token in the body or the refresh cookie.")
    with db.session() as session:
        pair = service.rotate_refresh_token(session, settings, token, client)
    # Raised only after the commit: refusing a replayed token revokes its family, and that
    # revocation must stick.
    if pair is None:
        raise NotAuthenticated(REFRESH_REFUSED)
    return token_answer(pair, request, response, settings)


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(auth: CurrentAuth, request: Request, db: DatabaseDep, client: Client,
           body: OptionalTokenBody = None, cookie: RefreshCookie = None) -> Response:
    with db.session() as session:
        service.logout(session, auth.user.id, _refresh_token_from(body, cookie),
                       auth.session_id)
        activity.record(session, Actor.of(auth.user, client.address), activity.LOGOUT)
    answer = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_auth_cookies(request, answer)
    return answer


@auth_router.get("/me", response_model=MeResponse)
def me(user: CurrentUser) -> MeResponse:
    return MeResponse.model_validate(user)


@auth_router.post("/password", response_model=TokenPairResponse,
                  summary="Change your password; every other session ends")
def change_password(body: PasswordChange, user: InteractiveUser, request: Request,
                    response: Response, db: DatabaseDep, settings: SettingsDep,
                    client: Client) -> TokenPairResponse:
    pair = login_flow.change_password(db, settings, user, body.current_password,
                                      body.new_password, client)
    return token_answer(pair, request, response, settings)


def _refresh_token_from(body: RefreshTokenBody | None, cookie: str | None) -> str | None:
    # The body wins: a script names its token explicitly; a browser relies on the cookie.
    if body is not None and body.refresh_token:
        return body.refresh_token
    return cookie or None


auth_router.include_router(tokens_router)
auth_router.include_router(totp_router)
auth_router.include_router(sessions_router)

router = APIRouter()
router.include_router(auth_router)
router.include_router(users_router)
