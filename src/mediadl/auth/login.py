"""The flows that check a password: login, password change, turning two-factor off.

Each is throttled (``security.throttle``) and recorded in the activity log. They use
short transactions on purpose: the slow Argon2 check runs in a read session so it never
holds SQLite's write lock, and a failure is recorded (and committed) before the error
goes out.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediadl.auth import service, totp
from mediadl.auth.passwords import hash_password
from mediadl.auth.service import TokenPair, VerifiedLogin
from mediadl.auth.sessions import ClientInfo
from mediadl.core.clock import utcnow
from mediadl.core.errors import Forbidden, InvalidCredentials
from mediadl.core.settings import Settings
from mediadl.db.models import User
from mediadl.db.session import Database
from mediadl.security import activity, throttle
from mediadl.security.activity import Actor

WRONG_CODE = "The two-factor code is not right or was already used."
WRONG_PASSWORD = "Your current password is not right."  # noqa: S105 (a message)


@dataclass(frozen=True)
class PasswordCheck:
    """Who claims to be whom, from where."""

    username: str
    password: str
    client: ClientInfo


def log_in(db: Database, settings: Settings, attempt: PasswordCheck,
           code: str | None) -> TokenPair:
    """A token pair for a correct name, password and (when on) two-factor code."""
    verified = _check_password(db, settings, attempt, "login")
    with db.session() as session:
        needs_code = totp.is_enabled(session, verified.user_id)
        passed = not needs_code or (code is not None
                                    and totp.use_code(session, settings, verified.user_id, code))
        if passed:
            pair = service.start_session(session, settings, verified, attempt.client)
            throttle.clear_account(session, attempt.username)
            actor = Actor.of(session.get(User, verified.user_id), attempt.client.address)
            activity.record(session, actor, activity.LOGIN)
            return pair
    if code is None:
        raise totp.TotpRequired()
    _record_failure(db, settings, attempt, "login", "totp")
    raise InvalidCredentials(WRONG_CODE)


def change_password(db: Database, settings: Settings, user: User, current: str, new: str,
                    client: ClientInfo) -> TokenPair:
    """New password, every session ended, and a fresh session for the caller."""
    service.check_password_rules(settings, new)
    attempt = PasswordCheck(user.username, current, client)
    verified = _check_password(db, settings, attempt, "password_change",
                               refusal=Forbidden(WRONG_PASSWORD))
    new_hash = hash_password(settings.auth, new)
    with db.session() as session:
        service.change_password(session, settings, verified, new_hash)
        fresh = VerifiedLogin(verified.user_id, new_hash, None)
        pair = service.start_session(session, settings, fresh, client)
        activity.record(session, Actor.of(user, client.address), activity.PASSWORD_CHANGED)
    return pair


def disable_totp(db: Database, settings: Settings, user: User, password: str | None,
                 code: str | None, client: ClientInfo) -> None:
    """Two-factor off, proven by the password or a current code."""
    attempt = PasswordCheck(user.username, password or "", client)
    if password is not None:
        _check_password(db, settings, attempt, "totp_disable",
                        refusal=Forbidden(WRONG_PASSWORD))
    with db.session() as session:
        proven = password is not None or (
            code is not None and totp.use_code(session, settings, user.id, code))
        if proven:
            totp.disable(session, user.id)
            activity.record(session, Actor.of(user, client.address), activity.TOTP_DISABLED)
            return
    _record_failure(db, settings, attempt, "totp_disable", "totp")
    raise Forbidden(WRONG_CODE)


def _check_password(db: Database, settings: Settings, attempt: PasswordCheck, purpose: str,
                    refusal: Exception | None = None) -> VerifiedLogin:
    keys = throttle.login_keys(attempt.username, attempt.client.address or "")
    with db.read() as session:
        throttle.refuse_if_waiting(session, keys, utcnow())
        try:
            return service.authenticate(session, settings, attempt.username, attempt.password)
        except InvalidCredentials:
            pass
    _record_failure(db, settings, attempt, purpose, "password")
    raise refusal or InvalidCredentials()


def _record_failure(db: Database, settings: Settings, attempt: PasswordCheck, purpose: str,
                    factor: str) -> None:
    with db.session() as session:
        throttle.record_failure(session, settings.security, attempt.username,
                                attempt.client.address or "", utcnow())
        user = service.find_user_by_username(session, attempt.username)
        actor = Actor.of(user, attempt.client.address, username=attempt.username)
        activity.record(session, actor, activity.LOGIN_FAILED, purpose=purpose, factor=factor)
