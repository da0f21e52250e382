"""The media token: what the media cookie carries, so ``<video>`` and ``<img>`` (which
cannot send an Authorization header) can stream a library file.

It is issued with every token pair, from the fresh access token's claims, and checked
like one: a disabled user, a bumped token version (logout, password change) or an ended
login session (also one revoked for a replayed refresh token) refuse it at once. It lives
longer than an access token (a film outlasts one) but far shorter than a refresh token.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from mediadl.auth.sessions import session_is_live
from mediadl.auth.tokens import MEDIA_TOKEN_TYPE, decode_access_token, sign_claims
from mediadl.core.errors import NotAuthenticated
from mediadl.core.settings import Settings
from mediadl.db.models import User

MEDIA_TOKEN_LIFETIME = timedelta(hours=12)
MEDIA_REFUSED = ("Your media cookie is not valid or has expired; log in again or send "
                 "'Authorization: Bearer <access token>'.")


def media_token_for(settings: Settings, access_token: str) -> str:
    """A media token for the same user, token version and session as ``access_token``."""
    claims = decode_access_token(settings, access_token)
    return sign_claims(settings, claims, MEDIA_TOKEN_TYPE, MEDIA_TOKEN_LIFETIME)


def media_token_user(session: Session, settings: Settings, token: str) -> User:
    """The active user a media token belongs to; NotAuthenticated when it is refused."""
    try:
        claims = decode_access_token(settings, token, MEDIA_TOKEN_TYPE)
    except NotAuthenticated as error:
        raise NotAuthenticated(MEDIA_REFUSED) from error
    user = session.get(User, claims.user_id)
    if user is None or not user.is_active or user.token_version != claims.token_version:
        raise NotAuthenticated(MEDIA_REFUSED)
    if claims.session_id is not None and not session_is_live(session, claims.session_id,
                                                             user.id):
        raise NotAuthenticated(MEDIA_REFUSED)
    return user
