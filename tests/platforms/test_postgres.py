"""The platforms tables and the claim filter on PostgreSQL (same migrations as SQLite)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from mediadl.core.clock import utcnow
from mediadl.db.models import Job, User
from mediadl.db.models.platforms import PlatformSetting
from mediadl.jobs import leases
from mediadl.platforms import archive, threads
from mediadl.platforms.status import Failure, record_failure, record_success


def test_claims_skip_throttled_and_disabled_platforms_with_row_locks(pg, settings):
    now = utcnow()
    with pg.session() as session:
        owner = User(username="pg-platforms", password_hash="x")
        session.add(owner)
        session.flush()
        for position, platform in enumerate(("youtube", "tiktok", "forum")):
            session.add(Job(owner_id=owner.id, url=f"https://example.com/{position}",
                            platform=platform, engine="ytdlp", position=position))
        session.add(PlatformSetting(name="tiktok", enabled=False, cookie_count=0,
                                    cookie_domains=[]))
    with pg.session() as session:
        record_failure(session, settings, "youtube", Failure("HTTP Error 429"), now)
    with pg.session() as session:
        job, _token = leases.claim_next(session, now + timedelta(seconds=1), 30)
        assert job.platform == "forum"
        # A second worker while the first still holds its row lock: nothing else is runnable.
        with pg.session() as other:
            assert leases.claim_next(other, now + timedelta(seconds=1), 30) is None


def test_archive_thread_state_and_status_upserts(pg, settings):
    now = utcnow()
    with pg.session() as session:
        owner = User(username="pg-archive", password_hash="x")
        session.add(owner)
        session.flush()
        archive.remember(session, owner.id, "instagram", "instagram:C0ffee1", None, None)
        archive.remember(session, owner.id, "instagram", "instagram:C0ffee1", None, None)
        threads.record_read(session, owner.id, "https://f.example/threads/a.1/",
                            {"last_page_url": "https://f.example/threads/a.1/page-9",
                             "pages_read": 9}, "A", 12, now)
        record_success(session, "instagram", now)
        owner_id = owner.id
    with pg.read() as session:
        assert archive.archived_keys(session, owner_id, "instagram",
                                     ["instagram:C0ffee1", "instagram:other"]) == {
            "instagram:C0ffee1"}
        assert threads.resume_url(session, owner_id, "https://f.example/threads/a.1/") == (
            "https://f.example/threads/a.1/page-9")
        tables = set(session.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    assert {"platform_settings", "platform_status", "download_archive", "forum_threads",
            "skipped_items"} <= tables
