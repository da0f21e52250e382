"""The roll-up tables stay exactly what a full recount gives, whatever happens to the rows,
on SQLite and on PostgreSQL; and the statistics and search queries run on both."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update

from mediadl.db.models import Download, Job, User
from mediadl.db.models.library_ops import JobCount, LibraryDaily, LibrarySource, LibraryTotal
from mediadl.db.session import Database
from mediadl.library.listing import list_downloads
from mediadl.library.schemas import DownloadQuery
from mediadl.stats import service as stats
from mediadl.stats.schemas import TimelineQuery

PLATFORMS = ("youtube", "tiktok", "generic")
KINDS = ("video", "audio", "image")
SOURCES = ("alpha", "beta", None)
STATUSES = ("queued", "running", "completed", "failed")


def _owners(db: Database) -> list[int]:
    with db.session() as session:
        users = [User(username=f"rollup-{n}", password_hash="x") for n in range(2)]
        session.add_all(users)
        session.flush()
        return [user.id for user in users]


def _shuffle_rows(db: Database, owners: list[int], seed: int) -> None:
    """Inserts, updates of every rolled-up column, and deletes, in random order."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, 12, 0)
    with db.session() as session:
        for serial in range(120):
            session.add(Download(
                owner_id=rng.choice(owners), item_key=f"k{serial}", url="https://x.test/",
                platform=rng.choice(PLATFORMS), source=rng.choice(SOURCES),
                kind=rng.choice(KINDS), filename=f"f{serial}", size=rng.randrange(1, 10_000),
                sha256="0" * 64, extra={}, created_at=start - timedelta(days=rng.randrange(20))))
            session.add(Job(owner_id=rng.choice(owners), url="https://x.test/", engine="fake",
                            platform=rng.choice(PLATFORMS), status=rng.choice(STATUSES),
                            options={}))
    with db.session() as session:
        ids = list(session.scalars(select(Download.id)))
        job_ids = list(session.scalars(select(Job.id)))
        for row_id in rng.sample(ids, 40):
            change = rng.choice(({"size": rng.randrange(1, 99)}, {"kind": rng.choice(KINDS)},
                                 {"platform": rng.choice(PLATFORMS)},
                                 {"source": rng.choice(SOURCES)}, {"owner_id": owners[0]},
                                 {"created_at": start - timedelta(days=30)}))
            session.execute(update(Download).where(Download.id == row_id).values(**change))
        session.execute(delete(Download).where(Download.id.in_(rng.sample(ids, 30))))
        for job_id in rng.sample(job_ids, 40):
            session.execute(update(Job).where(Job.id == job_id)
                            .values(status=rng.choice(STATUSES)))
        session.execute(delete(Job).where(Job.id.in_(rng.sample(job_ids, 20))))


def _rollups(db: Database) -> dict[str, set[tuple[Any, ...]]]:
    with db.read() as session:
        return {
            "daily": {(str(r.day), r.platform, r.owner_id, r.download_count, r.byte_count)
                      for r in session.scalars(select(LibraryDaily))},
            "totals": {(r.owner_id, r.platform, r.kind, r.download_count, r.byte_count)
                       for r in session.scalars(select(LibraryTotal))},
            "sources": {(r.owner_id, r.platform, r.source, r.download_count, r.byte_count)
                        for r in session.scalars(select(LibrarySource))},
            "jobs": {(r.owner_id, r.platform, r.status, r.job_count)
                     for r in session.scalars(select(JobCount))},
        }


def _recount(db: Database) -> dict[str, set[tuple[Any, ...]]]:
    day = func.date(Download.created_at)
    source = func.coalesce(Download.source, "")
    with db.read() as session:
        def grouped(*keys: Any) -> set[tuple[Any, ...]]:
            rows = session.execute(select(*keys, func.count(), func.sum(Download.size))
                                   .group_by(*keys))
            return {tuple(str(value) if index == 0 and keys[0] is day else value
                          for index, value in enumerate(row)) for row in rows}
        jobs = session.execute(select(Job.owner_id, Job.platform, Job.status, func.count())
                               .group_by(Job.owner_id, Job.platform, Job.status))
        return {"daily": grouped(day, Download.platform, Download.owner_id),
                "totals": grouped(Download.owner_id, Download.platform, Download.kind),
                "sources": grouped(Download.owner_id, Download.platform, source),
                "jobs": {tuple(row) for row in jobs}}


def _check_queries_run(db: Database, owners: list[int]) -> None:
    """The statistics and search SQL of this dialect (week starts, full text, windows)."""
    with db.read() as session:
        scope = stats.Scope(owners[0])
        week = stats.timeline(session, scope, TimelineQuery(interval="week", days=60,
                                                            date_to=datetime(2026, 3, 1).date()))
        assert all(datetime.fromisoformat(point.period).weekday() == 0 for point in week.items)
        assert sum(point.downloads for point in week.items) == sum(
            row[3] for row in _rollups(db)["daily"] if row[2] == owners[0])
        admin = User(id=0, username="everyone", role="admin")
        page = list_downloads(session, admin, DownloadQuery(q="alph", sort="relevance"))
        assert page.total == sum(row[3] for row in _rollups(db)["sources"] if row[2] == "alpha")


def test_sqlite_rollups_match_a_recount(database: Database) -> None:
    owners = _owners(database)
    _shuffle_rows(database, owners, seed=1)
    assert _rollups(database) == _recount(database)
    _check_queries_run(database, owners)


def test_postgres_rollups_match_a_recount(pg: Database) -> None:
    owners = _owners(pg)
    _shuffle_rows(pg, owners, seed=2)
    assert _rollups(pg) == _recount(pg)
    _check_queries_run(pg, owners)
    with pg.read() as session:
        triggers = session.execute(text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars().all()
    assert {"downloads_rollup", "jobs_count"} <= set(triggers)
