"""Scaled out, every host must see the same library folder (NFS or similar): workers move
finished files into it and the server serves them from it. A marker file with a random id,
also recorded in the database, proves that a worker's folder is the server's folder."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy.orm import Session

from mediadl.core.errors import MediadlError
from mediadl.core.settings import Settings
from mediadl.db.models.scaleout import InstanceValue

MARKER_NAME = ".mediadl-storage-id"
STORAGE_KEY = "storage_id"


class StorageMismatch(MediadlError):
    status_code = 500
    default_detail = "This host does not see the same library storage as the server."


def marker_path(settings: Settings) -> Path:
    return settings.library_dir / MARKER_NAME


def claim_storage(session: Session, settings: Settings) -> str:
    """On the server: make sure the library has a marker and the database knows it."""
    marker = marker_path(settings)
    if not marker.exists():
        marker.write_text(secrets.token_hex(16))
    storage_id = marker.read_text().strip()
    row = session.get(InstanceValue, STORAGE_KEY)
    if row is None:
        session.add(InstanceValue(key=STORAGE_KEY, value=storage_id))
    else:
        row.value = storage_id
    return storage_id


def verify_storage(session: Session, settings: Settings) -> None:
    """On a worker: refuse to run unless this host's library is the server's."""
    row = session.get(InstanceValue, STORAGE_KEY)
    if row is None:
        raise StorageMismatch("Start `mediadl serve` once before starting workers.")
    marker = marker_path(settings)
    found = marker.read_text().strip() if marker.exists() else None
    if found != row.value:
        raise StorageMismatch(
            f"The library folder {settings.library_dir} is not the server's library storage "
            f"(marker {MARKER_NAME} missing or different). Mount the same shared folder "
            "at MEDIADL_DATA_DIR on every host.")
