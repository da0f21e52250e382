"""Which platforms the dispatcher must pass over now: disabled by an admin, throttled after a
rate limit, or running as many jobs as an admin allows; which generic links, because their
own site is throttled (see ``status``); and which links of a platform that spans many sites,
because their site runs as many jobs as the platform's limit allows. Subqueries only, so a
claim stays one statement over the jobs index."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CompoundSelect,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
    union,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Select

from mediadl.db.models import Job
from mediadl.db.models.platforms import PlatformSetting, PlatformStatus
from mediadl.jobs.states import RUNNING
from mediadl.platforms.status import GENERIC, SITE_PREFIX, TAIL_PREFIX

# A moment, or a bound parameter standing for one: the claim statement is built once.
Moment = datetime | ColumnElement[datetime]

# Platforms whose links go to many unrelated sites: their ``max_concurrent_jobs`` holds per
# site, so a slow forum does not hold back another, and no site gets more than the limit.
PER_SITE_PLATFORMS = (GENERIC, "forum", "imagehost")

# What may follow a host in a link: a path, a port, a query, a fragment, or nothing.
AFTER_HOST = ("/%", ":%", "?%", "#%", "")


def disabled_platforms() -> Select[str]:
    return select(PlatformSetting.name).where(PlatformSetting.enabled == false())


def throttled_platforms(now: Moment) -> Select[str]:
    return select(PlatformStatus.name).where(PlatformStatus.throttled_until > now)


def busy_platforms() -> Select[str]:
    """Platforms (of one site each) running ``max_concurrent_jobs`` jobs already."""
    limit = PlatformSetting.max_concurrent_jobs
    return (select(Job.platform)
            .join(PlatformSetting, PlatformSetting.name == Job.platform)
            .where(Job.status == RUNNING, limit.is_not(None),
                   Job.platform.not_in(PER_SITE_PLATFORMS))
            .group_by(Job.platform, limit)
            .having(func.count() >= limit))


def busy_site_of_job() -> ColumnElement[bool]:
    """True for a job of a many-site platform whose site already runs the platform's
    ``max_concurrent_jobs`` jobs. The running jobs are few, so the subquery is cheap."""
    running = aliased(Job)
    limit = PlatformSetting.max_concurrent_jobs
    busy_sites = (select(running.platform, running.site)
                  .join(PlatformSetting, PlatformSetting.name == running.platform)
                  .where(running.status == RUNNING, limit.is_not(None),
                         running.platform.in_(PER_SITE_PLATFORMS))
                  .group_by(running.platform, running.site, limit)
                  .having(func.count() >= limit))
    return and_(Job.platform.in_(PER_SITE_PLATFORMS),
                tuple_(Job.platform, Job.site).in_(busy_sites))


def blocked_platforms(now: Moment) -> CompoundSelect:
    return union(disabled_platforms(), throttled_platforms(now), busy_platforms())


def throttled_site_of_job(now: Moment) -> ColumnElement[bool]:
    """True for a generic job whose link's host (or a parent domain of it) is throttled.

    Correlated with the job being claimed; it looks only at throttled status rows (an
    indexed range that is empty almost always), and matches hosts with LIKE, which both
    SQLite and PostgreSQL run alike.
    """
    url = func.lower(Job.url)
    site = func.substr(PlatformStatus.name, len(SITE_PREFIX) + 1)
    return and_(Job.platform == GENERIC, exists().where(
        PlatformStatus.throttled_until > now,
        or_(and_(PlatformStatus.name.like(SITE_PREFIX + "%"), _host_in(url, site, ("", "%."))),
            and_(PlatformStatus.name.like(TAIL_PREFIX + "%"), _host_in(url, site, ("%",))))))


def _host_in(url: ColumnElement[str], site: ColumnElement[str],
             before: tuple[str, ...]) -> ColumnElement[bool]:
    return or_(*(url.like(literal(f"http%://{lead}").concat(site).concat(end))
                 for lead in before for end in AFTER_HOST))
