"""Checksums a server announces for a file, and checking a finished file against one.

``Repr-Digest`` (RFC 9530) and ``Digest`` (RFC 3230) describe the whole file even in a 206
answer; ``Content-MD5`` only describes the body it came with, so it counts for 200 answers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Strongest first: when a server announces several, the strongest one is checked.
ALGORITHMS = {"sha-512": "sha512", "sha-256": "sha256", "sha": "sha1", "md5": "md5"}
_STRUCTURED = re.compile(r"([A-Za-z0-9-]+)=:([A-Za-z0-9+/=]+):")
_LEGACY = re.compile(r"([A-Za-z0-9-]+)=([A-Za-z0-9+/=]+)")
READ_SIZE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Checksum:
    algorithm: str  # a hashlib name
    hex: str


def announced_checksum(headers: Mapping[str, str], *, whole_body: bool) -> Checksum | None:
    found = _pairs(_STRUCTURED, headers.get("repr-digest"))
    found.update({k: v for k, v in _pairs(_LEGACY, headers.get("digest")).items()
                  if k not in found})
    if whole_body and headers.get("content-md5"):
        found.setdefault("md5", headers["content-md5"].strip())
    for name, algorithm in ALGORITHMS.items():
        if name in found:
            checksum = _decoded(algorithm, found[name])
            if checksum is not None:
                return checksum
    return None


def file_matches(path: Path, checksum: Checksum) -> bool:
    digest = hashlib.new(checksum.algorithm)
    with path.open("rb") as handle:
        while chunk := handle.read(READ_SIZE):
            digest.update(chunk)
    return digest.hexdigest() == checksum.hex


def _pairs(pattern: re.Pattern[str], value: str | None) -> dict[str, str]:
    return {name.lower(): encoded for name, encoded in pattern.findall(value or "")}


def _decoded(algorithm: str, encoded: str) -> Checksum | None:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != hashlib.new(algorithm).digest_size:
        return None
    return Checksum(algorithm, raw.hex())
