"""Password hashing: Argon2id through pwdlib, with rehash-on-login when parameters change.

The cost comes from settings (``auth.argon2_time_cost`` / ``auth.argon2_memory_kib``);
the defaults are pwdlib's recommended parameters. A stored hash made with other
parameters still verifies, and ``verify_password`` hands back a fresh hash to store.
"""

from __future__ import annotations

from functools import cache

from pwdlib import PasswordHash
from pwdlib.exceptions import PwdlibError
from pwdlib.hashers.argon2 import Argon2Hasher

from mediadl.core.settings import AuthSettings

PARALLELISM = 4  # pwdlib's recommended value; memory must be at least 8 KiB per lane


@cache
def _hasher(time_cost: int, memory_kib: int) -> PasswordHash:
    memory = max(memory_kib, 8 * PARALLELISM)
    return PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory,
                                      parallelism=PARALLELISM),))


def hasher_for(settings: AuthSettings) -> PasswordHash:
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


def hash_password(settings: AuthSettings, password: str) -> str:
    return hasher_for(settings).hash(password)


def verify_password(settings: AuthSettings, password: str,
                    password_hash: str) -> tuple[bool, str | None]:
    """Check a password; the second value is a new hash to store when the old one is outdated."""
    try:
        return hasher_for(settings).verify_and_update(password, password_hash)
    except PwdlibError:
        # A malformed stored hash must read as "wrong password", never as a server error.
        return False, None


@cache
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    return _hasher(time_cost, memory_kib).hash("dummy password used only to spend time")


def burn_verify_time(settings: AuthSettings, password: str) -> None:
    """Spend as long as a real check, so an unknown username is not revealed by timing."""
    dummy = _dummy_hash(settings.argon2_time_cost, settings.argon2_memory_kib)
    hasher_for(settings).verify(password, dummy)
