"""Files on disk: hashing, the durable move into the library, and safe lookups of stored
paths (a path read back from the database is checked again before it is served or removed).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
from pathlib import Path

from mediadl.core.settings import Settings
from mediadl.library.naming import LibraryName, claim_unique_path

log = logging.getLogger(__name__)

HASH_CHUNK_BYTES = 1024 * 1024


def file_digest(path: Path) -> tuple[str, int]:
    """(sha256 hex digest, size in bytes), read in 1 MiB chunks so size never matters."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def move_into_library(settings: Settings, source: Path, name: LibraryName) -> Path:
    """Move ``source`` to a free library path for ``name`` and make the move durable."""
    target = claim_unique_path(settings.library_dir, name)
    try:
        _fsync_file(source)
        _replace_or_copy(source, target)
        _fsync_directory(target.parent)
        _fsync_directory(source.parent)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def library_relative_name(settings: Settings, path: Path) -> str:
    """The POSIX path stored in ``downloads.filename``."""
    return path.relative_to(settings.library_dir).as_posix()


def resolve_inside(base: Path, relative: str | None) -> Path | None:
    """``base / relative`` when it is an existing regular file that really lies inside
    ``base`` (no ``..``, no absolute path, no symlink out); None otherwise."""
    if not relative:
        return None
    root = base.resolve()
    try:
        candidate = (root / relative).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not candidate.is_relative_to(root) or candidate == root or not candidate.is_file():
        return None
    return candidate


def remove_quietly(path: Path | None) -> None:
    """Remove a file; a file that is already gone or cannot be removed is only logged."""
    if path is None:
        return
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("cannot remove %s", path, exc_info=True)


def _replace_or_copy(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except OSError as exc:
        # A library on another mount (a Docker volume, say): copy, sync, then drop the source.
        if exc.errno != errno.EXDEV:
            raise
        shutil.copyfile(source, target)
        _fsync_file(target)
        source.unlink()


def _fsync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_directory(path: Path) -> None:
    # A rename is durable only once the directory entry itself reached the disk.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
