"""A generic site's throttle in the claim query on PostgreSQL: the host match (LIKE over
the lower-cased link) and the status names must behave as on SQLite."""

from __future__ import annotations

from datetime import timedelta

from mediadl.core.clock import utcnow
from mediadl.db.models import Job, User
from mediadl.jobs import leases
from mediadl.platforms.status import Failure, record_failure


def test_only_the_throttled_sites_links_wait(pg, settings):
    now = utcnow()
    long_host = "an-even-longer-registrable-name.example"
    urls = ["https://Media.Example.org/a.mp4", f"https://{long_host}/b.jpg",
            "https://example.net/c.mp4"]
    with pg.session() as session:
        owner = User(username="pg-sites", password_hash="x")
        session.add(owner)
        session.flush()
        for position, url in enumerate(urls):
            session.add(Job(owner_id=owner.id, url=url, platform="generic", engine="ytdlp",
                            position=position))
    with pg.session() as session:
        for host in ("media.example.org", long_host):
            record_failure(session, settings, "generic", Failure("HTTP Error 429"), now, host)
    later = now + timedelta(seconds=1)
    with pg.session() as session:
        job, _token = leases.claim_next(session, later, 30)
        assert job.url == "https://example.net/c.mp4"
    with pg.session() as session:
        assert leases.claim_next(session, later, 30) is None
