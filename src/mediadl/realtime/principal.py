"""Who is on the other end of a socket, as checked when it was opened."""

from __future__ import annotations

from dataclasses import dataclass

from mediadl.db.models import User


@dataclass(frozen=True)
class Principal:
    user_id: int
    is_admin: bool
    # The user's token_version at authentication: a logout or password change bumps it,
    # and the socket is closed.
    token_version: int
    # Opened with an API token: the socket ends when the token is deleted or expires.
    api_token_id: int | None = None

    @classmethod
    def of(cls, user: User, api_token_id: int | None = None) -> Principal:
        return cls(user.id, user.is_admin, user.token_version, api_token_id)

    def still_valid(self, user: User | None, live_api_tokens: set[int]) -> bool:
        token_ok = self.api_token_id is None or self.api_token_id in live_api_tokens
        return (user is not None and user.is_active and user.is_admin == self.is_admin
                and user.token_version == self.token_version and token_ok)
