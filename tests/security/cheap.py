"""Argon2 at its default cost takes a quarter second per hash; these tests create and log in
many users, so they hash cheaply. The cost itself is covered by tests/unit/test_auth_passwords."""

from __future__ import annotations

from mediadl.core.settings import Settings

CHEAP_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 1024}


def cheap_hashing(settings: Settings) -> Settings:
    settings.auth = settings.auth.model_copy(update=CHEAP_ARGON2)
    return settings
