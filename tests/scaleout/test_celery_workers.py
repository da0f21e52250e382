"""Real Celery workers against real PostgreSQL and Redis: nothing lost, nothing doubled."""

from __future__ import annotations

import hashlib
import signal
import time

import pytest

from tests.processes import job_processes
from tests.scaleout.conftest import Cluster, wait_until

pytestmark = pytest.mark.timeout(900)

FAKE = "https://fake.invalid/video/{}?size=4000&chunks=2"


def _finished(cluster: Cluster, ids: list[int]):  # type: ignore[no-untyped-def]
    jobs = cluster.jobs(ids)
    return jobs if all(j["status"] in ("completed", "failed", "canceled") for j in jobs) else None


def test_200_small_jobs_across_two_workers_run_once_each(cluster: Cluster):
    first, second = cluster.start_worker(), cluster.start_worker()
    urls = [FAKE.format(f"small-{n}") for n in range(200)]
    ids = [j["id"] for j in cluster.api("POST", "/queue/batch", json={"urls": urls})
           .json()["items"]]
    jobs = wait_until(lambda: _finished(cluster, ids), "200 jobs", timeout=600)
    assert {j["status"] for j in jobs} == {"completed"}
    assert all(j["attempts"] == 1 and len(j["download_ids"]) == 1 for j in jobs)
    rows = cluster.sql("SELECT job_id, count(*) FROM downloads GROUP BY job_id")
    assert len(rows) == 200 and {count for _, count in rows} == {1}
    for worker in (first, second):
        assert cluster.worker_log(worker).count(b"succeeded") > 0, "a worker sat idle"


def test_duplicate_hint_cannot_run_a_job_twice(cluster: Cluster):
    cluster.start_worker()
    job = cluster.api("POST", "/queue", json={"url": FAKE.format("dup")}).json()
    done = wait_until(lambda: _finished(cluster, [job["id"]]), "the job")[0]
    assert done["status"] == "completed"
    from mediadl.core.settings import Settings
    from mediadl.jobs.celery_app import RUN_JOB, make_celery

    app = make_celery(Settings(broker_url=cluster.redis.url))
    for _ in range(3):
        app.send_task(RUN_JOB, args=[job["id"]], queue="mediadl.normal")
    worker = cluster.workers[0]
    wait_until(lambda: cluster.worker_log(worker).count(b"not claimable") >= 3,
               "the duplicates to be refused")
    again = cluster.jobs([job["id"]])[0]
    assert again["attempts"] == 1 and len(again["download_ids"]) == 1


def test_worker_killed_mid_download_is_recovered_by_another(cluster: Cluster, site,
                                                            fixture_media):
    first, second = cluster.start_worker(1), cluster.start_worker(1)
    url = site.url("/throttled/big.bin?rate=262144&copy=kill9")
    job = cluster.api("POST", "/queue", json={"url": url}).json()
    wait_until(lambda: cluster.jobs([job["id"]])[0]["progress"]["downloaded_bytes"] > 0,
               "the download to start")
    owner = cluster.sql("SELECT lease_owner FROM jobs WHERE id = :id", id=job["id"])[0][0]
    victim = next(w for w in (first, second) if f":{w.pid}:" in owner)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    done = wait_until(lambda: _finished(cluster, [job["id"]]), "the job to be recovered")[0]
    assert done["status"] == "completed", done
    assert len(done["download_ids"]) == 1
    body = cluster.api("GET", f"/downloads/{done['download_ids'][0]}/file").content
    assert hashlib.sha256(body).hexdigest() == fixture_media.digest("big.bin")
    resumed = [r for r in site.requests_to("/throttled/") if "range" in r.headers]
    assert resumed, "the second worker started from scratch instead of resuming"


def test_redis_restart_loses_no_queued_job(cluster: Cluster):
    """The hints sit in Redis (no worker runs), Redis restarts and forgets them: the
    dispatcher sees the broker empty while jobs wait, and sends them again."""
    ids = [cluster.api("POST", "/queue", json={"url": FAKE.format(f"r{n}")}).json()["id"]
           for n in range(5)]
    wait_until(lambda: cluster.waiting_hints() == 5, "the hints to wait in Redis")
    cluster.redis.stop()
    cluster.redis.start()
    cluster.start_worker()
    jobs = wait_until(lambda: _finished(cluster, ids), "jobs whose hints Redis lost")
    assert [j["status"] for j in jobs] == ["completed"] * 5
    assert all(j["attempts"] == 1 for j in jobs)


def test_jobs_queued_while_redis_is_down_run_once_it_is_back(cluster: Cluster):
    cluster.redis.stop()
    ids = [cluster.api("POST", "/queue", json={"url": FAKE.format(f"d{n}")}).json()["id"]
           for n in range(3)]
    cluster.redis.start()
    cluster.start_worker()
    jobs = wait_until(lambda: _finished(cluster, ids), "jobs queued while Redis was down")
    assert [j["status"] for j in jobs] == ["completed"] * 3


def test_a_waiting_backlog_gets_one_hint_per_job_not_more(cluster: Cluster):
    urls = [FAKE.format(f"backlog-{n}") for n in range(40)]
    cluster.api("POST", "/queue/batch", json={"urls": urls})
    wait_until(lambda: cluster.waiting_hints() == 40, "a hint per queued job")
    time.sleep(3)  # many dispatcher rounds (0.2 s apart): none may add hints
    assert cluster.waiting_hints() == 40


def test_cancel_reaches_the_worker_that_runs_the_job(cluster: Cluster, site):
    cluster.start_worker(1)
    job = cluster.api("POST", "/queue", json={
        "url": site.url("/throttled/big.bin?rate=65536")}).json()
    wait_until(lambda: cluster.jobs([job["id"]])[0]["progress"]["downloaded_bytes"] > 0,
               "the download to start")
    assert job_processes(f"mediadl-job-{job['id']}")
    assert cluster.api("DELETE", f"/queue/{job['id']}").status_code == 204
    wait_until(lambda: not job_processes(f"mediadl-job-{job['id']}"),
               "the job process to be killed")
    assert cluster.jobs([job["id"]])[0]["status"] == "canceled"
    work_dir = cluster.root / "data" / "work" / f"job-{job['id']}"
    wait_until(lambda: not work_dir.exists(), "the partial files to be removed")


def test_poison_job_fails_after_its_attempts(cluster: Cluster):
    cluster.start_worker()
    job = cluster.api("POST", "/queue", json={
        "url": "https://fake.invalid/video/poison?fail=crash"}).json()
    done = wait_until(lambda: _finished(cluster, [job["id"]]), "the poison job")[0]
    assert done["status"] == "failed" and done["attempts"] == 3


def test_progress_from_a_worker_reaches_a_websocket_client(cluster: Cluster, site):
    import json

    from websockets.sync.client import connect

    cluster.start_worker(1)
    ticket = cluster.api("POST", "/auth/ws-ticket").json()["ticket"]
    url = f"ws://127.0.0.1:{cluster.port}/ws/downloads"
    with connect(url, origin=cluster.base, open_timeout=30) as socket:
        socket.send(json.dumps({"type": "auth", "ticket": ticket}))
        assert json.loads(socket.recv(timeout=30))["type"] == "snapshot"
        job = cluster.api("POST", "/queue", json={
            "url": site.url("/throttled/big.bin?rate=1048576&copy=ws")}).json()
        seen: list[int] = []
        while True:
            message = json.loads(socket.recv(timeout=60))
            data = message["data"]
            if message["type"] == "download_progress" and data["id"] == job["id"]:
                seen.append(data["downloaded_bytes"])
            elif (message["type"] == "queue_updated" and data["item"]["id"] == job["id"]
                  and data["action"] in ("completed", "failed")):
                assert data["action"] == "completed"
                break
    assert len(seen) >= 2 and seen == sorted(seen)
