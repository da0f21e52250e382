"""Celery workers run jobs by the local dispatcher's rule, report themselves to /health,
log where the API reads logs, stop cleanly, and refuse a library that is not the server's.
Real PostgreSQL, Redis, `mediadl serve` and `mediadl worker` processes."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from tests.scaleout.conftest import MEDIADL, Cluster, wait_until

pytestmark = pytest.mark.timeout(900)

FAKE = "https://fake.invalid/video/{}?size=4000&chunks=2"


def _status(cluster: Cluster, job_id: int) -> str:
    return cluster.jobs([job_id])[0]["status"]


def _hint(cluster: Cluster, job_id: int) -> None:
    """A hint as the dispatcher sends it, naming ``job_id``."""
    from mediadl.core.settings import Settings
    from mediadl.jobs.celery_app import RUN_JOB, make_celery

    app = make_celery(Settings(broker_url=cluster.redis.url))
    app.send_task(RUN_JOB, args=[job_id], queue="mediadl.normal")


def _refusals(cluster: Cluster, worker) -> int:  # type: ignore[no-untyped-def]
    return cluster.worker_log(worker).count(b"not claimable")


def test_a_hint_cannot_make_a_worker_run_a_disabled_or_throttled_platform(cluster: Cluster):
    held = cluster.api("POST", "/queue", json={"url": FAKE.format("held")}).json()
    platform = held["platform"]
    wait_until(lambda: cluster.waiting_hints() == 1, "the job's hint to wait in Redis")
    # What an admin's switch writes (the test platform is not listed in the API).
    cluster.sql("INSERT INTO platform_settings (name, enabled, cookie_count, "
                "cookie_domains, updated_at) VALUES (:name, false, 0, '[]', now())",
                name=platform)
    worker = cluster.start_worker(1)
    wait_until(lambda: _refusals(cluster, worker) >= 1, "the hint to be refused")
    assert _status(cluster, held["id"]) == "queued"

    cluster.sql("INSERT INTO platform_status (name, error_count, success_total, "
                "failure_total, throttle_level, throttled_until, updated_at) VALUES "
                "(:name, 0, 0, 0, 1, now() AT TIME ZONE 'UTC' + interval '1 hour', now()) "
                "ON CONFLICT (name) DO UPDATE SET throttled_until = EXCLUDED.throttled_until",
                name=platform)
    cluster.sql("UPDATE platform_settings SET enabled = true WHERE name = :name",
                name=platform)
    before = _refusals(cluster, worker)
    _hint(cluster, held["id"])
    wait_until(lambda: _refusals(cluster, worker) > before, "the throttled job's hint")
    assert _status(cluster, held["id"]) == "queued"

    cluster.sql("UPDATE platform_status SET throttled_until = NULL WHERE name = :name",
                name=platform)
    wait_until(lambda: _status(cluster, held["id"]) == "completed", "the job once allowed")


def test_workers_run_the_queue_in_priority_and_position_order(cluster: Cluster):
    low = [cluster.api("POST", "/queue", json={"url": FAKE.format(f"low-{n}"),
                                               "priority": "low"}).json()["id"]
           for n in range(3)]
    high = [cluster.api("POST", "/queue", json={"url": FAKE.format(f"high-{n}"),
                                                "priority": "high"}).json()["id"]
            for n in range(2)]
    # The hints of the low jobs reach Redis first; the claim rule still decides.
    wait_until(lambda: cluster.waiting_hints() == 5, "the hints to wait in Redis")
    cluster.start_worker(1)
    ids = low + high
    wait_until(lambda: all(j["status"] == "completed" for j in cluster.jobs(ids)), "the jobs")
    # The database's start times (the API shows whole seconds, and these share one).
    started = [row[0] for row in cluster.sql("SELECT id FROM jobs ORDER BY started_at")
               if row[0] in ids]
    assert started == high + low


def test_health_sees_celery_workers_come_and_go(cluster: Cluster):
    report = cluster.health()
    assert report["status"] == "degraded" and "workers" in report["problems"]
    assert report["workers"]["alive"] is False and report["workers"]["celery"] == []
    worker = cluster.start_worker(2)
    report = wait_until(lambda: (r := cluster.health())["workers"]["alive"] and r,
                        "the worker's heartbeat")
    assert report["status"] == "ok"
    assert [w["slots"] for w in report["workers"]["celery"]] == [2]
    worker.send_signal(signal.SIGTERM)
    worker.wait(60)
    wait_until(lambda: not cluster.health()["workers"]["alive"], "the worker to be gone")


def test_worker_logs_reach_the_log_query_and_the_log_stream(cluster: Cluster):
    from websockets.sync.client import connect

    cluster.start_worker(1)
    ticket = cluster.api("POST", "/auth/ws-ticket").json()["ticket"]
    url = f"ws://127.0.0.1:{cluster.port}/ws/logs"
    with connect(url, origin=cluster.base, open_timeout=30) as socket:
        socket.send(json.dumps({"type": "auth", "ticket": ticket}))
        assert json.loads(socket.recv(timeout=30))["type"] == "snapshot"
        job = cluster.api("POST", "/queue", json={
            "url": "https://fake.invalid/video/logged?fail=permanent"}).json()
        wanted = f"job {job['id']}: failed"
        while True:
            message = json.loads(socket.recv(timeout=60))
            if message["type"] == "log" and message["data"]["message"].startswith(wanted):
                break
    assert message["data"]["job_id"] == job["id"]
    found = wait_until(lambda: cluster.api("GET", "/logs", params={"q": wanted}).json()
                       ["items"], "the worker's line in the log query")
    assert found[0]["job_id"] == job["id"]
    files = sorted(path.name for path in (cluster.root / "data" / "logs").iterdir())
    assert any(name.startswith("mediadl-worker-") for name in files), files


def test_sigterm_releases_a_running_job_for_another_worker(cluster: Cluster, site):
    first = cluster.start_worker(1)
    job = cluster.api("POST", "/queue", json={
        "url": site.url("/throttled/big.bin?rate=131072&copy=sigterm")}).json()
    wait_until(lambda: cluster.jobs([job["id"]])[0]["progress"]["downloaded_bytes"] > 0,
               "the download to start")
    first.send_signal(signal.SIGTERM)
    assert first.wait(120) == 0
    stopped = cluster.jobs([job["id"]])[0]
    # Finished within the grace, or given back untouched: never lost, never failed.
    assert stopped["status"] in ("queued", "completed"), stopped
    if stopped["status"] == "queued":
        assert stopped["attempts"] == 0
    cluster.start_worker(1)
    done = wait_until(lambda: (j := cluster.jobs([job["id"]])[0])["status"] == "completed"
                      and j, "the released job to finish elsewhere")
    assert len(done["download_ids"]) == 1


def test_a_worker_or_server_with_another_library_refuses_to_start(cluster: Cluster,
                                                                  tmp_path):
    cluster.start_worker(1)
    job = cluster.api("POST", "/queue", json={"url": FAKE.format("marker")}).json()
    wait_until(lambda: _status(cluster, job["id"]) == "completed", "a download")
    elsewhere = {**cluster.env, "MEDIADL_DATA_DIR": str(tmp_path / "wrong-mount")}
    for command in (["worker"], ["serve", "--port", "1"]):
        refused = subprocess.run([MEDIADL, *command], env=elsewhere, capture_output=True,
                                 text=True, timeout=300)
        assert refused.returncode == 2, (command, refused.stderr)
        last = refused.stderr.strip().splitlines()[-1]
        assert last.startswith("error: ") and ".mediadl-storage-id" in last, refused.stderr
    marker = tmp_path / "wrong-mount" / "library" / ".mediadl-storage-id"
    assert not marker.exists(), "a refused server must not mark the wrong library"
