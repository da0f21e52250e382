"""The SQL that turns a timestamp into its day or its week, run on SQLite (the PostgreSQL
forms run in the stats tests under MEDIADL_TEST_DATABASE=postgresql)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from mediadl.db.dialect import date_of_sql, week_start_sql


def _sqlite_value(expression: str, stamp: str) -> str:
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (at TIMESTAMP)"))
        connection.execute(text("INSERT INTO t VALUES (:at)"), {"at": stamp})
        value = connection.execute(text(f"SELECT {expression} FROM t")).scalar_one()
    engine.dispose()
    return str(value)


@pytest.mark.parametrize(("stamp", "day"), [("2026-03-04 23:59:59.999999", "2026-03-04"),
                                            ("2026-03-05 00:00:00", "2026-03-05")])
def test_the_day_of_a_timestamp(stamp: str, day: str) -> None:
    assert _sqlite_value(date_of_sql("sqlite", "t.at"), stamp) == day


def test_the_day_then_its_week_starts_on_monday() -> None:
    sunday_night = "2026-03-08 23:30:00"
    week = week_start_sql("sqlite", date_of_sql("sqlite", "t.at"))
    assert _sqlite_value(week, sunday_night) == "2026-03-02"


def test_postgresql_casts_to_date() -> None:
    assert date_of_sql("postgresql", "jobs.finished_at") == "CAST(jobs.finished_at AS date)"
