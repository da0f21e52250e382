"""The library page: filters, sorting, paging and totals that stay fast at a million rows.

A page is found in two steps: the ids (from an index, without touching the rows it skips),
then the rows of that page. Totals come from the statistics roll-up when the filters are
ones it keeps (owner, platform, kind, whole days), and are counted up to ``COUNT_LIMIT``
otherwise; a search counts up to its own, smaller limit (see ``search``). ``total_exact``
says whether ``total`` is exact or a lower bound.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.orm import Session

from mediadl.db.models import Download, User
from mediadl.db.models.library_ops import LibraryDaily, LibraryTotal
from mediadl.library import search as fts
from mediadl.library.schemas import DownloadOut, DownloadPage, DownloadQuery

COUNT_LIMIT = 10_000


def visible_to(user: User) -> list[ColumnElement[bool]]:
    return [] if user.is_admin else [Download.owner_id == user.id]


def list_downloads(session: Session, user: User, query: DownloadQuery) -> DownloadPage:
    dialect = session.get_bind().dialect.name
    search = fts.prepare(session, dialect, query.q) if query.q else None
    conditions = [*visible_to(user), *filters(query)]
    if search is not None:
        ids, total, exact = _searched_page(session, search, conditions, query)
    else:
        ids = _page_ids(session, conditions, query)
        total, exact = _count(session, user, query, conditions)
    return DownloadPage(items=[DownloadOut.from_row(row) for row in _rows(session, ids)],
                        total=total, total_exact=exact, page=query.page,
                        page_size=query.page_size)


def filters(query: DownloadQuery) -> list[Any]:
    checks: list[tuple[Any, Callable[[Any], Any]]] = [
        (query.platform, lambda value: Download.platform == value),
        (query.source, lambda value: Download.source == value),
        (query.kind, lambda value: Download.kind == value),
        (query.date_from, lambda value: Download.created_at >= value),
        (query.date_to, lambda value: Download.created_at <= value),
        (query.min_size, lambda value: Download.size >= value),
        (query.max_size, lambda value: Download.size <= value),
    ]
    return [condition(value) for value, condition in checks if value is not None]


def ordering(query: DownloadQuery) -> list[Any]:
    sort = query.sort if query.sort not in (None, "relevance") else "created_at"
    ascending = (query.order or ("asc" if sort == "title" else "desc")) == "asc"
    column: Any = func.lower(Download.title) if sort == "title" else getattr(Download, sort)
    key = column.asc() if ascending else column.desc()
    if sort in ("title", "duration"):
        # Untitled or unprobed rows go last on SQLite and PostgreSQL alike.
        key = key.nulls_last()
    # The id keeps pages stable when many rows share a value.
    return [key, Download.id.asc() if ascending else Download.id.desc()]


def _offset(query: DownloadQuery) -> int:
    return (query.page - 1) * query.page_size


def _page_ids(session: Session, conditions: list[Any], query: DownloadQuery) -> list[int]:
    statement = (select(Download.id).where(*conditions).order_by(*ordering(query))
                 .offset(_offset(query)).limit(query.page_size))
    return list(session.scalars(statement))


def _rows(session: Session, ids: Sequence[int]) -> list[Download]:
    if not ids:
        return []
    found = {row.id: row for row in session.scalars(select(Download).where(
        Download.id.in_(ids)))}
    return [found[row_id] for row_id in ids if row_id in found]


# --- totals --------------------------------------------------------------------------------

def _count(session: Session, user: User, query: DownloadQuery,
           conditions: list[Any]) -> tuple[int, bool]:
    if _rollup_can_count(query):
        return _rollup_count(session, user, query), True
    capped = (select(literal_column("1")).select_from(Download).where(*conditions)
              .limit(COUNT_LIMIT).subquery())
    counted = int(session.scalar(select(func.count()).select_from(capped)) or 0)
    return counted, counted < COUNT_LIMIT


def _rollup_can_count(query: DownloadQuery) -> bool:
    """The roll-ups know owner, platform and kind for all time, and owner and platform per
    day: no source or size, and whole days only without a kind."""
    if query.source is not None or query.min_size is not None or query.max_size is not None:
        return False
    if query.date_from is None and query.date_to is None:
        return True
    return query.kind is None and _is_day_start(query.date_from) and _is_day_end(query.date_to)


def _is_day_start(moment: datetime | None) -> bool:
    return moment is None or moment.time() == time.min


def _is_day_end(moment: datetime | None) -> bool:
    return moment is None or moment.time() == time.max


def _rollup_count(session: Session, user: User, query: DownloadQuery) -> int:
    table: Any = LibraryTotal if query.date_from is None and query.date_to is None \
        else LibraryDaily
    checks: list[tuple[Any, Callable[[Any], Any]]] = [
        (None if user.is_admin else user.id, lambda value: table.owner_id == value),
        (query.platform, lambda value: table.platform == value),
        (query.kind, lambda value: table.kind == value),
        (query.date_from, lambda value: table.day >= value.date()),
        (query.date_to, lambda value: table.day <= value.date()),
    ]
    conditions = [condition(value) for value, condition in checks if value is not None]
    total = session.scalar(select(func.coalesce(func.sum(table.download_count), 0))
                           .where(*conditions))
    return int(total or 0)


# --- with words to look for ----------------------------------------------------------------

def _searched_page(session: Session, search: fts.Search, conditions: list[Any],
                   query: DownloadQuery) -> tuple[list[int], int, bool]:
    sort = query.sort or "relevance"
    if sort == "relevance":
        return _relevance_page(session, search, conditions, query)
    if sort == "created_at":
        return _dated_page(session, search, conditions, query)
    statement = (select(Download.id).where(fts.search_condition(search), *conditions)
                 .order_by(*ordering(query)).offset(_offset(query)).limit(query.page_size))
    ids = list(session.scalars(statement, search.params))
    total = fts.count_matches(session, search, conditions)
    return ids, total, total < fts.COUNT_LIMIT


def _dated_page(session: Session, search: fts.Search, conditions: list[Any],
                query: DownloadQuery) -> tuple[list[int], int, bool]:
    """Ids grow with time, so the index's own order is the date order: one pass reads the
    page and, up to the window's size, the total."""
    order = fts.newest_first(search, descending=(query.order or "desc") == "desc")
    start = _offset(query)
    reach = max(fts.RANK_WINDOW, start + query.page_size)
    found = list(session.scalars(fts.matching(search, conditions, Download.id)
                                 .order_by(order).limit(reach + 1), search.params))
    ids = found[start:start + query.page_size]
    if len(found) <= reach:
        return ids, len(found), True
    return ids, reach, False


def _relevance_page(session: Session, search: fts.Search, conditions: list[Any],
                    query: DownloadQuery) -> tuple[list[int], int, bool]:
    window = fts.rank_window(session, search, conditions)
    weakest_first = query.order == "asc"
    ranked = sorted(window, key=lambda item: (-item[1] if weakest_first else item[1],
                                              -item[0]))
    start, end = _offset(query), _offset(query) + query.page_size
    ids = [row_id for row_id, _ in ranked[start:end]]
    complete = len(window) < fts.RANK_WINDOW
    if complete:
        return ids, len(window), True
    if len(ids) < query.page_size:
        ids += fts.older_matches(session, search, conditions, min(i for i, _ in window),
                                 max(0, start - len(window)), query.page_size - len(ids))
    # A full window means "at least this many": counting further would read every match.
    return ids, max(len(window), start + len(ids)), False
