"""Scaled out, every host must see the same library folder (NFS or similar): workers move
finished files into it and the server serves them from it. A marker file with a random id,
also recorded in the database, proves that a worker's folder is the server's folder."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediadl.core.errors import MediadlError
from mediadl.core.settings import Settings
from mediadl.db.models import Download
from mediadl.db.models.scaleout import InstanceValue

log = logging.getLogger(__name__)

MARKER_NAME = ".mediadl-storage-id"
STORAGE_KEY = "storage_id"


class StorageMismatch(MediadlError):
    status_code = 500
    default_detail = "This host does not see the same library storage as the server."


def marker_path(settings: Settings) -> Path:
    return settings.library_dir / MARKER_NAME


def claim_storage(session: Session, settings: Settings) -> str:
    """On the server: make sure the library has a marker and the database knows it.

    Once the database has recorded a storage id, a server whose library lacks that marker
    (a share not mounted, a wrong path) refuses to start instead of taking over - unless
    the installation has no downloads yet, or an admin moved the library on purpose and
    set ``adopt_library``."""
    found = read_marker(settings)
    row = session.get(InstanceValue, STORAGE_KEY)
    if row is not None and found != row.value and not _may_adopt(session, settings):
        raise StorageMismatch(_mismatch_message(settings, "server"))
    if found is None:
        found = secrets.token_hex(16)
        marker_path(settings).write_text(found)
    if row is None:
        session.add(InstanceValue(key=STORAGE_KEY, value=found))
    elif row.value != found:
        log.warning("adopting the library at %s as this installation's storage",
                    settings.library_dir)
        row.value = found
    return found


def read_marker(settings: Settings) -> str | None:
    marker = marker_path(settings)
    return marker.read_text().strip() if marker.exists() else None


def _may_adopt(session: Session, settings: Settings) -> bool:
    """Nothing is lost by taking a new library: no download is recorded yet."""
    if settings.adopt_library:
        return True
    return session.scalar(select(Download.id).limit(1)) is None


def _mismatch_message(settings: Settings, who: str) -> str:
    return (f"The library folder {settings.library_dir} is not this installation's library "
            f"storage (marker {MARKER_NAME} missing or different); mount the shared library "
            f"at the same path on every host" +
            (", or set MEDIADL_ADOPT_LIBRARY=true once if you moved it on purpose."
             if who == "server" else "."))


def verify_storage(session: Session, settings: Settings) -> None:
    """On a worker: refuse to run unless this host's library is the server's."""
    row = session.get(InstanceValue, STORAGE_KEY)
    if row is None:
        raise StorageMismatch("Start `mediadl serve` once before starting workers.")
    if read_marker(settings) != row.value:
        raise StorageMismatch(_mismatch_message(settings, "worker"))
