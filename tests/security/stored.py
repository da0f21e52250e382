"""Everything the database holds, as bytes, to prove a secret is not among it.

On SQLite the files themselves are read (free pages and the WAL included); on any
database every row of every table is dumped as well.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, select, table, text

from mediadl.core.settings import Settings
from mediadl.db.session import Database


def stored_bytes(database: Database, settings: Settings) -> bytes:
    files = b""
    if database.dialect == "sqlite":
        files = b"".join(Path(p).read_bytes() for p in settings.data_dir.glob("mediadl.db*"))
    return files + _dump(database).encode("utf-8", "replace")


def _dump(database: Database) -> str:
    parts = []
    with database.read() as session:
        names = inspect(session.connection()).get_table_names()
        for name in names:
            rows = session.execute(select(text("*")).select_from(table(name))).all()
            parts.extend(repr(tuple(row)) for row in rows)
    return "\n".join(parts)
