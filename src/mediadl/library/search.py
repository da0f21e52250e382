"""Full-text search that stays fast at a million downloads.

Relevance is computed over a *window*: the newest ``RANK_WINDOW`` matches that pass the
filters, read newest-first straight from the search index (its cost does not grow with the
library). Inside the window results come best first; further pages continue with the older
matches, newest first. A search with fewer matches than the window is ranked completely.

On SQLite, relevance is a tier: every word in the title first, then every word in the
title, source or tags, then the rest (words found in the description); newest first within
a tier. Each tier is one more pass over the index restricted to the window's id range, so
ranking costs the same for "espresso" as for a word in every other title - unlike bm25,
which counts every document of every word first. On PostgreSQL the window is ordered by
``ts_rank`` over the weighted search vector (title, then source and tags, then description).

A typed word also matches longer words ("pengu" finds "penguin"), except a word that is
already a common complete word: expanding "cooking" to every word starting with it would
read hundreds of thousands of entries to add a handful.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from mediadl.db.dialect import (
    fts5_in_columns,
    fts5_word_query,
    postgres_search_rank,
    postgres_tsquery,
    search_match_sql,
    search_words,
    uses_search_table,
)
from mediadl.db.models import Download

RANK_WINDOW = 300
COUNT_LIMIT = 500
# A word with at least this many exact matches is searched as itself, not as a prefix.
COMMON_WORD_MATCHES = 2_000
# Tiers of relevance on SQLite: where every word of the search was found.
TIERS: tuple[tuple[str, ...], ...] = (("title",), ("title", "source", "tags"))

_fts = table("downloads_fts", column("rowid"))


@dataclass(frozen=True)
class Search:
    dialect: str
    terms: str  # the engine's query text, bound as :q

    @property
    def params(self) -> dict[str, Any]:
        return {"q": self.terms}


def prepare(session: Session, dialect: str, user_query: str) -> Search | None:
    """The search for ``user_query``; None when it holds no word at all."""
    words = search_words(user_query)
    if not words:
        return None
    if dialect != "sqlite":
        terms = postgres_tsquery(user_query)
        return Search(dialect, terms) if terms else None
    marked = [(word, not _is_common_word(session, word)) for word in words]
    return Search(dialect, fts5_word_query(marked))


def matching(search: Search, conditions: list[Any], *columns: Any) -> Select[Any]:
    """SELECT ``columns`` of downloads that match the search and ``conditions``."""
    match = text(search_match_sql(search.dialect))
    statement = select(*columns).where(match, *conditions)
    if uses_search_table(search.dialect):
        statement = statement.select_from(_fts).join(Download, Download.id == _fts.c.rowid)
    return statement


def newest_first(search: Search, descending: bool = True) -> Any:
    """Index order: ids grow with time, so this is also the order of creation."""
    key = _fts.c.rowid if uses_search_table(search.dialect) else Download.id
    return key.desc() if descending else key.asc()


def rank_window(session: Session, search: Search,
                conditions: list[Any]) -> list[tuple[int, float]]:
    """(id, rank) of the newest RANK_WINDOW matches; lower rank is better."""
    if not uses_search_table(search.dialect):
        statement = (matching(search, conditions, Download.id, postgres_search_rank())
                     .order_by(newest_first(search)).limit(RANK_WINDOW))
        return [(row_id, float(rank or 0.0))
                for row_id, rank in session.execute(statement, search.params)]
    ids = list(session.scalars(matching(search, conditions, Download.id)
                              .order_by(newest_first(search)).limit(RANK_WINDOW),
                              search.params))
    return _tiered(session, search, ids)


def _tiered(session: Session, search: Search, ids: list[int]) -> list[tuple[int, float]]:
    if not ids:
        return []
    oldest = min(ids)
    found = [_hits(session, fts5_in_columns(columns, search.terms), oldest) for columns in TIERS]
    return [(row_id, float(next((tier for tier, hits in enumerate(found) if row_id in hits),
                                len(TIERS))))
            for row_id in ids]


def _hits(session: Session, query: str, oldest: int) -> set[int]:
    """Ids from ``oldest`` on whose columns hold every word (any owner: a superset of the
    window's, read from the index alone)."""
    statement = select(_fts.c.rowid).where(text("downloads_fts MATCH :q"),
                                           _fts.c.rowid >= oldest)
    return set(session.scalars(statement, {"q": query}))


def older_matches(session: Session, search: Search, conditions: list[Any], before_id: int,
                  offset: int, limit: int) -> list[int]:
    """Ids of matches older than the window, newest first."""
    statement = (matching(search, [*conditions, Download.id < before_id], Download.id)
                 .order_by(newest_first(search)).offset(offset).limit(limit))
    return list(session.scalars(statement, search.params))


def count_matches(session: Session, search: Search, conditions: list[Any],
                  limit: int = COUNT_LIMIT) -> int:
    """The number of matches, counted up to ``limit`` (a common word matches far more)."""
    capped = matching(search, conditions, literal_column("1")).limit(limit).subquery()
    return int(session.scalar(select(func.count()).select_from(capped), search.params) or 0)


def search_condition(search: Search) -> ColumnElement[bool]:
    """A plain WHERE condition (``id IN`` the index's matches), for sorts other than
    relevance and recency."""
    if uses_search_table(search.dialect):
        matches = select(_fts.c.rowid).where(text("downloads_fts MATCH :q"))
        return Download.id.in_(matches)
    return text(search_match_sql(search.dialect))  # type: ignore[return-value]


def _is_common_word(session: Session, word: str) -> bool:
    probe = (select(literal_column("1")).select_from(_fts)
             .where(text("downloads_fts MATCH :q")).limit(COMMON_WORD_MATCHES).subquery())
    found = session.scalar(select(func.count()).select_from(probe),
                           {"q": fts5_word_query([(word, False)])})
    return int(found or 0) >= COMMON_WORD_MATCHES
