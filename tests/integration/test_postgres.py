"""The same migrations and the same queue logic on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from mediadl.core.clock import utcnow
from mediadl.db.models import Job, User
from mediadl.jobs import leases


def test_migrations_create_the_search_column(pg):
    with pg.read() as session:
        columns = session.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name='downloads'"
        )).scalars().all()
    assert "search_vector" in columns


def test_claims_skip_locked_rows_and_follow_priority(pg):
    # One owner per job: a status change also bumps that owner's row in job_counts (a
    # trigger), and two open claims of one owner's jobs would queue on that row - correct,
    # but it would hide whether the job rows themselves were skipped.
    with pg.session() as session:
        for position, (priority, rank) in enumerate((("low", 2), ("high", 0), ("normal", 1))):
            owner = User(username=f"pg-owner-{position}", password_hash="x")
            session.add(owner)
            session.flush()
            session.add(Job(owner_id=owner.id, url=f"https://fake.invalid/video/{position}",
                            engine="fake", priority=priority, priority_rank=rank,
                            position=position))
    claimed = []
    with pg.session() as holder:
        first, _ = leases.claim_next(holder, utcnow(), 30)
        claimed.append(first.priority)
        # A second worker, while the first transaction still holds its row lock.
        with pg.session() as other:
            second, _ = leases.claim_next(other, utcnow(), 30)
            claimed.append(second.priority)
    assert claimed == ["high", "normal"]
