"""How many hints the dispatcher keeps waiting: one per job a worker may claim now, an
owner counting for no more slots than the per-user limit leaves it."""

from __future__ import annotations

from datetime import timedelta

from mediadl.core.clock import utcnow
from mediadl.db.models import Job, User
from mediadl.db.models.platforms import PlatformSetting
from mediadl.jobs import leases
from mediadl.jobs.states import QUEUED, RUNNING, priority_rank


def _owner(session, name: str) -> User:  # type: ignore[no-untyped-def]
    user = User(username=name, password_hash="x", role="user")
    session.add(user)
    session.flush()
    return user


def _jobs(session, owner: User, count: int, status: str = QUEUED, **values) -> None:  # type: ignore[no-untyped-def]
    for number in range(count):
        session.add(Job(owner_id=owner.id, url=f"https://fake.invalid/video/{owner.id}-"
                        f"{status}-{number}", engine="fake", platform="fake", priority="normal",
                        priority_rank=priority_rank("normal"), position=number,
                        status=status, **values))
    session.flush()


def test_claimable_jobs_are_capped_by_each_owners_free_slots(database):
    now = utcnow()
    with database.session() as session:
        busy, idle = _owner(session, "busy"), _owner(session, "idle")
        _jobs(session, busy, 1, RUNNING)
        _jobs(session, busy, 5)
        _jobs(session, idle, 3)
        _jobs(session, idle, 4, not_before=now + timedelta(hours=1))  # backing off
    with database.read() as session:
        assert leases.claimable_count(session, now, per_owner_limit=0) == 8
        assert leases.claimable_count(session, now, per_owner_limit=2) == 1 + 2
        assert leases.claimable_count(session, now, per_owner_limit=1) == 0 + 1


def test_a_platform_counts_for_no_more_than_its_concurrency_limit(database):
    now = utcnow()
    with database.session() as session:
        owner = _owner(session, "alice")
        _jobs(session, owner, 1, RUNNING)
        _jobs(session, owner, 6)  # all of the fake platform
        session.add(PlatformSetting(name="fake", enabled=True, max_concurrent_jobs=3,
                                    cookie_count=0, cookie_domains=[], updated_at=now))
    with database.read() as session:
        assert leases.claimable_count(session, now) == 3 - 1


def test_claiming_follows_the_same_rule_as_the_count(database):
    now = utcnow()
    with database.session() as session:
        owner = _owner(session, "alice")
        _jobs(session, owner, 3)
    claimed = 0
    while True:
        with database.session() as session:
            if leases.claim_next(session, now, 30, per_owner_limit=2) is None:
                break
            claimed += 1
    assert claimed == 2
    with database.read() as session:
        assert leases.claimable_count(session, now, per_owner_limit=2) == 0


def test_a_many_site_platform_counts_its_limit_per_site(database):
    now = utcnow()
    with database.session() as session:
        owner = _owner(session, "alice")
        for number, (site, status) in enumerate([("a.example", RUNNING), ("a.example", QUEUED),
                                                 ("a.example", QUEUED), ("b.example", QUEUED),
                                                 ("b.example", QUEUED), ("c.example", QUEUED)]):
            session.add(Job(owner_id=owner.id, url=f"https://{site}/{number}.mp4",
                            engine="http", platform="generic", position=number, status=status))
        session.add(PlatformSetting(name="generic", enabled=True, max_concurrent_jobs=1,
                                    cookie_count=0, cookie_domains=[], updated_at=now))
    with database.read() as session:
        # a.example is full; b.example and c.example have one slot each.
        assert leases.claimable_count(session, now) == 2
