"""The library at scale: 1,000,000 downloads and 100,000 jobs in SQLite.

Seeds a fresh database (synthetic rows with realistic titles, bulk-loaded with the
triggers off, then the search index and statistics roll-ups rebuilt the way a migration
would), then times the pages people open most through the real app, in-process over ASGI
(routing, authentication, services, SQL and JSON): p50/p95 over repeated requests, plus
the resident memory of the process serving them.

    .venv/bin/python bench/library_scale.py [--downloads N] [--jobs N] [--rounds N] [--db PATH]

The seed is cached next to the database: a second run with the same sizes reuses it.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import multiprocessing
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

TOPICS = """cooking pasta bread pizza sushi ramen curry baking cake cookies barbecue
steak salad soup breakfast coffee espresso tea cocktails wine beer cheese chocolate vegan
travel japan tokyo kyoto paris london rome berlin iceland norway canada mexico peru india
thailand vietnam bali morocco egypt kenya australia alaska hawaii scotland ireland spain
hiking camping climbing kayaking sailing surfing skiing snowboard fishing hunting cycling
marathon running yoga pilates boxing karate fencing swimming diving tennis golf football
basketball baseball hockey cricket rugby volleyball formula rally motogp nascar skate
guitar piano drums violin cello bass synth ukulele harmonica saxophone trumpet flute jazz
blues techno house lofi ambient metal punk reggae opera hiphop country classical kpop
minecraft zelda mario pokemon fortnite tetris chess poker speedrun starcraft doom skyrim
python rust golang javascript linux homelab docker kubernetes raspberry arduino android
iphone laptop keyboard camera drone telescope microscope 3dprinting soldering woodworking
gardening tomatoes roses bonsai beekeeping chickens aquarium cats dogs birds horses owls
astronomy physics chemistry biology geology history vikings romans samurai pirates
knights castles pyramids dinosaurs volcanoes earthquakes storms tornado hurricane ocean
origami painting watercolor sketching pottery knitting sewing calligraphy photography
architecture interior furniture vanlife tinyhouse minimalism budgeting investing stocks
crypto startups marketing design typography animation blender unity unreal podcasting
comedy standup magic puppets circus theater ballet salsa tango breakdance parkour""".split()  # noqa: SIM905 (reads as text)
FORMATS = """tutorial review live highlights vlog podcast episode interview documentary
unboxing guide tips challenge reaction explained compilation trailer session recap
walkthrough lesson masterclass comparison teardown timelapse shorts stream concert cover
remix demo behind the scenes q&a""".split()  # noqa: SIM905
ADJECTIVES = """best easy quick ultimate honest complete beginner advanced cheap relaxing epic
tiny huge perfect secret classic modern homemade official full simple weird crazy lazy
rainy sunny winter summer autumn spring midnight morning first last new old""".split()  # noqa: SIM905
WORDS = {"topic": tuple(TOPICS), "format": tuple(FORMATS), "adjective": tuple(ADJECTIVES)}
PLATFORMS = (("youtube", 50), ("instagram", 15), ("tiktok", 12), ("generic", 10),
             ("bilibili", 8), ("forum", 5))
KINDS = (("video", 60), ("image", 25), ("audio", 12), ("file", 3))
JOB_STATUSES = (("completed", 80), ("failed", 6), ("queued", 9), ("paused", 2),
                ("canceled", 3))
USERS = 20
SOURCES_PER_PLATFORM = 400
HISTORY_DAYS = 730
PASSWORD = "bench password 1"  # a throwaway account of the benchmark


def zipf_choice(rng: random.Random, items: tuple[str, ...]) -> str:
    """Words of real titles follow Zipf's law: a few are everywhere, most are rare."""
    return rng.choices(items, cum_weights=_zipf_weights(len(items)))[0]


@functools.cache
def _zipf_weights(size: int) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(size)))


def weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in table], [weight for _, weight in table])[0]


def title(rng: random.Random) -> str:
    words = WORDS
    shape = rng.randrange(4)
    if shape == 0:
        return (f"{zipf_choice(rng, words['adjective']).title()} "
                f"{zipf_choice(rng, words['topic'])} {zipf_choice(rng, words['format'])}")
    if shape == 1:
        return (f"{zipf_choice(rng, words['topic']).title()} "
                f"{zipf_choice(rng, words['format'])} #{rng.randrange(1, 400)}")
    if shape == 2:
        return (f"{zipf_choice(rng, words['topic']).title()} and "
                f"{zipf_choice(rng, words['topic'])}: {zipf_choice(rng, words['adjective'])} "
                f"{zipf_choice(rng, words['format'])} ({rng.randrange(2015, 2027)})")
    return (f"How to {zipf_choice(rng, words['topic'])} - "
            f"{zipf_choice(rng, words['adjective'])} {zipf_choice(rng, words['format'])}")


def moments(count: int, rng: random.Random) -> list[datetime]:
    """Creation times over the last two years, in insertion order (ids grow with time)."""
    now = datetime(2026, 11, 21, 12, 0, 0)
    offsets = sorted((rng.randrange(HISTORY_DAYS * 86400) for _ in range(count)), reverse=True)
    return [now - timedelta(seconds=offset) for offset in offsets]


def download_rows(count: int, jobs: int, seed: int = 7) -> Iterator[tuple[object, ...]]:
    """The newest ``jobs`` downloads come from the jobs still in the queue's history; older
    jobs were cleared from it, so their downloads have none (as the foreign key leaves
    them)."""
    rng = random.Random(seed)
    first_with_job = count - jobs
    for index, created in enumerate(moments(count, rng)):
        job_id = index - first_with_job + 1 if index >= first_with_job else None
        platform = weighted(rng, PLATFORMS)
        kind = weighted(rng, KINDS)
        owner = 1 + min(USERS - 1, int(rng.paretovariate(1.2)) - 1)
        source = f"{platform}-channel-{int(rng.paretovariate(0.9)) % SOURCES_PER_PLATFORM}"
        name = title(rng)
        size = int(rng.lognormvariate(16, 1.5))
        tags = " ".join({zipf_choice(rng, WORDS["topic"]) for _ in range(2)})
        yield (owner, job_id, f"item-{index}", f"https://{platform}.example/watch/{index}",
               platform, source, name, f"{name}. Uploaded by {source}.", tags, kind,
               f"{source}/{name} [{index}].mp4", size, f"{index:064x}", "video/mp4",
               1280 if kind != "audio" else None, 720 if kind != "audio" else None,
               rng.uniform(5, 3600) if kind in ("video", "audio") else None, None, "{}",
               created.isoformat(sep=" "))


def job_rows(count: int, seed: int = 11) -> Iterator[tuple[object, ...]]:
    rng = random.Random(seed)
    for index, created in enumerate(moments(count, rng)):
        status = weighted(rng, JOB_STATUSES)
        priority = rng.choices(("high", "normal", "low"), (1, 8, 1))[0]
        finished = created + timedelta(seconds=rng.randrange(5, 900))
        platform = weighted(rng, PLATFORMS)
        done = status in ("completed", "failed", "canceled")
        stamp = created.isoformat(sep=" ")
        yield (1 + index % USERS, f"https://{platform}.example/watch/{index}", platform, "ytdlp",
               "video", title(rng), f"{platform}-channel-{index % 50}", status, priority,
               {"high": 0, "normal": 1, "low": 2}[priority], index, "best", "{}", 0,
               1 if done else 0, 3, stamp, finished.isoformat(sep=" "),
               stamp if done else None, finished.isoformat(sep=" ") if done else None, 0)


DOWNLOAD_INSERT = """INSERT INTO downloads (owner_id, job_id, item_key, url, platform, source,
    title, description, tags, kind, filename, size, sha256, mime, width, height, duration,
    thumbnail, metadata, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"""
JOB_INSERT = """INSERT INTO jobs (owner_id, url, platform, engine, kind, title, source, status,
    priority, priority_rank, position, quality, options, downloaded_bytes, attempts,
    max_attempts, created_at, updated_at, started_at, finished_at, cancel_requested)
    VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"""


def seed(path: Path, downloads: int, jobs: int) -> None:
    """A migrated database filled with ``downloads`` and ``jobs`` rows, bulk-loaded: indexes
    and triggers are dropped for the load and made again afterwards, the way a restore
    would do it, so the result is what the migrations and triggers would have produced."""
    from mediadl.core.settings import Settings
    from mediadl.db.dialect import rebuild_rollups_sql
    from mediadl.db.migrate import upgrade

    upgrade(f"sqlite:///{path}")
    _make_users(Settings(data_dir=path.parent, database_url=f"sqlite:///{path}"))
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-400000"):
        connection.execute(f"PRAGMA {pragma}")
    schema = connection.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ('downloads', 'jobs') "
        "AND type IN ('index', 'trigger') AND sql IS NOT NULL").fetchall()
    connection.execute("BEGIN")
    for kind, name, _ in schema:
        connection.execute(f"DROP {kind.upper()} {name}")
    connection.executemany(JOB_INSERT, job_rows(jobs))
    connection.executemany(DOWNLOAD_INSERT, download_rows(downloads, min(jobs, downloads)))
    for _, _, sql in schema:
        connection.execute(sql)
    connection.execute("INSERT INTO downloads_fts(downloads_fts) VALUES ('rebuild')")
    for statement in rebuild_rollups_sql("sqlite"):
        connection.execute(statement)
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()


def _make_users(settings: object) -> None:
    from mediadl.auth.service import create_user
    from mediadl.core.settings import Settings, prepare_data_dir
    from mediadl.db.session import Database

    assert isinstance(settings, Settings)
    prepare_data_dir(settings)
    db = Database(settings.resolved_database_url)
    with db.session() as session:
        create_user(session, settings, "admin", PASSWORD, role="admin")
        for number in range(2, USERS + 1):
            create_user(session, settings, f"user{number}", PASSWORD)
    db.dispose()


@dataclass(frozen=True)
class Case:
    name: str
    who: str  # "admin" or "user2" (the busiest ordinary account)
    path: str


CASES = (
    # The floor: routing, token check and JSON of a request that does no real work.
    Case("baseline: GET /auth/me", "user2", "/api/v1/auth/me"),
    Case("library page, no filter", "user2", "/api/v1/downloads?page=3"),
    Case("library page, 3 filters", "user2",
         "/api/v1/downloads?platform=youtube&kind=video&date_from=2026-01-01&page=2"),
    Case("library page, size range (admin)", "admin",
         "/api/v1/downloads?min_size=1000000&max_size=5000000&sort=size&page=5"),
    Case("full-text search, 2 words", "user2", "/api/v1/downloads?q=cooking+tutorial"),
    Case("full-text search, 1 word (admin)", "admin", "/api/v1/downloads?q=espresso"),
    Case("full-text search + filter", "user2",
         "/api/v1/downloads?q=guitar&platform=youtube&sort=created_at"),
    Case("stats overview", "user2", "/api/v1/stats/overview"),
    Case("stats overview (admin)", "admin", "/api/v1/stats/overview"),
    Case("timeline 90 days (admin)", "admin", "/api/v1/stats/timeline?interval=day&days=90"),
    Case("timeline 52 weeks", "user2", "/api/v1/stats/timeline?interval=week&days=364"),
    Case("stats platforms (admin)", "admin", "/api/v1/stats/platforms"),
    Case("stats sources (admin)", "admin", "/api/v1/stats/sources"),
    Case("stats storage (admin)", "admin", "/api/v1/stats/storage"),
    Case("queue page by priority", "user2", "/api/v1/queue?sort=priority&page=2"),
    Case("queue page by priority (admin)", "admin", "/api/v1/queue?sort=priority"),
)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def rss_megabytes(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(path: Path, rounds: int) -> list[Row]:
    from fastapi.testclient import TestClient

    from mediadl.api.app import create_app
    from mediadl.app_context import AppContext
    from mediadl.core.settings import Settings, prepare_data_dir
    from mediadl.db.session import Database

    settings = prepare_data_dir(Settings(data_dir=path.parent, database_url=f"sqlite:///{path}"))
    db = Database(settings.resolved_database_url)
    results = []
    with TestClient(create_app(AppContext(settings=settings, db=db))) as client:
        headers = {who: _login(client, who) for who in ("admin", "user2")}
        for case in CASES:
            timings = _time(lambda case=case: _get(client, case.path, headers[case.who]),
                            rounds)
            results.append(summary(case.name, timings))
    db.dispose()
    return results


def _login(client: object, username: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/login",  # type: ignore[attr-defined]
                         json={"username": username, "password": PASSWORD})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _get(client: object, path: str, headers: dict[str, str]) -> None:
    answer = client.get(path, headers=headers)  # type: ignore[attr-defined]
    if answer.status_code != 200:
        raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")


@dataclass(frozen=True)
class Timing:
    wall_ms: float
    cpu_ms: float  # the server's CPU time: what the request cost, whatever else runs


def _time(call: Callable[[], None], rounds: int) -> list[Timing]:
    call()  # the first call warms caches, as a page open right after another one would
    timings = []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        timings.append(Timing((time.perf_counter() - wall) * 1000,
                              (time.process_time() - cpu) * 1000))
    return timings


Row = tuple[str, float, float, float]


def summary(name: str, timings: list[Timing]) -> Row:
    walls = [timing.wall_ms for timing in timings]
    return (name, percentile(walls, 0.5), percentile(walls, 0.95),
            percentile([timing.cpu_ms for timing in timings], 0.5))


def print_table(results: list[Row], downloads: int, jobs: int) -> None:
    print(f"\nlibrary_scale: {downloads:,} downloads, {jobs:,} jobs, SQLite "
          f"{sqlite3.sqlite_version}, in-process ASGI requests\n")
    print(f"| {'request':<36} | {'p50 ms':>7} | {'p95 ms':>7} | {'CPU ms p50':>10} |")
    print(f"| {'-' * 36} | {'-' * 7}:| {'-' * 7}:| {'-' * 10}:|")
    for name, p50, p95, cpu in results:
        flag = "" if p95 < 100 else "  (over 100 ms)"
        print(f"| {name:<36} | {p50:7.1f} | {p95:7.1f} | {cpu:10.1f} |{flag}")
    print(f"\nserver memory: RSS {rss_megabytes():.0f} MB, peak {rss_megabytes('VmHWM'):.0f} MB")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (1, 5, 15 min) at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--downloads", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--db", type=Path, default=None,
                        help="database file to seed or reuse (default: a temporary folder)")
    options = parser.parse_args()
    folder = options.db.parent if options.db else Path(tempfile.mkdtemp(prefix="mediadl-bench-"))
    path = options.db or folder / "mediadl.db"
    marker = path.with_suffix(f".seeded-{options.downloads}-{options.jobs}")
    if not marker.exists():
        path.unlink(missing_ok=True)
        started = time.perf_counter()
        # Seeding in its own process keeps its memory out of the server's figure.
        seeder = multiprocessing.get_context("spawn").Process(
            target=seed, args=(path, options.downloads, options.jobs))
        seeder.start()
        seeder.join()
        if seeder.exitcode != 0:
            raise SystemExit("seeding failed")
        marker.touch()
        print(f"seeded {path} in {time.perf_counter() - started:.0f} s")
    print_table(measure(path, options.rounds), options.downloads, options.jobs)


if __name__ == "__main__":
    main()
