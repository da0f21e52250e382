"""Password hashing: Argon2id at the configured cost, verification and rehash of outdated
hashes."""

from __future__ import annotations

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from mediadl.auth.passwords import burn_verify_time, hash_password, verify_password
from mediadl.core.settings import AuthSettings

CHEAP = AuthSettings(argon2_time_cost=1, argon2_memory_kib=1024)


def test_hash_is_argon2id_and_salted() -> None:
    first, second = hash_password(CHEAP, "a long password"), hash_password(CHEAP,
                                                                            "a long password")
    assert first.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert "a long password" not in first


def test_default_cost_is_pwdlibs_recommendation() -> None:
    default = AuthSettings()
    recommended = PasswordHash.recommended().hashers[0]
    assert default.argon2_time_cost == recommended._hasher.time_cost  # type: ignore[attr-defined]
    assert default.argon2_memory_kib == recommended._hasher.memory_cost  # type: ignore[attr-defined]


def test_configured_cost_is_written_into_the_hash() -> None:
    assert "$m=1024,t=1,p=4$" in hash_password(CHEAP, "a long password")


def test_verify_accepts_the_right_password_only() -> None:
    stored = hash_password(CHEAP, "a long password")
    assert verify_password(CHEAP, "a long password", stored) == (True, None)
    assert verify_password(CHEAP, "a long passworD", stored) == (False, None)


def test_verify_offers_a_new_hash_when_parameters_are_outdated() -> None:
    weak = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),))
    valid, rehashed = verify_password(CHEAP, "a long password", weak.hash("a long password"))
    assert valid
    assert rehashed is not None and "$m=1024,t=1,p=4$" in rehashed
    assert verify_password(CHEAP, "a long password", rehashed) == (True, None)


def test_a_hash_of_another_cost_still_verifies_after_a_settings_change() -> None:
    stronger = AuthSettings(argon2_time_cost=2, argon2_memory_kib=2048)
    stored = hash_password(stronger, "a long password")
    valid, rehashed = verify_password(CHEAP, "a long password", stored)
    assert valid and rehashed is not None


def test_malformed_stored_hash_reads_as_wrong_password() -> None:
    assert verify_password(CHEAP, "a long password", "not-a-hash") == (False, None)
    assert verify_password(CHEAP, "a long password", "") == (False, None)


def test_burn_verify_time_never_raises() -> None:
    burn_verify_time(CHEAP, "anything at all")
