"""The migrations build exactly the tables the models describe, and one head follows them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from mediadl.db.base import Base
from mediadl.db.migrate import alembic_config, upgrade

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
