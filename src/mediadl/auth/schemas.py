"""Request and response bodies of the auth and users API.

Field rules (username characters, password length, email shape) live in ``service`` so the
API and the command line enforce the same ones; these models only bound sizes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from mediadl.core.clock import isoformat
from mediadl.core.schemas import RequestModel, ResponseModel
from mediadl.db.models import User
from mediadl.db.models.security import ApiToken, AuthSession

# RequestModel strips whitespace from strings; a password is taken exactly as typed, or a
# password with a trailing space set from the command line could never log in via the API.
Password = Annotated[str, StringConstraints(strip_whitespace=False, max_length=1024)]
Role = Literal["admin", "user"]


class LoginRequest(RequestModel):
    username: str = Field(max_length=256)
    password: Password
    # A six-digit code or a recovery code; needed once two-factor login is on.
    totp: str | None = Field(None, max_length=32)


class RefreshTokenBody(RequestModel):
    """Body of refresh and logout; the token may come from the cookie instead."""

    refresh_token: str | None = Field(None, max_length=256)


class TokenPairResponse(ResponseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 type name)
    expires_in: int


class MeResponse(ResponseModel):
    id: int
    username: str
    email: str | None
    role: str


class UserResponse(ResponseModel):
    id: int
    username: str
    email: str | None
    role: str
    is_active: bool
    totp_enabled: bool
    created_at: str

    @classmethod
    def from_user(cls, user: User, totp_enabled: bool = False) -> UserResponse:
        return cls(id=user.id, username=user.username, email=user.email, role=user.role,
                   is_active=user.is_active, totp_enabled=totp_enabled,
                   created_at=isoformat(user.created_at) or "")


class UserCreate(RequestModel):
    username: str = Field(max_length=256)
    password: Password
    role: Role = "user"
    email: str | None = Field(None, max_length=254)


class UserUpdate(RequestModel):
    """Only the fields sent are changed; ``email: null`` clears the email."""

    role: Role | None = None
    is_active: bool | None = None
    password: Password | None = None
    email: str | None = Field(None, max_length=254)
    # true turns off the user's two-factor login (a lost phone); false is ignored.
    disable_totp: bool | None = None


class PasswordChange(RequestModel):
    current_password: Password
    new_password: Password


# --- API tokens ----------------------------------------------------------------------------


class ApiTokenCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class ApiTokenOut(ResponseModel):
    id: int
    name: str
    prefix: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None

    @classmethod
    def from_row(cls, row: ApiToken) -> ApiTokenOut:
        return cls(id=row.id, name=row.name, prefix=row.prefix,
                   created_at=isoformat(row.created_at) or "",
                   expires_at=isoformat(row.expires_at),
                   last_used_at=isoformat(row.last_used_at))


class ApiTokenCreated(ApiTokenOut):
    """The only answer that carries the token itself."""

    token: str


# --- two-factor ----------------------------------------------------------------------------

TotpCode = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class TotpSetupOut(ResponseModel):
    secret: str
    provisioning_uri: str


class TotpEnable(RequestModel):
    code: TotpCode


class RecoveryCodesOut(ResponseModel):
    recovery_codes: list[str]


class TotpDisable(RequestModel):
    """Proof that the caller is the account holder: the password or a current code."""

    password: Password | None = None
    code: TotpCode | None = None


class TotpStatus(ResponseModel):
    enabled: bool
    pending: bool
    recovery_codes_left: int


# --- sessions ------------------------------------------------------------------------------


class SessionOut(ResponseModel):
    id: int
    created_at: str
    last_used_at: str
    expires_at: str
    client_address: str | None
    user_agent: str | None
    current: bool

    @classmethod
    def from_row(cls, row: AuthSession, current_id: int | None) -> SessionOut:
        return cls(id=row.id, created_at=isoformat(row.created_at) or "",
                   last_used_at=isoformat(row.last_used_at) or "",
                   expires_at=isoformat(row.expires_at) or "",
                   client_address=row.client_address, user_agent=row.user_agent,
                   current=row.id == current_id)
