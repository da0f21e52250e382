"""Platform status from outcomes, the throttle, and the claim query that honours them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from mediadl.core.clock import utcnow
from mediadl.db.models import Job, User
from mediadl.db.models.platforms import PlatformSetting, PlatformStatus
from mediadl.jobs import leases
from mediadl.platforms.ratelimits import is_rate_limited, throttle_delay
from mediadl.platforms.status import Failure, record_failure, record_success, state_of


@pytest.mark.parametrize(("message", "retry_after", "limited"), [
    ("HTTP Error 429: Too Many Requests", None, True),
    ("Sign in to confirm you're not a bot. This helps protect our community.", None, True),
    ("The site asks to confirm you\u2019re not a bot.", None, True),
    ("Please wait a few minutes before you try again.", None, True),
    ("challenge_required", None, True),
    ("HTTP Error 503: Service Unavailable", 30.0, True),
    ("Video unavailable. This video has been removed by the uploader", None, False),
    ("HTTP Error 404: Not Found for 'https://example.com/status/429/a.jpg'", None, False),
])
def test_rate_limit_answers_are_recognised(message, retry_after, limited):
    assert is_rate_limited(message, retry_after) is limited


def test_the_pause_doubles_up_to_the_ceiling_and_honours_retry_after():
    assert [throttle_delay(level, 60, 1000) for level in (1, 2, 3, 4, 5, 6)] == [
        60, 120, 240, 480, 960, 1000]
    assert throttle_delay(1, 60, 1000, retry_after=300) == 300
    assert throttle_delay(1, 60, 1000, retry_after=99_999) == 1000


def status_of(database, name: str) -> PlatformStatus | None:
    with database.read() as session:
        return session.get(PlatformStatus, name)


def test_state_goes_ok_warning_error_and_back(database, settings):
    now = utcnow()
    assert state_of(status_of(database, "youtube"), settings, now) == "ok"
    for expected in ("warning", "warning", "error"):
        with database.session() as session:
            assert record_failure(session, settings, "youtube",
                                  Failure("Video unavailable"), now) is None
        assert state_of(status_of(database, "youtube"), settings, now) == expected
    with database.session() as session:
        record_success(session, "youtube", now)
    row = status_of(database, "youtube")
    assert state_of(row, settings, now) == "ok"
    assert (row.error_count, row.failure_total, row.success_total) == (0, 3, 1)
    assert row.last_error == "Video unavailable" and row.last_success_at == now


def test_a_rate_limit_throttles_and_grows_and_a_success_eases_it(database, settings):
    now = utcnow()
    base = settings.platforms.throttle_base_seconds
    with database.session() as session:
        first = record_failure(session, settings, "instagram", Failure("HTTP Error 429"), now)
    with database.session() as session:
        second = record_failure(session, settings, "instagram",
                                Failure("Please wait a few minutes"), now)
    assert first == now + timedelta(seconds=base)
    assert second == now + timedelta(seconds=2 * base)
    row = status_of(database, "instagram")
    assert (row.throttle_level, row.throttled_until) == (2, second)
    assert row.throttle_reason == "Please wait a few minutes"
    assert state_of(row, settings, now) == "warning"
    assert state_of(row, settings, second + timedelta(seconds=1)) == "warning"  # 2 failures
    with database.session() as session:
        record_success(session, "instagram", now)
    row = status_of(database, "instagram")
    assert (row.throttle_level, row.throttled_until) == (1, second)
    with database.session() as session:
        record_success(session, "instagram", now)
    row = status_of(database, "instagram")
    assert (row.throttle_level, row.throttled_until, row.throttle_reason) == (0, None, None)
    assert (row.success_total, row.error_count) == (2, 0)


def test_a_success_eases_the_site_of_a_generic_link(database, settings):
    now = utcnow()
    with database.session() as session:
        until = record_failure(session, settings, "generic", Failure("HTTP Error 429"), now,
                               "cdn.example.org")
    assert status_of(database, "generic:cdn.example.org").throttled_until == until
    with database.session() as session:
        record_success(session, "generic", now, "cdn.example.org")
    site = status_of(database, "generic:cdn.example.org")
    assert (site.throttle_level, site.throttled_until) == (0, None)
    assert status_of(database, "generic").success_total == 1


def test_throttled_again_and_again_is_an_error(database, settings):
    now = utcnow()
    for _ in range(settings.platforms.error_after_failures):
        with database.session() as session:
            record_failure(session, settings, "tiktok", Failure("429 Too Many Requests"), now)
    assert state_of(status_of(database, "tiktok"), settings, now) == "error"


# -- the claim query ---------------------------------------------------------------------
@pytest.fixture
def owner(database) -> int:
    with database.session() as session:
        user = User(username="claimer", password_hash="x")
        session.add(user)
        session.flush()
        return user.id


def add_job(database, owner: int, platform: str, position: int, status: str = "queued") -> int:
    with database.session() as session:
        job = Job(owner_id=owner, url=f"https://example.com/{platform}/{position}",
                  platform=platform, engine="ytdlp", position=position, status=status)
        session.add(job)
        session.flush()
        return job.id


def claimed(database) -> int | None:
    with database.session() as session:
        won = leases.claim_next(session, utcnow(), 30)
        return won[0].id if won else None


def test_claims_pass_over_throttled_disabled_and_busy_platforms(database, owner):
    youtube = add_job(database, owner, "youtube", 1)
    tiktok = add_job(database, owner, "tiktok", 2)
    forum = add_job(database, owner, "forum", 3)
    add_job(database, owner, "forum", 0, status="running")
    with database.session() as session:
        session.add(PlatformStatus(name="youtube", throttled_until=utcnow() + timedelta(hours=1),
                                   throttle_level=1, error_count=1, success_total=0,
                                   failure_total=1))
        session.add(PlatformSetting(name="tiktok", enabled=False, cookie_count=0,
                                    cookie_domains=[]))
        session.add(PlatformSetting(name="forum", enabled=True, max_concurrent_jobs=1,
                                    cookie_count=0, cookie_domains=[]))
    assert claimed(database) is None
    with database.session() as session:
        session.get(PlatformSetting, "forum").max_concurrent_jobs = 2
    assert claimed(database) == forum
    with database.session() as session:
        session.get(PlatformStatus, "youtube").throttled_until = utcnow() - timedelta(seconds=1)
        session.get(PlatformSetting, "tiktok").enabled = True
    assert claimed(database) == youtube
    assert claimed(database) == tiktok


def add_link_job(database, owner: int, url: str, position: int) -> int:
    with database.session() as session:
        job = Job(owner_id=owner, url=url, platform="generic", engine="ytdlp",
                  position=position, status="queued")
        session.add(job)
        session.flush()
        return job.id


def test_a_rate_limited_generic_site_holds_back_its_own_links_only(database, settings, owner):
    """One site's 429 pauses that site (and its subdomains), not every generic link."""
    now = utcnow()
    limited = add_link_job(database, owner, "https://media.example.org/a.mp4", 1)
    subdomain = add_link_job(database, owner, "HTTPS://CDN.Media.Example.org:8443/b.mp4", 2)
    lookalike = add_link_job(database, owner, "https://notmedia.example.org/c.mp4", 3)
    elsewhere = add_link_job(database, owner, "https://example.net/?u=media.example.org", 4)
    with database.session() as session:
        until = record_failure(session, settings, "generic", Failure("HTTP Error 429"), now,
                               host="www.media.example.org")
    assert until is not None
    assert status_of(database, "generic").throttled_until is None
    assert status_of(database, "generic:media.example.org").throttled_until == until

    assert [claimed(database), claimed(database), claimed(database)] == [lookalike, elsewhere,
                                                                         None]
    with database.session() as session:
        record_success(session, "generic", now, host="media.example.org")  # eases it
    assert status_of(database, "generic:media.example.org").throttled_until is None
    assert [claimed(database), claimed(database)] == [limited, subdomain]


def test_a_long_host_is_throttled_under_a_name_that_fits(database, settings, owner):
    host = "an-even-longer-registrable-name.example"
    job = add_link_job(database, owner, f"https://{host}/a.jpg", 1)
    other = add_link_job(database, owner, "https://short.example/a.jpg", 2)
    with database.session() as session:
        record_failure(session, settings, "generic", Failure("429 Too Many Requests"),
                       utcnow(), host=host)
    assert claimed(database) == other
    assert claimed(database) is None  # ``job`` waits for its site
    with database.read() as session:
        [name] = session.scalars(select(PlatformStatus.name).where(
            PlatformStatus.throttled_until.is_not(None))).all()
    assert name.startswith("generic~") and len(name) <= 32
    with database.session() as session:
        session.get(PlatformStatus, name).throttled_until = utcnow()
    assert claimed(database) == job


def limit_platform(database, name: str, limit: int) -> None:
    with database.session() as session:
        session.add(PlatformSetting(name=name, enabled=True, max_concurrent_jobs=limit,
                                    cookie_count=0, cookie_domains=[]))


def test_a_generic_limit_holds_per_site_not_for_all_sites_together(database, owner):
    """``max_concurrent_jobs: 1`` on generic: one job per site at a time, sites in parallel."""
    first = add_link_job(database, owner, "https://www.media.example.org/1.mp4", 1)
    same_site = add_link_job(database, owner, "https://MEDIA.example.org./2.mp4", 2)
    other_site = add_link_job(database, owner, "https://files.example.net/3.mp4", 3)
    limit_platform(database, "generic", 1)
    assert [claimed(database), claimed(database), claimed(database)] == [first, other_site,
                                                                         None]
    with database.session() as session:
        session.get(Job, first).status = "completed"
    assert claimed(database) == same_site


def test_every_insert_path_records_the_site_of_the_link(database, owner):
    job = add_link_job(database, owner, "HTTPS://WWW.Example.org:8443/a?b=c", 1)
    with database.session() as session:
        session.execute(insert(Job), [
            {"owner_id": owner, "url": "https://cdn.example.net/x", "engine": "http",
             "position": 2, "status": "queued"},
            {"owner_id": owner, "url": "not a link", "engine": "http", "position": 3,
             "status": "queued"}])
    with database.read() as session:
        sites = session.scalars(select(Job.site).order_by(Job.position)).all()
        assert session.get(Job, job).site == "example.org"
    assert sites == ["example.org", "cdn.example.net", ""]


def test_platforms_of_one_site_keep_one_limit_for_the_whole_platform(database, owner):
    """YouTube's limit counts all its hosts (youtu.be, m.youtube.com, …) together."""
    running = add_job(database, owner, "youtube", 0, status="running")
    waiting = add_job(database, owner, "youtube", 1)
    with database.session() as session:
        session.get(Job, waiting).url = "https://m.youtube.invalid/watch?v=x"
    limit_platform(database, "youtube", 1)
    assert claimed(database) is None
    with database.session() as session:
        session.get(Job, running).status = "completed"
    assert claimed(database) == waiting
