"""Scale-out throughput: jobs per second for 500 small files with 1, 2 and 4 Celery worker
processes (PostgreSQL + Redis, both started here from the installed binaries), against the
embedded mode (``mediadl serve`` with its local job processes and SQLite).

Every run gets a fresh database and checks the outcome in it: each job completed once, on
its first attempt, with exactly one library row - no job lost, none doubled. The files are
64 KiB each, made by the test suite's ``fake`` engine (distinct content per URL, no network),
so the figures measure the queue, the claims and the job processes, not a network.
Nothing here asserts a time.

    .venv/bin/python bench/scaleout.py                      # 500 jobs; 1, 2, 4 workers
    .venv/bin/python bench/scaleout.py --jobs 200 --workers 1,2 --slots 3
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from tests.servers import RedisProcess, postgres_server

from bench.common import BIN, Mediadl, Row, machine, print_table

SMALL_FILE = "https://fake.invalid/video/scaleout-{number}?size=65536&chunks=2"


@dataclass
class Outcome:
    seconds: float
    completed: int
    lost: int
    doubled: int

    def row(self, name: str, jobs: int, baseline: float | None) -> Row:
        """``baseline``: the embedded mode's jobs/s, the "peer" of a scaled-out row."""
        rate = jobs / self.seconds
        peer = "-" if baseline is None else f"embedded {baseline:.1f} jobs/s"
        ratio = "-" if baseline is None else f"{rate / baseline:.2f}x"
        verdict = "ok" if not (self.lost or self.doubled) else \
            f"LOST {self.lost}, DOUBLED {self.doubled}"
        return Row(name, f"{rate:.1f} jobs/s ({self.seconds:.1f} s)", peer, ratio,
                   "none lost or doubled", verdict)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500, help="small files per run")
    parser.add_argument("--workers", default="1,2,4",
                        help="Celery worker process counts to measure, comma-separated")
    parser.add_argument("--slots", type=int, default=2,
                        help="jobs one worker process (and the embedded server) runs at once")
    return parser.parse_args()


def urls(count: int) -> list[str]:
    return [SMALL_FILE.format(number=number) for number in range(count)]


def timed_run(mediadl: Mediadl, job_urls: list[str]) -> float:
    started = time.perf_counter()
    ids = mediadl.enqueue_batch(job_urls)
    mediadl.wait(ids, poll=0.2)
    return time.perf_counter() - started


def check(database_url: str, jobs: int, seconds: float) -> Outcome:
    """What the database says: completed jobs, and library rows per job."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            completed = connection.scalar(text(
                "SELECT count(*) FROM jobs WHERE status = 'completed' AND attempts = 1")) or 0
            per_job = [count for (count,) in connection.execute(text(
                "SELECT count(*) FROM downloads GROUP BY job_id"))]
    finally:
        engine.dispose()
    doubled = sum(1 for count in per_job if count > 1)
    return Outcome(seconds, completed, lost=jobs - len(per_job), doubled=doubled)


# -- embedded -----------------------------------------------------------------------------

def embedded(jobs: int, slots: int) -> Outcome:
    with Mediadl(workers=slots) as mediadl:
        seconds = timed_run(mediadl, urls(jobs))
        database = f"sqlite:///{mediadl.data_dir / 'mediadl.db'}"
        return check(database, jobs, seconds)


# -- scaled out ---------------------------------------------------------------------------

@contextlib.contextmanager
def backing_services() -> Iterator[tuple[str, RedisProcess]]:
    with tempfile.TemporaryDirectory(prefix="mediadl-bench-pg-") as root:
        Path(root).chmod(0o755)
        with postgres_server(Path(root) / "pg") as database_url:
            redis = RedisProcess().start()
            try:
                yield database_url, redis
            finally:
                redis.stop()


def fresh_database(database_url: str) -> None:
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@contextlib.contextmanager
def celery_workers(mediadl: Mediadl, count: int, slots: int) -> Iterator[None]:
    processes = [subprocess.Popen([str(BIN / "mediadl"), "worker", "--concurrency", str(slots)],
                                  env=mediadl.env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
                 for _ in range(count)]
    try:
        wait_for_workers(mediadl, count)
        yield
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(60)


def wait_for_workers(mediadl: Mediadl, count: int) -> None:
    """Until /health lists ``count`` live workers (their heartbeat keys in Redis)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        workers = mediadl.client.get("/health").json()["workers"].get("celery", [])
        if len(workers) >= count:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{count} workers did not start")


def scaled_out(jobs: int, workers: int, slots: int, database_url: str,
               redis: RedisProcess) -> Outcome:
    fresh_database(database_url)
    env = {"MEDIADL_DATABASE_URL": database_url, "MEDIADL_BROKER_URL": redis.url,
           "MEDIADL_JOBS__POLL_INTERVAL_SECONDS": "0.2"}
    with Mediadl(env=env, workers=slots) as mediadl, celery_workers(mediadl, workers, slots):
        seconds = timed_run(mediadl, urls(jobs))
    return check(database_url, jobs, seconds)


def main() -> None:
    args = arguments()
    counts = [int(part) for part in args.workers.split(",") if part.strip()]
    title = (f"Scale-out: {args.jobs} small files, {args.slots} job slots per process - "
             f"{machine()}")
    baseline = embedded(args.jobs, args.slots)
    base_rate = args.jobs / baseline.seconds
    rows = [baseline.row("embedded (SQLite, local workers)", args.jobs, None)]
    with backing_services() as (database_url, redis):
        for count in counts:
            outcome = scaled_out(args.jobs, count, args.slots, database_url, redis)
            name = f"{count} Celery worker{'s' if count > 1 else ''} (PostgreSQL, Redis)"
            rows.append(outcome.row(name, args.jobs, base_rate))
    print_table(rows, title)


if __name__ == "__main__":
    main()
