"""The lines gallery-dl prints while downloading (see ``command.OUTPUT_MODE``) -> what
happened: a file finished, a file was already there, progress of the current file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mediadl.engines.gallerydl.command import MARK

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kKMGTPE]?)(i?)B?$")
_POWERS = {"": 0, "k": 1, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}


@dataclass(frozen=True)
class FileDone:
    path: Path
    skipped: bool


@dataclass(frozen=True)
class FileProgress:
    downloaded: int
    total: int | None
    speed: float | None


def parse_line(text: str) -> FileDone | FileProgress | None:
    if not text.startswith(MARK) or len(text) < 3:
        return None
    tag, body = text[1], text[3:]
    if tag in ("F", "S") and body:
        return FileDone(Path(body), skipped=tag == "S")
    if tag == "P":
        return _progress(body.split(" "))
    return None


def _progress(fields: list[str]) -> FileProgress | None:
    if len(fields) != 4:
        return None
    _percent, total, downloaded, speed = fields
    done = parse_size(downloaded)
    if done is None:
        return None
    return FileProgress(done, parse_size(total), parse_size(speed))


def parse_size(text: str) -> int | None:
    """gallery-dl's short sizes ("30.29K", "1.50MiB", "512") back to bytes (approximately:
    they carry two decimals)."""
    match = _SIZE.match(text.strip())
    if match is None:
        return None
    number, unit, binary = match.groups()
    base = 1024 if binary else 1000
    return int(float(number) * base ** _POWERS[unit])
