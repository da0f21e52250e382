"""Two-factor login with time-based one-time codes (RFC 6238) and recovery codes.

The secret is sealed at rest (``security.sealing``). A code is accepted for the current
30-second step and one step either side (clock drift), and never twice: the step of the
last accepted code is stored and only later steps pass. Recovery codes are single-use and
stored as sha256 hashes (80 random bits each, so a fast hash is enough).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from mediadl.core.clock import utcnow
from mediadl.core.errors import Conflict, InvalidPayload, NotAuthenticated
from mediadl.core.settings import Settings
from mediadl.db.models import User
from mediadl.db.models.security import RecoveryCode, TotpCredential
from mediadl.db.session import affected_rows
from mediadl.security.sealing import SealError, open_sealed, seal

log = logging.getLogger(__name__)

SEAL_PURPOSE = "totp-secret"
STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_RECOVERY_LENGTH = 16  # 80 bits


class TotpRequired(NotAuthenticated):
    default_detail = ("This account uses two-factor login: send the code from your "
                      "authenticator app (or a recovery code) as 'totp'.")


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    provisioning_uri: str


# --- setting up ----------------------------------------------------------------------------


def credential(session: Session, user_id: int) -> TotpCredential | None:
    return session.get(TotpCredential, user_id)


def is_enabled(session: Session, user_id: int) -> bool:
    row = credential(session, user_id)
    return row is not None and row.enabled_at is not None


def enabled_user_ids(session: Session) -> set[int]:
    statement = select(TotpCredential.user_id).where(TotpCredential.enabled_at.is_not(None))
    return set(session.scalars(statement))


def start_setup(session: Session, settings: Settings, user: User) -> TotpSetup:
    """A new secret, not in force until ``enable`` sees a valid code from it."""
    row = credential(session, user.id)
    if row is not None and row.enabled_at is not None:
        raise Conflict("Two-factor login is already on; turn it off first to set it up again.")
    secret = pyotp.random_base32()
    sealed = seal(settings, secret.encode(), SEAL_PURPOSE)
    if row is None:
        session.add(TotpCredential(user_id=user.id, sealed_secret=sealed, created_at=utcnow()))
    else:
        row.sealed_secret, row.created_at, row.last_used_step = sealed, utcnow(), None
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username,
                                               issuer_name=settings.auth.issuer)
    return TotpSetup(secret=secret, provisioning_uri=uri)


def enable(session: Session, settings: Settings, user_id: int, code: str) -> list[str]:
    """Turn two-factor login on after a valid code; returns fresh recovery codes."""
    row = credential(session, user_id)
    if row is None:
        raise Conflict("Set up two-factor login first (POST /api/v1/auth/totp/setup).")
    if row.enabled_at is not None:
        raise Conflict("Two-factor login is already on.")
    step = matching_step(_secret(settings, row), code)
    if step is None:
        raise InvalidPayload("code: that code is not right; check that your device's clock "
                             "is correct and enter the current code.")
    row.enabled_at, row.last_used_step = utcnow(), step
    return replace_recovery_codes(session, user_id)


def disable(session: Session, user_id: int) -> None:
    session.execute(delete(TotpCredential).where(TotpCredential.user_id == user_id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def replace_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user_id, code_hash=_code_hash(code)) for code in codes)
    session.flush()
    return codes


def recovery_codes_left(session: Session, user_id: int) -> int:
    statement = (select(func.count()).select_from(RecoveryCode)
                 .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)))
    return int(session.scalar(statement) or 0)


# --- checking codes ------------------------------------------------------------------------


def use_code(session: Session, settings: Settings, user_id: int, code: str) -> bool:
    """Accept a current TOTP code or an unused recovery code, once; False otherwise."""
    row = credential(session, user_id)
    if row is None or row.enabled_at is None:
        return False
    step = matching_step(_secret(settings, row), code)
    if step is not None:
        return _claim_step(session, user_id, step)
    return _use_recovery_code(session, user_id, code)


def matching_step(secret: str | None, code: str, now: float | None = None) -> int | None:
    """The time step whose code ``code`` is, within the allowed drift; None if none."""
    code = code.strip().replace(" ", "")
    if secret is None or len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


def _claim_step(session: Session, user_id: int, step: int) -> bool:
    """Atomically move last_used_step forward; False when this step (or a later one) was
    already used, i.e. the code is being replayed."""
    result = session.execute(
        update(TotpCredential)
        .where(TotpCredential.user_id == user_id,
               or_(TotpCredential.last_used_step.is_(None),
                   TotpCredential.last_used_step < step))
        .values(last_used_step=step).execution_options(synchronize_session=False))
    return affected_rows(result) == 1


def _use_recovery_code(session: Session, user_id: int, code: str) -> bool:
    result = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == _code_hash(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    return affected_rows(result) == 1


def _code_hash(code: str) -> str:
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def _secret(settings: Settings, row: TotpCredential) -> str | None:
    try:
        return open_sealed(settings, row.sealed_secret, SEAL_PURPOSE).decode()
    except SealError:
        # The instance secret changed: codes cannot be checked; recovery codes still work.
        log.warning("the TOTP secret of user %s cannot be opened", row.user_id)
        return None
