"""Import this module to warm the database layer up; meant for the job processes' template.

SQLAlchemy configures the ORM mappers on a process's first query: a quarter of a small
file's job time when every forked job process did it again (measured with a sampling
profiler). Configured here once, the forks inherit it, along with the dialects' imports.
"""

from __future__ import annotations

import sqlalchemy.dialects.postgresql.psycopg
import sqlalchemy.dialects.sqlite.pysqlite  # noqa: F401
from sqlalchemy.orm import configure_mappers

import mediadl.db.models  # noqa: F401  (every table, so every mapper is configured)

configure_mappers()
