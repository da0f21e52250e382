"""/metrics (Prometheus text) and /health: what they report, and when they complain."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from mediadl.api.app import create_app
from mediadl.app_context import AppContext
from mediadl.core.settings import Settings
from mediadl.db.session import Database
from tests.conftest import wait_for_job
from tests.stats.support import add_download, add_job, cheap

WAIT = 60.0  # a bound on waits, not a speed requirement
# /metrics needs the scrape token (or an admin login), as Prometheus would send it.
SCRAPE_TOKEN = "a scrape token for the metrics tests"
SCRAPE = {"Authorization": f"Bearer {SCRAPE_TOKEN}"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.notifications = settings.notifications.model_copy(update={"poll_seconds": 0.2})
    settings.monitoring.metrics_token = SecretStr(SCRAPE_TOKEN)
    return cheap(settings)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_describe_jobs_queue_library_and_process(client: TestClient,
                                                         database: Database,
                                                         make_user) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("alice")
    for status, priority in (("queued", "high"), ("queued", "normal"), ("queued", "normal"),
                             ("running", "normal"), ("failed", "low")):
        add_job(database, owner, status=status, priority=priority,
                priority_rank={"high": 0, "normal": 1, "low": 2}[priority])
    add_download(database, None, owner, size=1000, platform="youtube")
    add_download(database, None, owner, size=500, platform="tiktok")
    answer = client.get("/metrics", headers=SCRAPE)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    samples = _samples(answer.text)
    assert samples[("mediadl_jobs", (("status", "queued"),))] == 3
    assert samples[("mediadl_jobs", (("status", "completed"),))] == 0
    assert samples[("mediadl_queue_depth", (("priority", "normal"),))] == 2
    assert samples[("mediadl_queue_depth", (("priority", "high"),))] == 1
    assert samples[("mediadl_active_workers", ())] == 1
    assert samples[("mediadl_library_bytes", (("platform", "youtube"),))] == 1000
    assert samples[("mediadl_library_downloads", (("platform", "tiktok"),))] == 1
    assert samples[("mediadl_websocket_clients", ())] == 0
    assert samples[("mediadl_up", ())] == 1
    assert samples[("mediadl_disk_free_bytes", ())] > 0
    assert ("process_resident_memory_bytes", ()) in samples


def test_a_metrics_token_is_required_once_set(client: TestClient, settings: Settings) -> None:
    settings.monitoring.metrics_token = SecretStr("s3cret-token")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={
        "Authorization": "Bearer s3cret-token"}).status_code == 200


def test_health_reports_its_parts(client: TestClient, context: AppContext) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["problems"] == []
    assert (body["database"], body["broker"]) == ("ok", "not configured")
    assert body["workers"]["alive"] is True and body["workers"]["stale_jobs"] == 0
    assert body["disk"]["free_bytes"] > 0 and body["disk"]["low"] is False
    context.ops.storage.low, context.ops.storage.reason = True, "1 MB left"
    context.ops.liveness["dispatcher"] = lambda: False
    degraded = client.get("/health")
    assert degraded.status_code == 200  # still serving: not a reason to restart it
    assert degraded.json()["status"] == "degraded"
    assert set(degraded.json()["problems"]) == {"disk", "workers"}
    assert degraded.json()["disk"]["reason"] == "1 MB left"


def test_health_is_503_without_a_database(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = Database(f"sqlite:///{tmp_path}/no/such/dir/x.db")
    app = create_app(AppContext(settings=settings, db=missing))
    with TestClient(app) as client:
        answer = client.get("/health")
    assert answer.status_code == 503
    assert answer.json()["database"] == "error" and "database" in answer.json()["problems"]
    scrape = _samples(TestClient(app).get("/metrics", headers=SCRAPE).text)
    assert scrape[("mediadl_up", ())] == 0


def test_a_broker_that_does_not_answer_is_reported(client: TestClient,
                                                   settings: Settings) -> None:
    settings.broker_url = "redis://127.0.0.1:1/0"
    body = client.get("/health").json()
    assert body["broker"] == "error" and "broker" in body["problems"]


def test_finished_jobs_reach_the_counters_and_the_histogram(live_client: TestClient,
                                                            live_login) -> None:  # type: ignore[no-untyped-def]
    headers = live_login()
    job = live_client.post("/api/v1/queue", json={"url": "https://fake.invalid/video/m1"},
                           headers=headers).json()
    assert wait_for_job(live_client, headers, job["id"])["status"] == "completed"
    labels = (("platform", "fake"), ("status", "completed"))
    deadline = time.monotonic() + WAIT
    while True:
        samples = _samples(live_client.get("/metrics", headers=SCRAPE).text)
        if samples.get(("mediadl_jobs_finished_total", labels)) == 1:
            break
        assert time.monotonic() < deadline, "the outcome never reached the metrics"
        time.sleep(0.1)
    assert samples[("mediadl_download_duration_seconds_count", labels)] == 1
    assert samples[("mediadl_downloaded_bytes_total", (("platform", "fake"),))] > 0
    loops = live_client.get("/health").json()["workers"]["loops"]
    assert {"dispatcher", "runtime-settings", "storage-guard", "notifications", "cleanup",
            "housekeeping"} <= set(loops)
    assert all(loops.values())


def test_the_example_dashboard_uses_only_exported_metrics(client: TestClient) -> None:
    dashboard = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"
    exprs = [target["expr"] for panel in json.loads(dashboard.read_text())["panels"]
             for target in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\b(?:mediadl|process)_\w+", expr)}
    exported = set()
    for family in text_string_to_metric_families(client.get("/metrics", headers=SCRAPE).text):
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
        exported |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
    assert used <= exported, used - exported
