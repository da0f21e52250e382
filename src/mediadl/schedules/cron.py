"""When a schedule runs: cron expressions and presets, evaluated in the schedule's time zone.

Evaluation is cronsim's, which follows Debian cron around daylight-saving changes: a run at a
fixed time that falls into the spring-forward gap happens once, right after the gap; a run in
the repeated fall-back hour happens once, at its first occurrence. Runs of a wildcard hour
("every 15 minutes") keep their pace in real time. Stored times are naive UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

PRESETS: dict[str, str] = {
    "hourly": "0 * * * *",
    "daily": "0 0 * * *",
    "weekly": "0 0 * * 0",
}
MAX_ZONE_LENGTH = 64
# Intervals are checked over this many runs: enough to see the short gaps of "*/5 9 * * *".
INTERVAL_SAMPLE = 60


class CronError(ValueError):
    """An expression or zone a person typed that cannot be used; the message says why."""


def expression_of(cron: str) -> str:
    """The 5-field expression of a preset or of an expression as typed."""
    spec = " ".join(cron.split())
    return PRESETS.get(spec.lower(), spec)


def check_cron(cron: str) -> str:
    """The normalised cron text (a preset name or 5 fields), or CronError with the reason."""
    spec = " ".join(cron.split())
    if spec.lower() in PRESETS:
        return spec.lower()
    fields = spec.split(" ") if spec else []
    if len(fields) != 5:
        raise CronError(f"a cron expression has 5 fields (minute hour day month weekday) "
                        f"or is one of {', '.join(PRESETS)}; got {len(fields)} field(s)")
    try:
        next(CronSim(spec, datetime(2000, 1, 1)))
    except CronSimError as error:
        raise CronError(f"'{spec}' is not a valid cron expression: {error}") from None
    except StopIteration:
        raise CronError(f"'{spec}' never matches a real date") from None
    return spec


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The IANA zone, or CronError; names are never read as file paths."""
    if not name or len(name) > MAX_ZONE_LENGTH or name.startswith(("/", ".")) or ".." in name:
        raise CronError(f"'{name[:MAX_ZONE_LENGTH]}' is not an IANA time zone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(f"'{name}' is not a known IANA time zone such as Europe/Berlin "
                        "or America/New_York") from None


def check_zone(name: str) -> str:
    zone(name)
    return name


def runs_after(cron: str, zone_name: str, after: datetime) -> Iterator[datetime]:
    """Run times (naive UTC) strictly after ``after`` (naive UTC), in order."""
    local = after.replace(tzinfo=UTC).astimezone(zone(zone_name))
    previous = after
    for moment in CronSim(expression_of(cron), local):
        run = moment.astimezone(UTC).replace(tzinfo=None)
        # A wall-clock iteration can name one instant twice around a DST change.
        if run > previous:
            previous = run
            yield run


def next_run_after(cron: str, zone_name: str, after: datetime) -> datetime | None:
    """The first run strictly after ``after``; None if the expression never matches again."""
    return next(runs_after(cron, zone_name, after), None)


def shortest_interval(cron: str, zone_name: str, start: datetime) -> timedelta | None:
    """The smallest gap between consecutive runs over the next ``INTERVAL_SAMPLE`` runs."""
    runs = runs_after(cron, zone_name, start)
    previous = next(runs, None)
    shortest: timedelta | None = None
    for _ in range(INTERVAL_SAMPLE):
        current = next(runs, None)
        if previous is None or current is None:
            break
        gap = current - previous
        shortest = gap if shortest is None else min(shortest, gap)
        previous = current
    return shortest
