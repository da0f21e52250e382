"""Jobs and their platforms, run in this process with the real runner and engines against
the fixture site: threads expand into their images and remember where they stopped, what
is already in the library is skipped (not failed), rate limits throttle the platform,
cookies reach the engine as a per-job copy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mediadl.core.clock import utcnow
from mediadl.db.models import Download, Job, User
from mediadl.db.models.platforms import ArchivedItem, ForumThread, PlatformStatus
from mediadl.jobs import leases
from mediadl.jobs.runner import JobRun, job_dir_for
from mediadl.platforms.admin import PlatformSettingsService
from mediadl.platforms.routing import route
from mediadl.platforms.schemas import PlatformSettingsPatch
from mediadl.queue.service import download_ids_by_job, enqueue_job
from tests.fixtures.forum_pages import Item, default_forum_posts, thread_path
from tests.fixtures.site import FixtureSite


@pytest.fixture
def owner(database, make_user) -> User:
    user_id = make_user("alice")
    with database.read() as session:
        return session.get(User, user_id)


def enqueue(database, settings, owner: User, url: str, forced: bool = False) -> int:
    with database.session() as session:
        job = enqueue_job(session, settings, owner, url,
                          forced=route(url) if forced else None)
        return job.id


def run(database, settings, job_id: int) -> Job:
    """Claim the job and run it here, as a job process would."""
    with database.session() as session:
        claimed = leases.claim_job(session, job_id, utcnow(), 60)
    assert claimed is not None, f"job {job_id} was not queued"
    JobRun(database, settings, job_id, claimed[1], lambda _message: None).execute()
    with database.read() as session:
        return session.get(Job, job_id)


def children(database, parent_id: int) -> list[Job]:
    with database.read() as session:
        return list(session.scalars(select(Job).where(Job.parent_id == parent_id)
                                    .order_by(Job.id)))


def run_thread(database, settings, owner: User, site: FixtureSite) -> tuple[Job, list[Job]]:
    parent = run(database, settings, enqueue(database, settings, owner,
                                             site.url(thread_path(1))))
    return parent, [run(database, settings, child.id)
                    for child in children(database, parent.id)]


def library_files(database) -> list[Download]:
    with database.read() as session:
        return list(session.scalars(select(Download).order_by(Download.id)))


def test_a_thread_brings_exactly_its_full_size_images_once(database, settings, owner, site,
                                                          fixture_media):
    parent, done = run_thread(database, settings, owner, site)
    assert (parent.status, parent.platform, parent.engine, parent.kind) == (
        "completed", "forum", "forum", "thread")
    assert [job.status for job in done] == ["completed"] * 7
    files = library_files(database)
    expected = {fixture_media.sha256[f"full{n}.jpg"] for n in range(1, 8)}
    assert {download.sha256 for download in files} == expected and len(files) == 7
    fetched = [r.path for r in site.requests if r.path.startswith("/files/")]
    assert sorted(fetched) == sorted(f"/files/full{n}.jpg" for n in range(1, 8))
    with database.read() as session:
        thread = session.scalars(select(ForumThread)).one()
        archived = session.scalar(select(func.count()).select_from(ArchivedItem))
        status = session.get(PlatformStatus, "forum")
    assert thread.last_page_url == site.url(thread_path(3)) and thread.items_seen == 7
    assert archived == 7 and status.success_total == 8 and status.error_count == 0


def test_a_re_run_adds_nothing_and_reads_only_the_last_page(database, settings, owner, site):
    run_thread(database, settings, owner, site)
    site.clear_log()
    again = run(database, settings, enqueue(database, settings, owner,
                                            site.url(thread_path(1))))
    assert again.status == "completed" and children(database, again.id) == []
    assert [r.path for r in site.requests] == [thread_path(3)]
    site.forum_posts = [*default_forum_posts(), [Item("host", 8)]]
    site.clear_log()
    _parent, new = run_thread(database, settings, owner, site)
    assert [job.url for job in new] == [site.url("/host/img/8")]
    assert [r.path for r in site.requests if r.path.startswith("/forum/")] == [
        thread_path(3), thread_path(4)]
    assert len(library_files(database)) == 8


def test_a_page_of_images_pasted_in_the_queue_gives_its_full_size_images(
        database, settings, owner, site, fixture_media):
    parent = run(database, settings, enqueue(database, settings, owner, site.url("/gallery")))
    assert (parent.platform, parent.engine, parent.kind) == ("generic", "forum", "gallery")
    done = [run(database, settings, child.id) for child in children(database, parent.id)]
    assert [job.status for job in done] == ["completed", "completed"]
    digests = {download.sha256 for download in library_files(database)}
    assert digests == {fixture_media.digest("image.jpg"), fixture_media.digest("image2.png")}
    assert not any(r.path == "/files/thumb.jpg" for r in site.requests)


def test_an_item_already_archived_is_skipped_and_linked(database, settings, owner, site):
    url = site.url("/host/img/3")
    first = run(database, settings, enqueue(database, settings, owner, url, forced=True))
    second = run(database, settings, enqueue(database, settings, owner, url, forced=True))
    [download] = library_files(database)
    assert first.status == second.status == "completed"
    assert second.error == f"Skipped: already downloaded (download {download.id} in your library)."
    with database.read() as session:
        assert download_ids_by_job(session, [first.id, second.id]) == {
            first.id: [download.id], second.id: [download.id]}


def test_the_same_bytes_under_another_link_are_not_stored_twice(database, settings, owner,
                                                                site):
    first = run(database, settings, enqueue(database, settings, owner,
                                            site.url("/files/full5.jpg")))
    second = run(database, settings, enqueue(database, settings, owner,
                                             site.url("/files/full5.jpg?copy=1")))
    [download] = library_files(database)
    assert first.status == second.status == "completed"
    assert "already downloaded" in second.error
    with database.read() as session:
        assert download_ids_by_job(session, [second.id])[second.id] == [download.id]


def test_another_user_gets_their_own_copy(database, settings, owner, make_user, site):
    run(database, settings, enqueue(database, settings, owner, site.url("/files/full6.jpg")))
    with database.read() as session:
        bob = session.get(User, make_user("bob"))
    job = run(database, settings, enqueue(database, settings, bob, site.url("/files/full6.jpg")))
    assert job.status == "completed" and job.error is None
    assert len(library_files(database)) == 2


def test_a_rate_limit_throttles_the_platform_and_keeps_the_attempt(database, settings, owner,
                                                                   site):
    job_id = enqueue(database, settings, owner, site.url("/status/429?retry_after=5"))
    waiting = run(database, settings, job_id)
    assert (waiting.status, waiting.attempts) == ("queued", 0)
    assert "429" in waiting.error
    with database.read() as session:
        # A generic link's rate limit throttles its site, not every generic link.
        status = session.get(PlatformStatus, "generic:127.0.0.1")
    base = settings.platforms.throttle_base_seconds
    assert status.throttle_level == 1 and status.throttled_until == waiting.not_before
    assert timedelta(seconds=base - 5) < waiting.not_before - utcnow() <= timedelta(seconds=base)
    other = enqueue(database, settings, owner, site.url("/page/video"))
    with database.session() as session:
        assert leases.claim_next(session, utcnow(), 30) is None  # the whole site waits
    with database.session() as session:
        session.get(PlatformStatus, "generic:127.0.0.1").throttled_until = utcnow()
        session.get(Job, job_id).not_before = utcnow()
    with database.session() as session:
        claimed, _token = leases.claim_next(session, utcnow() + timedelta(seconds=1), 30)
    assert claimed.id in (job_id, other)


def test_the_platforms_cookies_reach_the_engine_as_a_copy(database, settings, owner, site):
    service = PlatformSettingsService(database, settings)
    service.set_cookies("forum", b"127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tsecret-42\n")
    service.update("forum", PlatformSettingsPatch(min_request_interval_s=0))
    site.forum_posts = [[]]  # a thread page without images: the probe fails for good
    job = run(database, settings, enqueue(database, settings, owner, site.url(thread_path(1))))
    assert job.status == "failed"
    sent = [r.headers.get("cookie") for r in site.requests if r.path == thread_path(1)]
    assert sent and all("session=secret-42" in (cookie or "") for cookie in sent)
    leftovers = list(settings.work_dir.rglob(".cookies-*"))
    assert leftovers == []


def test_a_failed_attempt_leaves_no_cookie_copy_behind(database, settings, owner, site):
    PlatformSettingsService(database, settings).set_cookies(
        "generic", b"127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tx\n")
    job = run(database, settings, enqueue(database, settings, owner, site.url("/status/503")))
    # Queued again for another attempt: its folder stays, its cookie copy does not.
    assert job.status == "queued" and job_dir_for(settings, job.id).is_dir()
    assert list(settings.work_dir.rglob(".cookies-*")) == []


def test_a_disabled_platform_keeps_its_queued_jobs_waiting(database, settings, owner, site):
    job_id = enqueue(database, settings, owner, site.url("/files/full1.jpg"))
    PlatformSettingsService(database, settings).update("generic",
                                                       PlatformSettingsPatch(enabled=False))
    with database.session() as session:
        assert leases.claim_next(session, utcnow(), 30) is None
    PlatformSettingsService(database, settings).update("generic",
                                                       PlatformSettingsPatch(enabled=True))
    with database.session() as session:
        assert leases.claim_next(session, utcnow(), 30)[0].id == job_id


def test_generic_media_ids_are_only_unique_per_site(owner):
    """yt-dlp names both pages' video "video": two sites must not skip each other's."""
    from mediadl.engines.base import ProbeResult
    from mediadl.platforms.jobside import item_key

    job = Job(owner_id=owner.id, url="https://a.example/v/video.mp4", platform="generic")
    assert item_key(job, ProbeResult(url=job.url, kind="video", media_id="video")) == (
        "a.example/video")
    youtube = Job(owner_id=owner.id, url="https://youtu.be/abc", platform="youtube")
    assert item_key(youtube, ProbeResult(url=youtube.url, kind="video", media_id="abc")) == "abc"
    child = Job(owner_id=owner.id, url="https://x", platform="generic", entry_key="k")
    assert item_key(child, ProbeResult(url="https://x", kind="video", media_id="v")) == "k"
