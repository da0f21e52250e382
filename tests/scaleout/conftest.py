"""A scaled-out installation on one machine: PostgreSQL, Redis, `mediadl serve` in hint mode
and real `mediadl worker` processes, all started by the tests from installed binaries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import TEST_PASSWORD
from tests.servers import (
    RedisProcess,
    free_port,
    postgres_bin_dir,
    postgres_server,
    redis_binary,
)

MEDIADL = str(Path(sys.executable).with_name("mediadl"))
WAIT = 120.0  # a bound on waits, not a speed requirement

pytestmark = pytest.mark.skipif(postgres_bin_dir() is None or redis_binary() is None,
                                reason="needs PostgreSQL and Redis binaries")


class Cluster:
    def __init__(self, root: Path, database_url: str, redis: RedisProcess) -> None:
        self.root = root
        self.database_url = database_url
        self.redis = redis
        self.redis_port = redis.port
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.headers: dict[str, str] = {}

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "MEDIADL_DATA_DIR": str(self.root / "data"),
                "MEDIADL_DATABASE_URL": self.database_url,
                "MEDIADL_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "MEDIADL_ALLOW_PRIVATE_NETWORKS": "true",
                "MEDIADL_JOBS__LEASE_SECONDS": "4", "MEDIADL_JOBS__HEARTBEAT_SECONDS": "1",
                "MEDIADL_JOBS__SWEEP_INTERVAL_SECONDS": "0.5",
                "MEDIADL_JOBS__POLL_INTERVAL_SECONDS": "0.2",
                "MEDIADL_JOBS__BACKOFF_BASE_SECONDS": "0.2",
                "MEDIADL_JOBS__BACKOFF_MAX_SECONDS": "1",
                "MEDIADL_AUTH__ARGON2_TIME_COST": "1", "MEDIADL_AUTH__ARGON2_MEMORY_KIB": "1024"}

    def _spawn(self, *args: str, log_name: str) -> subprocess.Popen[bytes]:
        log = (self.root / f"{log_name}.log").open("wb")
        return subprocess.Popen([MEDIADL, *args], env=self.env, stdout=log,
                                stderr=subprocess.STDOUT)

    def start_server(self) -> None:
        self.server = self._spawn("serve", "--port", str(self.port), log_name="serve")
        wait_until(self._healthy, "mediadl serve to start")

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def start_worker(self, concurrency: int = 2) -> subprocess.Popen[bytes]:
        worker = self._spawn("worker", "--concurrency", str(concurrency),
                             log_name=f"worker-{len(self.workers)}")
        self.workers.append(worker)
        wait_until(lambda: b"ready" in self.worker_log(worker), "a worker to be ready")
        return worker

    def waiting_hints(self) -> int:
        """Hints in Redis that no worker has taken yet."""
        import redis

        from mediadl.jobs.celery_app import waiting_hints

        client = redis.Redis.from_url(self.redis.url)
        try:
            return waiting_hints(client)
        finally:
            client.close()

    def health(self) -> dict:  # type: ignore[type-arg]
        return httpx.get(f"{self.base}/health", timeout=30).json()

    def worker_log(self, worker: subprocess.Popen[bytes]) -> bytes:
        return (self.root / f"worker-{self.workers.index(worker)}.log").read_bytes()

    def login(self) -> None:
        made = subprocess.run([MEDIADL, "users", "add", "admin", "--role", "admin",
                               "--password-stdin"], input=f"{TEST_PASSWORD}\n".encode(),
                              env=self.env, capture_output=True)
        assert made.returncode == 0, made.stderr
        token = httpx.post(f"{self.base}/api/v1/auth/login", json={
            "username": "admin", "password": TEST_PASSWORD}).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
        return httpx.request(method, f"{self.base}/api/v1{path}", headers=self.headers,
                             timeout=30, **kwargs)

    def jobs(self, ids: list[int]) -> list[dict]:  # type: ignore[type-arg]
        return [self.api("GET", f"/queue/{job_id}").json() for job_id in ids]

    def sql(self, statement: str, **params) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as connection:
                result = connection.execute(text(statement), params)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def stop(self) -> None:
        for process in [*self.workers, self.server]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers, self.server]:
            if process is None:
                continue
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until(condition, what: str, timeout: float = WAIT):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="mediadl-pg-") as root:
        Path(root).chmod(0o755)
        with postgres_server(Path(root) / "pg") as url:
            yield url


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str) -> Iterator[Cluster]:
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    redis = RedisProcess().start()
    running = Cluster(tmp_path, postgres_url, redis)
    try:
        running.start_server()
        running.login()
        yield running
    finally:
        running.stop()
        redis.stop()
