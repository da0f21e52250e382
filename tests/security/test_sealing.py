"""Secrets at rest: AES-GCM under keys derived from the instance secret, per purpose."""

from __future__ import annotations

import base64

import pytest

from mediadl.core.settings import Settings
from mediadl.security.sealing import SealError, derive_key, open_sealed, seal


def _settings(secret: str = "an instance secret of enough length") -> Settings:
    return Settings(secret_key=secret)


def test_a_sealed_value_opens_to_the_plaintext() -> None:
    settings = _settings()
    token = seal(settings, b"JBSWY3DPEHPK3PXP", "totp-secret")
    assert token.startswith("v1.") and "JBSWY3DP" not in token
    assert open_sealed(settings, token, "totp-secret") == b"JBSWY3DPEHPK3PXP"


def test_sealing_twice_gives_different_values() -> None:
    settings = _settings()
    assert seal(settings, b"same", "p") != seal(settings, b"same", "p")


def test_another_purpose_or_secret_cannot_open_it() -> None:
    token = seal(_settings(), b"cookie jar", "platform-cookies")
    with pytest.raises(SealError):
        open_sealed(_settings(), token, "totp-secret")
    with pytest.raises(SealError):
        open_sealed(_settings("a different instance secret"), token, "platform-cookies")


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
    lambda t: "v2." + t[3:],
    lambda t: "v1.!!!not base64!!!",
    lambda t: "v1." + base64.urlsafe_b64encode(b"short").decode(),
    lambda t: "",
])
def test_tampered_values_are_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    settings = _settings()
    with pytest.raises(SealError):
        open_sealed(settings, mangle(seal(settings, b"secret", "p")), "p")


def test_keys_are_derived_per_purpose() -> None:
    assert derive_key("s", "a") != derive_key("s", "b")
    assert derive_key("s", "a") == derive_key("s", "a")
    assert len(derive_key("s", "a")) == 32
