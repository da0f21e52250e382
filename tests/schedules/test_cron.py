"""When schedules run: presets, readable refusals, and next runs across daylight-saving
changes in two zones (times are naive UTC, like every stored time)."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice, pairwise

import pytest

from mediadl.schedules.cron import (
    CronError,
    check_cron,
    check_zone,
    expression_of,
    next_run_after,
    runs_after,
    shortest_interval,
)


def runs(cron: str, zone: str, after: datetime, count: int) -> list[datetime]:
    return list(islice(runs_after(cron, zone, after), count))


def test_presets_are_five_field_expressions():
    assert expression_of("hourly") == "0 * * * *"
    assert expression_of("Daily") == "0 0 * * *"
    assert expression_of("weekly") == "0 0 * * 0"
    assert check_cron("  WEEKLY ") == "weekly"
    assert check_cron("30   2 * * 1-5") == "30 2 * * 1-5"


@pytest.mark.parametrize(("cron", "reason"), [
    ("* * *", "5 fields"),
    ("@daily", "5 fields"),
    ("61 * * * *", "Bad minute"),
    ("0 25 * * *", "Bad hour"),
    ("0 0 31 2 *", "Bad day-of-month"),
    ("0 0 * * funday", "Bad day-of-week"),
])
def test_invalid_cron_is_refused_with_the_reason(cron, reason):
    with pytest.raises(CronError, match=reason):
        check_cron(cron)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "/etc/localtime",
                                  "Europe/../Europe/Berlin"])
def test_unknown_or_path_like_zones_are_refused(zone):
    with pytest.raises(CronError):
        check_zone(zone)


def test_berlin_daily_0230_fires_once_on_both_transition_days():
    # 2026-03-29 02:00 CET jumps to 03:00 CEST: 02:30 does not exist and runs at 03:00.
    spring = runs("30 2 * * *", "Europe/Berlin", datetime(2026, 3, 27, 12), 4)
    assert spring == [datetime(2026, 3, 28, 1, 30), datetime(2026, 3, 29, 1, 0),
                      datetime(2026, 3, 30, 0, 30), datetime(2026, 3, 31, 0, 30)]
    # 2026-10-25 03:00 CEST falls back to 02:00 CET: 02:30 happens twice, runs once.
    autumn = runs("30 2 * * *", "Europe/Berlin", datetime(2026, 10, 23, 12), 4)
    assert autumn == [datetime(2026, 10, 24, 0, 30), datetime(2026, 10, 25, 0, 30),
                      datetime(2026, 10, 26, 1, 30), datetime(2026, 10, 27, 1, 30)]


def test_new_york_daily_runs_once_in_the_gap_and_in_the_repeated_hour():
    # 2026-03-08 02:00 EST jumps to 03:00 EDT.
    spring = runs("30 2 * * *", "America/New_York", datetime(2026, 3, 6, 12), 3)
    assert spring == [datetime(2026, 3, 7, 7, 30), datetime(2026, 3, 8, 7, 0),
                      datetime(2026, 3, 9, 6, 30)]
    # 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:30 happens twice, runs once.
    autumn = runs("30 1 * * *", "America/New_York", datetime(2026, 10, 30, 12), 3)
    assert autumn == [datetime(2026, 10, 31, 5, 30), datetime(2026, 11, 1, 5, 30),
                      datetime(2026, 11, 2, 6, 30)]


@pytest.mark.parametrize(("zone", "day", "hours"), [
    ("Europe/Berlin", datetime(2026, 3, 28, 23), 23),     # the short day
    ("Europe/Berlin", datetime(2026, 10, 24, 22), 25),    # the long day
    ("America/New_York", datetime(2026, 3, 8, 5), 23),
    ("America/New_York", datetime(2026, 11, 1, 4), 25),
])
def test_hourly_keeps_real_time_pace_across_a_change(zone, day, hours):
    # Every run is an hour after the previous one, however long the local day is.
    local_day = runs("hourly", zone, day - timedelta(seconds=1), hours)
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(local_day))
    assert local_day[0] == day and len(set(local_day)) == hours


def test_next_run_is_strictly_after_the_given_time():
    after = datetime(2026, 1, 5, 0, 0)
    assert next_run_after("daily", "UTC", after) == datetime(2026, 1, 6, 0, 0)
    assert next_run_after("daily", "UTC", after - timedelta(seconds=1)) == after


def test_weekly_preset_in_a_zone_is_sunday_midnight_local():
    # Sunday 2026-06-07 00:00 in Tokyo is Saturday 15:00 UTC.
    assert next_run_after("weekly", "Asia/Tokyo", datetime(2026, 6, 1)) == datetime(
        2026, 6, 6, 15, 0)


def test_shortest_interval_sees_short_gaps_inside_a_day():
    start = datetime(2026, 1, 1)
    assert shortest_interval("*/5 9 * * *", "UTC", start) == timedelta(minutes=5)
    assert shortest_interval("daily", "UTC", start) == timedelta(days=1)
