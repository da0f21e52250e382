"""The storage guard's rules, one check at a time, against real rows and a small storage
limit standing in for a nearly full disk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mediadl.app_context import AppContext
from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import Job
from mediadl.db.models.library_ops import NotificationEvent, StoragePause
from mediadl.db.session import Database
from mediadl.storage.guard import StorageGuard
from mediadl.storage.state import StorageState
from tests.stats.support import add_download, add_job

MB = 1024 * 1024


@pytest.fixture
def stopped(context: AppContext) -> list[int]:
    calls: list[int] = []
    context.cancel_job = calls.append
    return calls


@pytest.fixture
def guard(context: AppContext, stopped: list[int]) -> StorageGuard:
    return StorageGuard(context, StorageState())


@pytest.fixture
def owner(make_user) -> int:  # type: ignore[no-untyped-def]
    return make_user("alice")


def _status(database: Database, job_id: int) -> tuple[str, str | None]:
    with database.read() as session:
        job = session.get(Job, job_id)
        assert job is not None
        pause = session.get(StoragePause, job_id)
        return job.status, pause.reason if pause else None


def _limit(settings: Settings, limit: int, reserve: int = 0) -> None:
    settings.storage.limit_bytes, settings.storage.reserve_bytes = limit, reserve


def test_room_enough_changes_nothing(guard: StorageGuard, database: Database,
                                     settings: Settings, owner: int,
                                     stopped: list[int]) -> None:
    _limit(settings, 10 * MB)
    job = add_job(database, owner, status="running", total_bytes=3 * MB, downloaded_bytes=MB)
    outcome = guard.check()
    assert not outcome.low and guard.state.allows_new_jobs()
    assert _status(database, job.id) == ("running", None) and stopped == []


def test_a_job_with_every_byte_on_disk_is_left_to_finish(
        guard: StorageGuard, database: Database, settings: Settings, owner: int,
        stopped: list[int]) -> None:
    """Its file is in the library already and only the job's outcome is left to write:
    pausing it would free nothing, and would leave a recorded file under a paused job."""
    _limit(settings, 8 * MB)
    finishing = add_job(database, owner, status="running", lease_owner="host:1:x:1",
                        total_bytes=4 * MB, downloaded_bytes=4 * MB)
    add_download(database, None, owner, size=4 * MB, job_id=finishing.id)
    writing = add_job(database, owner, status="running", lease_owner="host:1:x:2",
                      total_bytes=6 * MB, downloaded_bytes=MB)
    outcome = guard.check()
    assert outcome.low
    assert stopped == [writing.id]
    assert _status(database, finishing.id) == ("running", None)
    assert _status(database, writing.id) == ("paused", "disk")


def test_running_download_that_cannot_fit_is_paused_and_the_queue_stops(
        guard: StorageGuard, database: Database, settings: Settings, owner: int,
        stopped: list[int]) -> None:
    add_download(database, None, owner, size=6 * MB)
    _limit(settings, 8 * MB)
    job = add_job(database, owner, status="running", lease_owner="host:1:x:1",
                  total_bytes=4 * MB, downloaded_bytes=MB)
    queued = add_job(database, owner, status="queued")
    outcome = guard.check()
    assert outcome.low and not guard.state.allows_new_jobs()
    assert stopped == [job.id]
    assert _status(database, job.id) == ("paused", "disk")
    assert _status(database, queued.id) == ("queued", None)  # not started, not paused
    with database.read() as session:
        paused = session.get(Job, job.id)
        assert paused is not None and paused.lease_owner is None
        assert paused.error and "space" in paused.error
        events = session.scalars(select(NotificationEvent)).all()
    assert [(event.event, event.owner_id) for event in events] == [("disk_low", None)]
    assert "needed" in (guard.state.reason or "")


def test_paused_downloads_resume_when_space_is_freed(guard: StorageGuard, database: Database,
                                                      settings: Settings, owner: int) -> None:
    filler = add_download(database, None, owner, size=6 * MB)
    _limit(settings, 8 * MB)
    job = add_job(database, owner, status="running", lease_owner="t", total_bytes=4 * MB,
                  downloaded_bytes=MB)
    guard.check()
    guard.check()  # still no room: stays paused, no second notice
    assert _status(database, job.id) == ("paused", "disk")
    with database.session() as session:
        session.delete(session.get(type(filler), filler.id))
    outcome = guard.check()
    assert outcome.resumed == [job.id] and not outcome.low
    assert _status(database, job.id) == ("queued", None)
    with database.read() as session:
        assert session.scalars(select(NotificationEvent)).all() != []
        resumed = session.get(Job, job.id)
        assert resumed is not None and resumed.error is None


def test_the_reserve_counts_as_needed_room(guard: StorageGuard, database: Database,
                                           settings: Settings, owner: int) -> None:
    _limit(settings, 8 * MB, reserve=7 * MB)
    add_download(database, None, owner, size=2 * MB)
    job = add_job(database, owner, status="running", lease_owner="t")  # size unknown
    assert guard.check().low
    assert _status(database, job.id) == ("paused", "disk")


def _write_partial(settings: Settings, job_id: int, size: int) -> None:
    folder = settings.work_dir / f"job-{job_id}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "x.part").write_bytes(b"\0" * size)


def test_partial_files_use_room_and_count_as_written(guard: StorageGuard, database: Database,
                                                    settings: Settings, owner: int) -> None:
    _limit(settings, 8 * MB)
    waiting = add_job(database, owner, status="paused")  # paused by a person, files kept
    _write_partial(settings, waiting.id, 4 * MB)
    job = add_job(database, owner, status="running", lease_owner="t", total_bytes=3 * MB)
    _write_partial(settings, job.id, MB)
    assert not guard.check().low  # 8 - 4 - 1 = 3 MB left; 3 - 1 = 2 MB still to write
    _write_partial(settings, waiting.id, 6 * MB)
    assert guard.check().low  # 8 - 6 - 1 = 1 MB left
    assert _status(database, job.id) == ("paused", "disk")


def test_a_job_a_person_paused_is_not_resumed(guard: StorageGuard, database: Database,
                                              settings: Settings, owner: int) -> None:
    _limit(settings, 8 * MB)
    mine = add_job(database, owner, status="paused")
    guard.check()
    assert _status(database, mine.id) == ("paused", None)


def test_quota_pauses_a_users_jobs_and_frees_them_under_it(
        guard: StorageGuard, database: Database, settings: Settings, owner: int,
        make_user, stopped: list[int]) -> None:  # type: ignore[no-untyped-def]
    settings.storage.user_quota_bytes = 10 * MB
    bob = make_user("bob")
    old = add_download(database, None, owner, size=8 * MB)
    running = add_job(database, owner, status="running", lease_owner="t",
                      total_bytes=3 * MB, downloaded_bytes=MB)
    waiting = add_job(database, owner, status="queued")
    other = add_job(database, bob, status="running", lease_owner="u", total_bytes=3 * MB)
    outcome = guard.check()
    assert not outcome.low  # the disk is fine; only alice is over her quota
    assert stopped == [running.id]
    assert _status(database, running.id) == ("paused", "quota")
    assert _status(database, waiting.id) == ("paused", "quota")
    assert _status(database, other.id) == ("running", None)
    with database.read() as session:
        notices = session.scalars(select(NotificationEvent)).all()
    assert [(notice.event, notice.owner_id) for notice in notices] == [("disk_low", owner)]
    guard.check()
    assert _status(database, running.id) == ("paused", "quota")  # still over: no flapping
    with database.session() as session:
        session.delete(session.get(type(old), old.id))
    outcome = guard.check()
    assert sorted(outcome.resumed) == sorted([running.id, waiting.id])
    assert _status(database, running.id) == ("queued", None)


def test_admins_have_no_quota(guard: StorageGuard, database: Database, settings: Settings,
                              make_user) -> None:  # type: ignore[no-untyped-def]
    settings.storage.user_quota_bytes = MB
    admin = make_user("root", role="admin")
    add_download(database, None, admin, size=5 * MB)
    job = add_job(database, admin, status="running", lease_owner="t", total_bytes=MB)
    guard.check()
    assert _status(database, job.id) == ("running", None)


def test_a_resume_keeps_the_start_time_of_a_job_that_never_ran(
        guard: StorageGuard, database: Database, settings: Settings, owner: int) -> None:
    settings.storage.user_quota_bytes = 10 * MB
    later = utcnow() + timedelta(hours=5)
    old = add_download(database, None, owner, size=12 * MB)
    waiting = add_job(database, owner, status="queued", not_before=later)
    retrying = add_job(database, owner, status="queued", not_before=later, started_at=utcnow())
    guard.check()
    assert _status(database, waiting.id) == ("paused", "quota")
    with database.session() as session:
        session.delete(session.get(type(old), old.id))
    guard.check()
    with database.read() as session:
        assert session.get(Job, waiting.id).not_before == later
        assert session.get(Job, retrying.id).not_before is None  # a retry's wait is skipped
