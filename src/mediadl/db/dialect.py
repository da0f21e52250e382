"""Every difference between SQLite and PostgreSQL lives here."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    func,
    literal_column,
    text,
)
from sqlalchemy.engine import make_url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> str | None:
    parsed = make_url(url)
    return parsed.database if parsed.get_backend_name() == "sqlite" else None


_FTS_TOKEN = re.compile(r"\w+", re.UNICODE)


def postgres_tsquery(user_query: str) -> str | None:
    tokens = _FTS_TOKEN.findall(user_query)
    if not tokens:
        return None
    return " & ".join(f"{token}:*" for token in tokens[:16])


def with_skip_locked(statement: Select, dialect: str) -> Select:
    """Row locks that let several workers claim different jobs at once (PostgreSQL only;
    SQLite serialises writers with BEGIN IMMEDIATE instead)."""
    if dialect == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement


SQLITE_FTS_DDL = (
    """CREATE VIRTUAL TABLE downloads_fts USING fts5(
        title, description, source, tags, content='downloads', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER downloads_fts_ai AFTER INSERT ON downloads BEGIN
        INSERT INTO downloads_fts(rowid, title, description, source, tags)
        VALUES (new.id, new.title, new.description, new.source, new.tags); END""",
    """CREATE TRIGGER downloads_fts_ad AFTER DELETE ON downloads BEGIN
        INSERT INTO downloads_fts(downloads_fts, rowid, title, description, source, tags)
        VALUES ('delete', old.id, old.title, old.description, old.source, old.tags); END""",
    """CREATE TRIGGER downloads_fts_au AFTER UPDATE ON downloads BEGIN
        INSERT INTO downloads_fts(downloads_fts, rowid, title, description, source, tags)
        VALUES ('delete', old.id, old.title, old.description, old.source, old.tags);
        INSERT INTO downloads_fts(rowid, title, description, source, tags)
        VALUES (new.id, new.title, new.description, new.source, new.tags); END""",
)

POSTGRES_FTS_DDL = (
    """ALTER TABLE downloads ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(source, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(tags, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(description, '')), 'C')) STORED""",
    "CREATE INDEX ix_downloads_search ON downloads USING gin (search_vector)",
)


def search_index_ddl(dialect: str) -> tuple[str, ...]:
    return SQLITE_FTS_DDL if dialect == "sqlite" else POSTGRES_FTS_DDL


def drop_search_index_ddl(dialect: str) -> tuple[str, ...]:
    if dialect == "sqlite":
        return ("DROP TABLE IF EXISTS downloads_fts",)
    return ("DROP INDEX IF EXISTS ix_downloads_search",
            "ALTER TABLE downloads DROP COLUMN IF EXISTS search_vector")


# --- roll-ups for statistics (migration 0004) -----------------------------------------------
# Triggers keep library_daily, library_totals and library_sources exact on every insert,
# delete and update of downloads (and job_counts on jobs), so statistics never scan the big
# tables. A change is applied as "minus the old row, plus the new row"; groups whose count
# reaches zero are removed.

# (table, key columns, the row's values for them) of each roll-up.
_ROLLUPS = (
    ("library_daily", ("day", "platform", "owner_id"), ("{day}", "{row}.platform",
                                                        "{row}.owner_id")),
    ("library_totals", ("owner_id", "platform", "kind"), ("{row}.owner_id", "{row}.platform",
                                                         "{row}.kind")),
    ("library_sources", ("owner_id", "platform", "source"),
     ("{row}.owner_id", "{row}.platform", "coalesce({row}.source, '')")),
)
_ROLLUP_COLUMNS = "owner_id, platform, kind, size, source, created_at"


def _rollup_step(table: str, keys: tuple[str, ...], values: tuple[str, ...], *, sqlite: bool,
                 row: str, sign: str) -> str:
    """Add (sign "") or remove (sign "-") one download to the group of ``row``."""
    day = f"date({row}.created_at)" if sqlite else f"CAST({row}.created_at AS date)"
    filled = [value.format(row=row, day=day) for value in values]
    has_last = table != "library_daily"
    greatest = "max" if sqlite else "greatest"
    last_column = ", last_at" if has_last else ""
    last_value = f", {row}.created_at" if has_last else ""
    last_update = (f""", last_at = CASE WHEN excluded.download_count > 0
            THEN {greatest}(coalesce({table}.last_at, excluded.last_at), excluded.last_at)
            ELSE {table}.last_at END""" if has_last else "")
    match = " AND ".join(f"{key} = {value}" for key, value in zip(keys, filled, strict=True))
    # Table and column names come from _ROLLUPS above, never from input.
    return f"""
    INSERT INTO {table} ({", ".join(keys)}, download_count, byte_count{last_column})
    VALUES ({", ".join(filled)}, {sign}1, {sign}{row}.size{last_value})
    ON CONFLICT ({", ".join(keys)}) DO UPDATE SET
        download_count = {table}.download_count + excluded.download_count,
        byte_count = {table}.byte_count + excluded.byte_count{last_update};
    DELETE FROM {table} WHERE {match} AND download_count <= 0;"""  # noqa: S608


def _rollup_body(*, sqlite: bool, row: str, sign: str) -> str:
    return "".join(_rollup_step(table, keys, values, sqlite=sqlite, row=row, sign=sign)
                   for table, keys, values in _ROLLUPS)


SQLITE_ROLLUP_DDL = (
    "CREATE TRIGGER downloads_rollup_ai AFTER INSERT ON downloads BEGIN"
    + _rollup_body(sqlite=True, row="new", sign="") + " END",
    "CREATE TRIGGER downloads_rollup_ad AFTER DELETE ON downloads BEGIN"
    + _rollup_body(sqlite=True, row="old", sign="-") + " END",
    f"CREATE TRIGGER downloads_rollup_au AFTER UPDATE OF {_ROLLUP_COLUMNS} ON downloads BEGIN"
    + _rollup_body(sqlite=True, row="old", sign="-")
    + _rollup_body(sqlite=True, row="new", sign="") + " END",
)

POSTGRES_ROLLUP_DDL = (
    f"""CREATE FUNCTION mediadl_library_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN{_rollup_body(sqlite=False, row="OLD", sign="-")}
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN{_rollup_body(sqlite=False, row="NEW", sign="")}
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER downloads_rollup AFTER INSERT OR DELETE OR UPDATE OF {_ROLLUP_COLUMNS}
        ON downloads FOR EACH ROW EXECUTE FUNCTION mediadl_library_rollup()""",
)


# The job counts per owner, platform and status, kept the same way by triggers on jobs
# (progress updates do not name these columns, so they do not fire them).
_JOB_COUNT_STEP = """
    INSERT INTO job_counts (owner_id, platform, status, job_count)
    VALUES ({row}.owner_id, {row}.platform, {row}.status, {sign}1)
    ON CONFLICT (owner_id, platform, status) DO UPDATE SET
        job_count = job_counts.job_count + excluded.job_count;
    DELETE FROM job_counts WHERE owner_id = {row}.owner_id AND platform = {row}.platform
        AND status = {row}.status AND job_count <= 0;"""
_JOB_COUNT_COLUMNS = "owner_id, platform, status"

SQLITE_JOB_COUNT_DDL = (
    "CREATE TRIGGER jobs_count_ai AFTER INSERT ON jobs BEGIN"
    + _JOB_COUNT_STEP.format(row="new", sign="") + " END",
    "CREATE TRIGGER jobs_count_ad AFTER DELETE ON jobs BEGIN"
    + _JOB_COUNT_STEP.format(row="old", sign="-") + " END",
    f"CREATE TRIGGER jobs_count_au AFTER UPDATE OF {_JOB_COUNT_COLUMNS} ON jobs BEGIN"
    + _JOB_COUNT_STEP.format(row="old", sign="-")
    + _JOB_COUNT_STEP.format(row="new", sign="") + " END",
)

POSTGRES_JOB_COUNT_DDL = (
    f"""CREATE FUNCTION mediadl_job_counts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN{_JOB_COUNT_STEP.format(row="OLD", sign="-")}
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN{_JOB_COUNT_STEP.format(row="NEW", sign="")}
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER jobs_count AFTER INSERT OR DELETE OR UPDATE OF {_JOB_COUNT_COLUMNS}
        ON jobs FOR EACH ROW EXECUTE FUNCTION mediadl_job_counts()""",
)


def rollup_ddl(dialect: str) -> tuple[str, ...]:
    if dialect == "sqlite":
        return SQLITE_ROLLUP_DDL + SQLITE_JOB_COUNT_DDL
    return POSTGRES_ROLLUP_DDL + POSTGRES_JOB_COUNT_DDL


def drop_rollup_ddl(dialect: str) -> tuple[str, ...]:
    if dialect == "sqlite":
        return (*(f"DROP TRIGGER IF EXISTS downloads_rollup_{suffix}"
                  for suffix in ("ai", "ad", "au")),
                *(f"DROP TRIGGER IF EXISTS jobs_count_{suffix}" for suffix in ("ai", "ad", "au")))
    return ("DROP TRIGGER IF EXISTS downloads_rollup ON downloads",
            "DROP FUNCTION IF EXISTS mediadl_library_rollup()",
            "DROP TRIGGER IF EXISTS jobs_count ON jobs",
            "DROP FUNCTION IF EXISTS mediadl_job_counts()")


def rebuild_rollups_sql(dialect: str) -> tuple[str, ...]:
    """Statements that recompute the roll-ups from the downloads table (after a bulk load
    with the triggers off, or when a migration meets existing rows)."""
    day = "date(created_at)" if dialect == "sqlite" else "CAST(created_at AS date)"
    source = "coalesce(source, '')"
    # Only fixed expressions are formatted in below, never input.
    return (
        "DELETE FROM library_daily",
        "DELETE FROM library_totals",
        "DELETE FROM library_sources",
        "DELETE FROM job_counts",
        f"""INSERT INTO library_daily (day, platform, owner_id, download_count, byte_count)
            SELECT {day}, platform, owner_id, count(*), coalesce(sum(size), 0)
            FROM downloads GROUP BY {day}, platform, owner_id""",  # noqa: S608
        """INSERT INTO library_totals (owner_id, platform, kind, download_count, byte_count,
                                       last_at)
            SELECT owner_id, platform, kind, count(*), coalesce(sum(size), 0), max(created_at)
            FROM downloads GROUP BY owner_id, platform, kind""",
        f"""INSERT INTO library_sources (owner_id, platform, source, download_count, byte_count,
                                        last_at)
            SELECT owner_id, platform, {source}, count(*), coalesce(sum(size), 0),
                   max(created_at)
            FROM downloads GROUP BY owner_id, platform, {source}""",  # noqa: S608
        """INSERT INTO job_counts (owner_id, platform, status, job_count)
            SELECT owner_id, platform, status, count(*) FROM jobs
            GROUP BY owner_id, platform, status""",
    )


def week_start_sql(dialect: str, column: str) -> str:
    """The Monday of the ISO week of a date column, as a date."""
    if dialect == "sqlite":
        weekday = f"((CAST(strftime('%w', {column}) AS INTEGER) + 6) % 7)"
        return f"date({column}, '-' || {weekday} || ' days')"
    return f"CAST(date_trunc('week', {column}) AS date)"


def date_of_sql(dialect: str, column: str) -> str:
    """The calendar day of a timestamp column, as a date."""
    if dialect == "sqlite":
        return f"date({column})"
    return f"CAST({column} AS date)"


# --- full-text search at scale (library.search) ---------------------------------------------

def search_match_sql(dialect: str) -> str:
    """A WHERE fragment (``:q`` bound) for a query that joins the search index: on SQLite
    the FTS5 table ``downloads_fts`` must be in the FROM clause."""
    if dialect == "sqlite":
        return "downloads_fts MATCH :q"
    return "downloads.search_vector @@ to_tsquery('simple', :q)"


def postgres_search_rank() -> ColumnElement[Any]:
    """ts_rank of a row (title weighted above source and tags above description), ``:q``
    bound; lower is better."""
    query = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("q"))
    return -func.ts_rank(literal_column("downloads.search_vector"), query)


def uses_search_table(dialect: str) -> bool:
    return dialect == "sqlite"


def search_words(user_query: str) -> list[str]:
    """The words of a search, as the query builders above see them."""
    return _FTS_TOKEN.findall(user_query)[:16]


def fts5_word_query(words: list[tuple[str, bool]]) -> str:
    """An FTS5 query requiring every word; ``(word, True)`` also matches longer words."""
    return " ".join(f'"{word}"*' if prefix else f'"{word}"' for word, prefix in words)


def fts5_in_columns(columns: tuple[str, ...], query: str) -> str:
    """``query`` with every word required inside ``columns``."""
    return f"{{{' '.join(columns)}}} : ({query})"


__all__ = ["text"]
