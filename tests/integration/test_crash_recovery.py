"""kill -9 of `mediadl serve` while downloads run: after a restart every job completes, the
bytes are right, no job has two library rows and no partial file is left."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_PASSWORD
from tests.processes import job_processes

pytestmark = pytest.mark.timeout(240)
MEDIADL = str(Path(sys.executable).with_name("mediadl"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "MEDIADL_DATA_DIR": str(data_dir),
            "MEDIADL_ALLOW_PRIVATE_NETWORKS": "true", "MEDIADL_MAX_CONCURRENT_DOWNLOADS": "2",
            "MEDIADL_JOBS__LEASE_SECONDS": "5", "MEDIADL_JOBS__HEARTBEAT_SECONDS": "1",
            "MEDIADL_DOWNLOADS__SOCKET_TIMEOUT_SECONDS": "5"}


def _start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen([MEDIADL, "serve", "--port", str(port)],
                              env=_environment(data_dir), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise AssertionError("mediadl serve did not start")


def _wait(condition, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_of_serve_loses_and_doubles_nothing(tmp_path, site, fixture_media):
    data_dir = tmp_path / "data"
    add_user = subprocess.run([MEDIADL, "users", "add", "admin", "--role", "admin",
                               "--password-stdin"], input=f"{TEST_PASSWORD}\n", text=True,
                              env=_environment(data_dir), capture_output=True)
    assert add_user.returncode == 0, add_user.stderr
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_server(data_dir, port)
    try:
        token = httpx.post(f"{base}/api/v1/auth/login", json={
            "username": "admin", "password": TEST_PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        # Four different files (the same bytes four times would be stored once, by design),
        # each paced to take about four seconds.
        paced = {"video.mp4": 98304, "video_small.mp4": 40960, "audio.m4a": 4400,
                 "audio.mp3": 4100}
        urls = [site.url(f"/throttled/{name}?rate={rate}") for name, rate in paced.items()]
        batch = httpx.post(f"{base}/api/v1/queue/batch", json={"urls": urls}, headers=headers)
        assert batch.status_code == 201, batch.text
        ids = [job["id"] for job in batch.json()["items"]]

        def two_running() -> bool:
            jobs = [httpx.get(f"{base}/api/v1/queue/{i}", headers=headers).json() for i in ids]
            return sum(j["status"] == "running" for j in jobs) >= 2

        _wait(two_running, 60, "two downloads in progress")
        time.sleep(2)  # a few seconds into the (throttled, ~4 s) transfers
        assert job_processes(data_dir=data_dir)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        _wait(lambda: not job_processes(data_dir=data_dir), 15, "orphaned job processes to die")

        server = _start_server(data_dir, port)
        token = httpx.post(f"{base}/api/v1/auth/login", json={
            "username": "admin", "password": TEST_PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def all_finished() -> list[dict] | None:  # type: ignore[type-arg]
            jobs = [httpx.get(f"{base}/api/v1/queue/{i}", headers=headers).json() for i in ids]
            done = all(j["status"] in ("completed", "failed") for j in jobs)
            return jobs if done else None

        jobs = _wait(all_finished, 120, "all jobs to finish after the restart")
        assert [j["status"] for j in jobs] == ["completed"] * 4, [j["error"] for j in jobs]
        assert all(len(j["download_ids"]) == 1 for j in jobs)
        library = httpx.get(f"{base}/api/v1/downloads?page_size=50", headers=headers).json()
        assert library["total"] == 4
        expected = sorted(fixture_media.digest(name) for name in paced)
        bodies = [httpx.get(f"{base}{item['file_url']}", headers=headers).content
                  for item in library["items"]]
        assert sorted(hashlib.sha256(body).hexdigest() for body in bodies) == expected
        leftovers = [p for p in data_dir.rglob("*") if p.suffix in (".part", ".ytdl")]
        assert leftovers == []
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
