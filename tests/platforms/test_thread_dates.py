"""A forum thread queued with dates (as POST /platforms/forum/thread stores them) expands
into the images of the posts within the dates only, run with the real runner and engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from mediadl.core.clock import utcnow
from mediadl.db.models import Job, User
from mediadl.jobs import leases
from mediadl.jobs.runner import JobRun
from mediadl.platforms.catalog import FORUM
from mediadl.platforms.routing import route_to
from mediadl.platforms.schemas import ThreadShortcutRequest
from mediadl.platforms.service import selection
from mediadl.queue.service import enqueue_job
from tests.fixtures.dated_forum import THREAD_PATH, write_dated_thread
from tests.fixtures.site import FixtureSite


@pytest.fixture
def dated_site(fixture_media, tmp_path: Path) -> Iterator[FixtureSite]:
    write_dated_thread(tmp_path / "extra")
    with FixtureSite(fixture_media, extra_dir=tmp_path / "extra") as site:
        yield site


@pytest.fixture
def owner(database, make_user) -> User:
    user_id = make_user("alice")
    with database.read() as session:
        return session.get(User, user_id)


def queue_thread(database, settings, owner: User, request: ThreadShortcutRequest) -> int:
    """What PlatformService.thread queues for the request."""
    with database.session() as session:
        return enqueue_job(session, settings, owner, request.url, priority=request.priority,
                           options=selection(request.max_items, request.date_from,
                                             request.date_to),
                           forced=route_to(FORUM, request.url)).id


def run(database, settings, job_id: int) -> Job:
    with database.session() as session:
        claimed = leases.claim_job(session, job_id, utcnow(), 60)
    assert claimed is not None
    JobRun(database, settings, job_id, claimed[1], lambda _message: None).execute()
    with database.read() as session:
        return session.get(Job, job_id)


def child_urls(database, parent_id: int, base_url: str) -> list[str]:
    with database.read() as session:
        urls = session.scalars(select(Job.url).where(Job.parent_id == parent_id)
                               .order_by(Job.id))
        return [url.removeprefix(base_url) for url in urls]


def test_a_thread_with_dates_brings_only_posts_within_them(database, settings, owner,
                                                          dated_site):
    request = ThreadShortcutRequest(url=dated_site.url(THREAD_PATH),
                                    date_from=date(2024, 2, 1), date_to=date(2024, 5, 31))
    parent = run(database, settings, queue_thread(database, settings, owner, request))
    assert (parent.status, parent.engine, parent.kind) == ("completed", "forum", "thread")
    # The post of 2024-03-04 (UTC) and the one whose page shows no date.
    assert child_urls(database, parent.id, dated_site.base_url) == [
        "/files/full2.jpg", "/files/full4.jpg"]


def test_a_thread_with_no_post_within_the_dates_completes_empty(database, settings, owner,
                                                               dated_site):
    (dated_site.extra_dir / "thread" / "2.html").unlink()  # only dated posts remain
    (dated_site.extra_dir / "thread" / "1.html").write_text(
        (dated_site.extra_dir / "thread" / "1.html").read_text()
        .replace('<link rel="next" href="/extra/thread/2.html">', ""))
    request = ThreadShortcutRequest(url=dated_site.url(THREAD_PATH), date_from=date(2030, 1, 1))
    parent = run(database, settings, queue_thread(database, settings, owner, request))
    assert (parent.status, parent.error) == ("completed", None)
    assert child_urls(database, parent.id, dated_site.base_url) == []
