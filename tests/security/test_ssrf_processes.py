"""The guard where engines really run: in job processes and probe processes, installed
by default (``allow_private_networks`` false). Only loopback is ever contacted."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from mediadl.core.settings import Settings
from tests.conftest import wait_for_job
from tests.security.cheap import cheap_hashing
from tests.security.outbound_site import OutboundSite


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.allow_private_networks = False
    settings.security.allowed_networks = ["127.0.0.1/32"]
    # A refused connection is not worth a retry here; one attempt keeps the test short.
    settings.jobs.max_attempts = 1
    settings.downloads.retries = 0
    return cheap_hashing(settings)


@pytest.fixture
def local_site() -> Iterator[OutboundSite]:
    with OutboundSite() as site:
        yield site


def test_a_job_process_refuses_a_redirect_to_another_loopback_address(
        live_client: TestClient, live_login: Callable[..., dict[str, str]],
        local_site: OutboundSite) -> None:
    headers = live_login("alice")
    # 127.0.0.1 is allowed for this test; the redirect leads to 127.0.0.2, which is not.
    target = f"http://127.0.0.2:{local_site.port}/video.mp4"
    answer = live_client.post("/api/v1/queue", headers=headers,
                              json={"url": local_site.url(f"/redirect?to={target}")})
    assert answer.status_code == 201, answer.text
    job = wait_for_job(live_client, headers, answer.json()["id"])
    assert job["status"] == "failed"
    assert "mediadl does not connect to a loopback address" in job["error"]


def test_enqueue_refuses_a_blocked_address_spelled_out(
        live_client: TestClient, live_login: Callable[..., dict[str, str]]) -> None:
    headers = live_login("alice")
    for url in ("http://0177.0.0.2/x.mp4", "http://[::1]:8000/x.mp4", "http://localhost/x",
                "http://169.254.169.254/latest/meta-data/"):
        answer = live_client.post("/api/v1/queue", headers=headers, json={"url": url})
        assert answer.status_code == 422, url
        assert "does not download from" in answer.json()["detail"]
    batch = live_client.post("/api/v1/queue/batch", headers=headers,
                             json={"urls": ["https://media.example.com/a.mp4",
                                            "http://2130706434/"]})
    assert batch.status_code == 422
    assert live_client.get("/api/v1/queue", headers=headers).json()["total"] == 0


def test_a_probe_process_is_guarded_too(live_client: TestClient,
                                        live_login: Callable[..., dict[str, str]],
                                        local_site: OutboundSite) -> None:
    headers = live_login("alice")
    # 127.0.0.1 passes the early check; the probe process itself must refuse 127.0.0.2.
    target = f"http://127.0.0.2:{local_site.port}/ok"
    answer = live_client.post("/api/v1/parse", headers=headers,
                              json={"url": local_site.url(f"/redirect?to={target}")})
    assert answer.status_code == 400, answer.text
    assert "mediadl does not connect to a loopback address" in answer.json()["detail"]
