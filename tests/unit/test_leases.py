"""Leases, priority order and the sweeper, against a real SQLite database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from mediadl.core.clock import utcnow
from mediadl.db.models import Job, User
from mediadl.jobs import leases
from mediadl.jobs.retry import RetryPolicy
from mediadl.jobs.states import FAILED, QUEUED, RUNNING, priority_rank


def _owner(session) -> User:
    user = User(username="owner", password_hash="x", role="user")
    session.add(user)
    session.flush()
    return user


def _job(session, owner: User, position: int, priority: str = "normal", **values) -> Job:
    job = Job(owner_id=owner.id, url=f"https://fake.invalid/video/{position}", engine="fake",
              priority=priority, priority_rank=priority_rank(priority), position=position,
              **values)
    session.add(job)
    session.flush()
    return job


def test_claims_follow_priority_then_position(database):
    with database.session() as session:
        owner = _owner(session)
        low = _job(session, owner, 1, "low")
        normal_late = _job(session, owner, 3)
        normal_early = _job(session, owner, 2)
        high = _job(session, owner, 4, "high")
    order = []
    for _ in range(4):
        with database.session() as session:
            job, _token = leases.claim_next(session, utcnow(), 30)
            order.append(job.id)
    assert order == [high.id, normal_early.id, normal_late.id, low.id]
    with database.session() as session:
        assert leases.claim_next(session, utcnow(), 30) is None


def test_backoff_delays_a_job_until_its_time(database):
    now = utcnow()
    with database.session() as session:
        _job(session, _owner(session), 1, not_before=now + timedelta(seconds=60))
    with database.session() as session:
        assert leases.claim_next(session, now, 30) is None
        assert leases.claim_next(session, now + timedelta(seconds=61), 30) is not None


def test_second_claim_of_same_job_loses(database):
    with database.session() as session:
        job = _job(session, _owner(session), 1)
    with database.session() as session:
        first = leases.claim_job(session, job.id, utcnow(), 30)
    with database.session() as session:
        second = leases.claim_job(session, job.id, utcnow(), 30)
    assert first is not None and second is None


def test_fenced_writes_ignore_a_stale_token(database):
    with database.session() as session:
        job = _job(session, _owner(session), 1)
    with database.session() as session:
        _, token = leases.claim_job(session, job.id, utcnow(), 30)
    with database.session() as session:
        stale = leases.fenced(job.id, "someone-else").values(title="x")
        assert session.execute(stale).rowcount == 0
        assert session.execute(leases.fenced(job.id, token).values(title="mine")).rowcount == 1


def test_renew_reports_lost_leases(database):
    with database.session() as session:
        owner = _owner(session)
        kept, lost = _job(session, owner, 1), _job(session, owner, 2)
    with database.session() as session:
        _, kept_token = leases.claim_job(session, kept.id, utcnow(), 30)
        _, lost_token = leases.claim_job(session, lost.id, utcnow(), 30)
        session.get(Job, lost.id).status = "paused"
    with database.session() as session:
        held = leases.renew(session, [kept_token, lost_token], utcnow(), 30)
    assert held == {kept_token}


def test_sweeper_requeues_expired_and_fails_exhausted(database):
    now = utcnow()
    with database.session() as session:
        owner = _owner(session)
        retryable = _job(session, owner, 1, status=RUNNING, attempts=1, max_attempts=3,
                         lease_owner="gone", lease_expires_at=now - timedelta(seconds=1))
        exhausted = _job(session, owner, 2, status=RUNNING, attempts=3, max_attempts=3,
                         lease_owner="gone", lease_expires_at=now - timedelta(seconds=1))
        alive = _job(session, owner, 3, status=RUNNING, attempts=1,
                     lease_owner="alive", lease_expires_at=now + timedelta(seconds=30))
    with database.session() as session:
        swept = leases.sweep_expired(session, now)
    assert sorted(swept) == sorted([retryable.id, exhausted.id])
    with database.read() as session:
        status = dict(session.execute(select(Job.id, Job.status)).all())
    assert status == {retryable.id: QUEUED, exhausted.id: FAILED, alive.id: RUNNING}


def test_release_for_retry_backs_off_then_fails(database):
    policy = RetryPolicy(max_attempts=2, base_seconds=10, max_seconds=60)
    with database.session() as session:
        job = _job(session, _owner(session), 1, max_attempts=2)
    outcomes = []
    for _ in range(2):
        with database.session() as session:
            session.get(Job, job.id).not_before = None  # skip the backoff wait
        with database.session() as session:
            claimed, token = leases.claim_job(session, job.id, utcnow(), 30)
            outcomes.append(leases.release_for_retry(session, claimed, token, "boom", utcnow(),
                                                     policy))
    assert outcomes == [QUEUED, FAILED]


def test_dead_local_owner_is_reclaimed_at_once(database):
    with database.session() as session:
        job = _job(session, _owner(session), 1, status=RUNNING, attempts=1,
                   lease_owner=f"{leases.HOST}:999999999:abcd:1",
                   lease_expires_at=utcnow() + timedelta(hours=1))
    with database.session() as session:
        assert leases.reclaim_dead_local_owners(session, utcnow()) == [job.id]
