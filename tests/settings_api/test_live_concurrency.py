"""The pool size changes under running jobs, without a restart: the full app with its
dispatcher and job processes."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from mediadl.core.settings import Settings
from tests.conftest import wait_for_job
from tests.stats.support import cheap

pytestmark = pytest.mark.timeout(180)
# Each job writes 20 chunks 0.15 s apart: long enough to be seen running together.
SLOW = "https://fake.invalid/video/{}?size=20000&chunks=20&delay=0.15"
WAIT = 60.0  # a bound on waits, not a speed requirement


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.max_concurrent_downloads = 3
    return cheap(settings)


def _running(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get("/api/v1/queue/stats", headers=headers).json()["running"])


def _watch_running(client: TestClient, headers: dict[str, str], until_done: list[int]) -> int:
    """The most jobs seen running at once until every job in ``until_done`` finished."""
    most, deadline = 0, time.monotonic() + WAIT
    while time.monotonic() < deadline:
        most = max(most, _running(client, headers))
        states = [client.get(f"/api/v1/queue/{job_id}", headers=headers).json()["status"]
                  for job_id in until_done]
        if all(state == "completed" for state in states):
            return most
        time.sleep(0.05)
    raise AssertionError("jobs did not finish")


def test_pool_size_follows_the_setting(live_client: TestClient, live_login) -> None:  # type: ignore[no-untyped-def]
    admin = live_login("admin", role="admin")
    patch = live_client.patch("/api/v1/settings", json={"max_concurrent_downloads": 1},
                              headers=admin)
    assert patch.status_code == 200, patch.text
    ids = [live_client.post("/api/v1/queue", json={"url": SLOW.format(f"one-{n}")},
                            headers=admin).json()["id"] for n in range(3)]
    assert _watch_running(live_client, admin, ids) == 1

    live_client.patch("/api/v1/settings", json={"max_concurrent_downloads": 3}, headers=admin)
    ids = [live_client.post("/api/v1/queue", json={"url": SLOW.format(f"three-{n}")},
                            headers=admin).json()["id"] for n in range(3)]
    assert _watch_running(live_client, admin, ids) == 3
    for job_id in ids:
        assert wait_for_job(live_client, admin, job_id)["status"] == "completed"
