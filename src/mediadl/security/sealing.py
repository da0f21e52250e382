"""Secrets at rest (TOTP secrets, platform cookies): AES-256-GCM under a key derived with
HKDF-SHA256 from the instance secret, one key per purpose.

A sealed value is ``v1.<base64url(nonce + ciphertext + tag)>``. The purpose is bound in
twice (key derivation and associated data), so a value sealed for one purpose cannot be
opened as another. Changing the instance secret makes sealed values unreadable; that is
the price of not keeping a second key on the same disk.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mediadl.core.settings import Settings

VERSION = "v1"
_SALT = b"mediadl sealing v1"
_NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value that cannot be opened: tampered, truncated, or sealed under another
    instance secret or purpose."""


def derive_key(secret: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT,
                info=f"mediadl:{purpose}".encode())
    return hkdf.derive(secret.encode())


def seal(settings: Settings, plaintext: bytes, purpose: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(derive_key(settings.secret(), purpose)).encrypt(
        nonce, plaintext, purpose.encode())
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def open_sealed(settings: Settings, token: str, purpose: str) -> bytes:
    version, _, body = token.partition(".")
    if version != VERSION:
        raise SealError("unknown sealed-value format")
    try:
        raw = base64.urlsafe_b64decode(body.encode())
    except (binascii.Error, ValueError):
        raise SealError("sealed value is not valid base64") from None
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    try:
        return AESGCM(derive_key(settings.secret(), purpose)).decrypt(
            nonce, sealed, purpose.encode())
    except (InvalidTag, ValueError):
        raise SealError("sealed value was altered or sealed with another key") from None
