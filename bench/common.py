"""What the speed benchmarks share: the fixture site with big files, a real ``mediadl serve``
driven through its API, the peer programs, and the table they print.

Every benchmark runs mediadl and its peer on the same work, alternately, several rounds,
and reports medians and their ratio from that one run. Nothing here asserts a time: the
numbers are for people (and the README's "Performance" table).

Run from the repository root: ``python -m bench.run_all`` (or one ``bench.bench_*``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.fixtures.media import build_media
from tests.fixtures.site import FixtureSite
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from mediadl.jobs.child import IDLE_NAME

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache"
EXTRA_DIR = CACHE / "bench-files"  # big files the fixture site serves under /extra/
PASSWORD = "bench password 1"
BIN = Path(sys.executable).parent
MIB = 1024 * 1024
POLL_SECONDS = 0.05


# -- results -------------------------------------------------------------------------------

@dataclass
class Row:
    """One line of the table."""

    benchmark: str
    mediadl: str
    peer: str
    ratio: str
    goal: str
    verdict: str


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def compare_row(benchmark: str, ours: list[float], peer_name: str, theirs: list[float],
                goal: str, met: Callable[[float], bool] | None) -> Row:
    """A row for "mediadl time / peer time" (lower is better); ``met`` judges the ratio,
    None for a row that is only there for scale."""
    ratio = median(ours) / median(theirs)
    verdict = "" if met is None else "met" if met(ratio) else "missed"
    return Row(benchmark, seconds(median(ours)), f"{peer_name} {seconds(median(theirs))}",
               f"{ratio:.2f}x", goal, verdict)


def print_table(rows: list[Row], title: str = "") -> None:
    header = Row("benchmark", "mediadl", "peer", "mediadl/peer", "goal", "")
    table = [header, *rows]
    widths = [max(len(getattr(row, f)) for row in table) for f in Row.__dataclass_fields__]
    if title:
        print(f"\n{title}")
    for index, row in enumerate(table):
        cells = [getattr(row, f).ljust(w) for f, w in zip(Row.__dataclass_fields__, widths,
                                                           strict=True)]
        print("| " + " | ".join(cells) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    sys.stdout.flush()


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    load = os.getloadavg()[0]
    return (f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPU ({cpu}), {memory:.0f} GiB RAM, "
            f"load {load:.1f} at start")


def arguments(description: str, rounds: int = 3) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=rounds,
                        help="alternating runs of each side (medians are printed)")
    return parser.parse_args()


# -- files the site serves --------------------------------------------------------------------

def random_file(name: str, size: int) -> Path:
    """A file of pseudo-random bytes under the cache, made once (never in tests)."""
    path = EXTRA_DIR / name
    if path.exists() and path.stat().st_size == size:
        return path
    EXTRA_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".partial-{name}")
    with partial.open("wb") as handle:
        for offset in range(0, size, 8 * MIB):
            handle.write(os.urandom(min(8 * MIB, size - offset)))
    partial.replace(path)
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
                   check=True)


@contextlib.contextmanager
def fixture_site() -> Iterator[FixtureSite]:
    media = build_media(CACHE / "fixture-media")
    EXTRA_DIR.mkdir(parents=True, exist_ok=True)
    with FixtureSite(media, extra_dir=EXTRA_DIR) as site:
        yield site


# -- mediadl ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mediadl:
    """``mediadl serve`` in its own process with a fresh data folder, used through the API."""

    def __init__(self, env: dict[str, str] | None = None, workers: int = 3) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="mediadl-bench-", dir=CACHE))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "MEDIADL_ALLOW_PRIVATE_NETWORKS": "true",
                    "MEDIADL_MAX_CONCURRENT_DOWNLOADS": str(workers),
                    "MEDIADL_SECURITY__MAX_QUEUED_JOBS_PER_USER": "1000000",
                    "MEDIADL_DATA_DIR": str(self.data_dir), **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(base_url=self.url, timeout=60)

    def __enter__(self) -> Mediadl:
        self._add_user()
        self.process = subprocess.Popen(
            [str(BIN / "mediadl"), "serve", "--port", str(self.port)], env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self._wait_until_up()
        self._wait_until_warm()
        token = self.client.post("/api/v1/auth/login", json={"username": "bench",
                                                             "password": PASSWORD})
        token.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        return self

    def __exit__(self, *_: object) -> None:
        self.client.close()
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def _add_user(self) -> None:
        subprocess.run([str(BIN / "mediadl"), "users", "add", "bench", "--role", "admin",
                        "--password-stdin"], input=PASSWORD.encode(), env=self.env,
                       check=True, capture_output=True)

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if self.client.get("/health").status_code < 500:
                    return
            time.sleep(0.05)
        raise RuntimeError("mediadl serve did not start")

    def _wait_until_warm(self) -> None:
        """Until the spare job process is up: a server that has just answered /health is
        still importing yt-dlp into its job template, and that CPU would otherwise be
        counted against the first round."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self._spare_ready():
            time.sleep(0.05)

    def _spare_ready(self) -> bool:
        for pid in self.pids():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/comm").read_text().strip() == IDLE_NAME:
                    return True
        return False

    # -- jobs ---------------------------------------------------------------------------
    def enqueue(self, url: str, **body: Any) -> int:
        answer = self.client.post("/api/v1/queue", json={"url": url, **body})
        answer.raise_for_status()
        return int(answer.json()["id"])

    def enqueue_batch(self, urls: list[str]) -> list[int]:
        answer = self.client.post("/api/v1/queue/batch", json={"urls": urls})
        answer.raise_for_status()
        return [int(item["id"]) for item in answer.json()["items"]]

    def wait(self, job_ids: list[int], poll: float = POLL_SECONDS) -> list[dict[str, Any]]:
        """Until every job has finished; a failed job stops the benchmark.

        One cheap request per poll (the status counts), so that watching does not eat the
        CPU the jobs need: the web UI gets the same news pushed over its WebSocket.
        """
        while True:
            counts = self.client.get("/api/v1/queue/stats").json()
            if counts["failed"] or counts["canceled"]:
                break
            if not any(counts[state] for state in ("queued", "running", "paused")):
                break
            time.sleep(poll)
        jobs = [self.client.get(f"/api/v1/queue/{job_id}").json() for job_id in job_ids]
        for job in jobs:
            if job["status"] != "completed":
                raise RuntimeError(f"job {job['id']} {job['status']}: {job.get('error')}")
        return jobs

    def timed_download(self, url: str) -> float:
        """Seconds from the enqueue request to a completed job (file in the library)."""
        return self.timed_run(lambda: [self.enqueue(url)])

    def timed_run(self, enqueue: Callable[[], list[int]]) -> float:
        """Seconds from the enqueue request until the web UI hears the last of its jobs
        completed (over ``/ws/queue``, as a browser does); then the jobs are checked and
        their files removed, outside the time."""
        with QueueWatch(self) as watch:
            started = time.perf_counter()
            job_ids = enqueue()
            watch.until_finished(job_ids)
            elapsed = time.perf_counter() - started
        for job in self.wait(job_ids):
            self.forget(job)
        return elapsed

    def forget(self, job: dict[str, Any]) -> None:
        """Delete the library file, so the next round downloads again and disk stays free."""
        for download_id in job.get("download_ids") or []:
            self.client.delete(f"/api/v1/downloads/{download_id}",
                               params={"delete_file": "true"})
        self.client.delete(f"/api/v1/queue/{job['id']}")

    def pids(self) -> list[int]:
        """Every process of the server's session: itself, the job processes' template and
        the job processes (they lead their own process groups, not their own sessions)."""
        assert self.process is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                session = int(stat.read_text().rsplit(")", 1)[1].split()[3])
                if session == self.process.pid:
                    found.append(int(stat.parent.name))
        return found


class QueueWatch:
    """The ``/ws/queue`` stream of a ``Mediadl``: the news the web UI gets pushed."""

    def __init__(self, mediadl: Mediadl) -> None:
        url = mediadl.url.replace("http", "ws", 1) + "/ws/queue"
        self.socket: ClientConnection = ws_connect(url, additional_headers={
            "Authorization": mediadl.client.headers["Authorization"]})
        self.socket.recv(timeout=60)  # the snapshot every connection starts with

    def __enter__(self) -> QueueWatch:
        return self

    def __exit__(self, *_: object) -> None:
        self.socket.close()

    def until_finished(self, job_ids: list[int], timeout: float = 600) -> None:
        """Until each job was reported completed; a failed or canceled one ends the wait
        early (``Mediadl.wait`` then reports it)."""
        pending, deadline = set(job_ids), time.monotonic() + timeout
        while pending:
            message = json.loads(self.socket.recv(timeout=max(0.0, deadline - time.monotonic())))
            if message["type"] == "snapshot":  # a change too broad to tell job by job
                stats = message["data"]["stats"]
                if not any(stats[state] for state in ("queued", "running", "paused")):
                    return
            elif message["type"] == "queue_updated":
                action, job_id = message["data"]["action"], message["data"]["item"]["id"]
                if action in ("failed", "canceled") and job_id in pending:
                    return
                if action == "completed":
                    pending.discard(job_id)


# -- peers ------------------------------------------------------------------------------------

def tool(name: str) -> str | None:
    """A peer program: on PATH, or yt-dlp from this virtualenv."""
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def timed_command(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    return time.perf_counter() - started


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """An empty folder for a peer's output, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="peer-", dir=CACHE))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def alternate(rounds: int, ours: Callable[[], float],
              theirs: Callable[[], float]) -> tuple[list[float], list[float]]:
    """Both sides, one after the other, ``rounds`` times (so load changes hit both)."""
    mine, peer = [], []
    for _ in range(rounds):
        mine.append(ours())
        peer.append(theirs())
    return mine, peer


def skipped(benchmark: str, reason: str) -> Row:
    return Row(benchmark, "-", "-", "-", "-", f"skipped: {reason}")
