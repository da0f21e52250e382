"""The storage guard in the running app: a storage limit a little above the library plays
the nearly full disk. A real download from the fixture site is paused with its partial
data kept, the queue starts nothing new, and both carry on by themselves - to a correct
file - once a download is deleted."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mediadl.core.settings import Settings
from mediadl.db.session import Database
from tests.conftest import wait_for_job
from tests.stats.support import add_download, cheap

pytestmark = pytest.mark.timeout(240)
MB = 1024 * 1024
WAIT = 90.0  # a bound on waits, not a speed requirement


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.storage = settings.storage.model_copy(update={"check_interval_seconds": 0.2,
                                                           "reserve_bytes": 0})
    return cheap(settings)


def _wait_status(client: TestClient, headers: dict[str, str], job_id: int,
                 status: str) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + WAIT
    while True:
        job = client.get(f"/api/v1/queue/{job_id}", headers=headers).json()
        if job["status"] == status:
            return job  # type: ignore[no-any-return]
        assert job["status"] not in ("completed", "failed", "canceled"), job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def _partial_bytes(settings: Settings, job_id: int) -> int:
    """Bytes really written (a preallocated sparse file has the full size from the start)."""
    folder = settings.work_dir / f"job-{job_id}"
    return sum(min(path.stat().st_size, path.stat().st_blocks * 512)
               for path in folder.rglob("*") if path.is_file()) if folder.exists() else 0


def test_low_space_pauses_keeps_partial_data_and_resumes(
        live_client: TestClient, live_login, site, fixture_media,  # type: ignore[no-untyped-def]
        settings: Settings, database: Database) -> None:
    admin = live_login("admin", role="admin")
    me = live_client.get("/api/v1/auth/me", headers=admin).json()["id"]
    filler = add_download(database, settings, me, content=b"f" * (6 * MB),
                          filename="filler/filler.bin")
    big = fixture_media.files["big.bin"]
    limit = 6 * MB + big.stat().st_size // 2  # room for half of the download only
    patch = live_client.patch("/api/v1/settings", json={"storage_limit_bytes": limit},
                              headers=admin)
    assert patch.status_code == 200, patch.text

    url = site.url("/throttled/big.bin?rate=2000000")
    job = live_client.post("/api/v1/queue", json={"url": url}, headers=admin).json()
    paused = _wait_status(live_client, admin, job["id"], "paused")
    assert "space" in (paused["error"] or "")
    status = live_client.get("/api/v1/storage", headers=admin).json()
    assert status["low"] is True
    assert [item["reason"] for item in status["paused_jobs"]] == ["disk"]
    assert _partial_bytes(settings, job["id"]) > 0  # partial data kept for the resume

    small = live_client.post("/api/v1/queue", json={"url": site.url("/files/thumb.jpg")},
                             headers=admin).json()
    time.sleep(1.5)  # several guard rounds and dispatcher polls
    waiting = live_client.get(f"/api/v1/queue/{small['id']}", headers=admin).json()
    assert waiting["status"] == "queued"  # the queue starts nothing while space is low
    assert live_client.get(f"/api/v1/queue/{job['id']}",
                           headers=admin).json()["status"] == "paused"

    deleted = live_client.delete(f"/api/v1/downloads/{filler.id}",
                                 params={"delete_file": True}, headers=admin)
    assert deleted.status_code == 204
    done = wait_for_job(live_client, admin, job["id"], timeout=WAIT)
    assert done["status"] == "completed", done
    assert wait_for_job(live_client, admin, small["id"], timeout=WAIT)["status"] == "completed"
    download = live_client.get(f"/api/v1/downloads/{done['download_ids'][0]}",
                               headers=admin).json()
    stored = Path(settings.library_dir / download["filename"]).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == fixture_media.digest("big.bin")
    assert live_client.get("/api/v1/storage", headers=admin).json()["low"] is False
