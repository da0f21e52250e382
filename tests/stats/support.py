"""Helpers shared by the tests of the library at scale, statistics, settings, storage,
notifications, monitoring and logs: cheap password hashing and rows written directly."""

from __future__ import annotations

import hashlib
from datetime import datetime
from itertools import count
from typing import Any

from mediadl.core.settings import Settings
from mediadl.db.models import Download, Job
from mediadl.db.session import Database

_serial = count(1)


def cheap(settings: Settings) -> Settings:
    """Argon2 at its lowest cost: these tests log in many times (the cost itself is tested
    elsewhere)."""
    settings.auth = settings.auth.model_copy(update={"argon2_time_cost": 1,
                                                     "argon2_memory_kib": 1024})
    return settings


def add_download(database: Database, settings: Settings | None, owner_id: int, *,
                 content: bytes | None = None, **fields: Any) -> Download:
    """A library row (and its file when ``content`` is given and settings are known)."""
    serial = next(_serial)
    body = content if content is not None else f"content {serial}".encode()
    values: dict[str, Any] = {
        "owner_id": owner_id, "item_key": f"item-{serial}", "url": f"https://x.test/{serial}",
        "platform": "youtube", "source": "channel", "title": f"Clip {serial}", "kind": "video",
        "filename": f"channel/clip-{serial}.mp4", "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(), "mime": "video/mp4", "extra": {},
    }
    values.update(fields)
    if content is not None and settings is not None:
        path = settings.library_dir / values["filename"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    with database.session() as session:
        row = Download(**values)
        session.add(row)
        session.flush()
        return row


def add_job(database: Database, owner_id: int, **fields: Any) -> Job:
    values: dict[str, Any] = {"owner_id": owner_id, "url": f"https://x.test/{next(_serial)}",
                              "platform": "youtube", "engine": "fake", "options": {},
                              "status": "queued"}
    values.update(fields)
    with database.session() as session:
        job = Job(**values)
        session.add(job)
        session.flush()
        return job


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)
