"""``/auth/totp``: two-factor login for the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from mediadl.app_context import DatabaseDep, SettingsDep
from mediadl.auth import login as login_flow
from mediadl.auth import totp
from mediadl.auth.deps import Client, CurrentUser, InteractiveUser
from mediadl.auth.schemas import (
    RecoveryCodesOut,
    TotpDisable,
    TotpEnable,
    TotpSetupOut,
    TotpStatus,
)
from mediadl.core.errors import InvalidPayload
from mediadl.security import activity
from mediadl.security.activity import Actor

router = APIRouter(prefix="/totp")


@router.get("", response_model=TotpStatus, summary="Is two-factor login on?")
def totp_status(user: CurrentUser, db: DatabaseDep) -> TotpStatus:
    with db.read() as session:
        row = totp.credential(session, user.id)
        left = totp.recovery_codes_left(session, user.id)
    enabled = row is not None and row.enabled_at is not None
    return TotpStatus(enabled=enabled, pending=row is not None and not enabled,
                      recovery_codes_left=left)


@router.post("/setup", response_model=TotpSetupOut,
             summary="Start setting up two-factor login (a new secret, not yet in force)")
def totp_setup(user: InteractiveUser, db: DatabaseDep, settings: SettingsDep,
               response: Response) -> TotpSetupOut:
    with db.session() as session:
        setup = totp.start_setup(session, settings, user)
    response.headers["Cache-Control"] = "no-store"
    return TotpSetupOut(secret=setup.secret, provisioning_uri=setup.provisioning_uri)


@router.post("/enable", response_model=RecoveryCodesOut,
             summary="Turn two-factor login on with a current code; returns recovery codes")
def totp_enable(body: TotpEnable, user: InteractiveUser, db: DatabaseDep,
                settings: SettingsDep, client: Client, response: Response) -> RecoveryCodesOut:
    with db.session() as session:
        codes = totp.enable(session, settings, user.id, body.code)
        activity.record(session, Actor.of(user, client.address), activity.TOTP_ENABLED)
    response.headers["Cache-Control"] = "no-store"
    return RecoveryCodesOut(recovery_codes=codes)


@router.post("/disable", status_code=status.HTTP_204_NO_CONTENT,
             summary="Turn two-factor login off, proven by your password or a code")
def totp_disable(body: TotpDisable, user: InteractiveUser, db: DatabaseDep,
                 settings: SettingsDep, client: Client) -> Response:
    if body.password is None and body.code is None:
        raise InvalidPayload("Send your password or a current code to turn two-factor "
                             "login off.")
    login_flow.disable_totp(db, settings, user, body.password, body.code, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
