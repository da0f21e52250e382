"""The migrations build exactly the tables the models describe, and one head follows them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from mediadl.db.base import Base
from mediadl.db.migrate import alembic_config, upgrade
from mediadl.db.models import User

# Full-text search tables and columns are made by raw DDL in the migrations (dialect.py).
SEARCH_OBJECTS = ("downloads_fts", "search_vector", "ix_downloads_search")


def _relevant(difference: object) -> bool:
    return not any(name in repr(difference) for name in SEARCH_OBJECTS)


def test_models_and_migrations_agree(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = [d for d in compare_metadata(context, Base.metadata) if _relevant(d)]
    engine.dispose()
    assert differences == []


def test_there_is_one_head():
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, heads


def test_the_site_migration_fills_in_the_sites_of_existing_many_site_jobs(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, "0008")
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        session.add(User(id=1, username="a", password_hash="x", role="user"))
    with engine.begin() as connection:
        for number, (address, platform) in enumerate([
                ("https://www.Files.example.org/a", "generic"),
                ("https://forum.example.net/t/1", "forum"),
                ("https://www.youtube.invalid/watch?v=x", "youtube")], start=1):
            connection.execute(text(
                "INSERT INTO jobs (id, owner_id, url, platform, engine, status, priority,"
                " priority_rank, position, quality, options, downloaded_bytes, attempts,"
                " max_attempts, cancel_requested, created_at, updated_at) VALUES (:id, 1, :url,"
                " :platform, 'http', 'queued', 'normal', 1, :id, 'best', '{}', 0, 0, 3, 0,"
                " '2026-01-01', '2026-01-01')"),
                {"id": number, "url": address, "platform": platform})
    upgrade(url)
    with engine.connect() as connection:
        sites = connection.execute(text("SELECT site FROM jobs ORDER BY id")).scalars().all()
    engine.dispose()
    assert sites == ["files.example.org", "forum.example.net", ""]
