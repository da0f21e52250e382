"""The storage guard: downloads never fill the disk (or pass the storage limit, or a user's
quota), and they carry on by themselves once room is made.

Every few seconds, and before the queue starts a job, the guard compares the room left
with what the running downloads still need:

* space is low when the room left is below max(bytes the running downloads still have to
  write, the reserve): running downloads pause with their partial files kept, and the
  queue starts no new ones;
* the paused downloads resume when the room left covers what they still need (and the
  reserve) - after a person deleted downloads, say;
* a user whose downloads plus what their running downloads will add pass their quota has
  their queued and running jobs paused, until they are under it again.

Pause and resume use the queue's own state change (status ``paused``, lease cleared, the
job's process stopped), recorded with a reason so only the guard's own pauses are resumed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediadl.app_context import AppContext
from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import Job, User
from mediadl.jobs.states import QUEUED, RUNNING
from mediadl.notifications.events import Notice, admins_notice, record_notice
from mediadl.storage.pauses import (
    DISK,
    QUOTA,
    forget_stale_pauses,
    pause_for_storage,
    paused_by_guard,
    resume_from_storage,
)
from mediadl.storage.space import Room, bytes_by_owner, expected_size, measure_room, remaining_bytes
from mediadl.storage.state import StorageState

log = logging.getLogger(__name__)


@dataclass
class Round:
    """What one check decided and must announce after its transaction."""

    room: Room
    needed: int
    low: bool
    stop: list[int] = field(default_factory=list)
    resumed: list[int] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


class StorageGuard:
    def __init__(self, context: AppContext, state: StorageState) -> None:
        self.context = context
        self.state = state

    def check(self) -> Round:
        was_low = self.state.low
        with self.context.db.session() as session:
            outcome = decide(session, self.context.settings, was_low)
            for notice in outcome.notices:
                record_notice(session, notice)
        self._announce(outcome)
        return outcome

    def _announce(self, outcome: Round) -> None:
        for job_id in outcome.stop:
            self.context.cancel_job(job_id)
        if outcome.resumed or not outcome.low:
            self.context.wake_dispatcher()
        state = self.state
        state.low, state.free_bytes = outcome.low, outcome.room.free_bytes
        state.needed_bytes, state.checked_at = outcome.needed, utcnow()
        state.reason = low_space_reason(outcome.room, outcome.needed) if outcome.low else None
        if outcome.stop or outcome.resumed:
            log.warning("storage guard: paused %s, resumed %s (free %s bytes, needed %s)",
                        outcome.stop, outcome.resumed, outcome.room.free_bytes, outcome.needed)
        for notice in outcome.notices:
            self.context.events.publish(notice.as_event())


def decide(session: Session, settings: Settings, was_low: bool) -> Round:
    forget_stale_pauses(session)
    room = measure_room(session, settings)
    running = list(session.scalars(select(Job).where(Job.status == RUNNING)))
    outcome = _disk_round(session, room, running, was_low, settings.work_dir)
    if settings.storage.user_quota_bytes > 0:
        _quota_round(session, settings.storage.user_quota_bytes, running, outcome)
    return outcome


def _disk_round(session: Session, room: Room, running: list[Job], was_low: bool,
                work_dir: Path) -> Round:
    remaining = {job.id: remaining_bytes(session, job, work_dir) for job in running}
    running_need = sum(remaining.values())
    if room.room_bytes < max(running_need, room.reserve_bytes):
        needed = max(running_need, room.reserve_bytes)
        outcome = Round(room, needed, low=True)
        # A job whose every byte is on disk (it is hashing or moving its file into the
        # library) frees nothing by pausing, and a pause then could strand it half-recorded.
        writing = [job for job in running
                   if job.total_bytes is None or remaining[job.id] > 0]
        outcome.stop = pause_for_storage(session, writing, DISK, disk_message(room, needed))
        if not was_low:
            reason = low_space_reason(room, needed)
            outcome.notices.append(admins_notice("disk_low", "Disk space low",
                                                 f"Downloads paused: {reason}"))
        return outcome
    paused = paused_by_guard(session, DISK)
    needed = max(running_need + sum(remaining_bytes(session, job, work_dir) for job in paused),
                 room.reserve_bytes)
    if room.room_bytes < needed:
        return Round(room, needed, low=True)  # room came back, but not enough for them
    return Round(room, needed, low=False, resumed=resume_from_storage(session, paused))


def _quota_round(session: Session, quota: int, running: list[Job], outcome: Round) -> None:
    used = bytes_by_owner(session)
    admins = set(session.scalars(select(User.id).where(User.role == "admin")))
    growing: dict[int, int] = defaultdict(int)
    for job in running:
        growing[job.owner_id] += expected_size(job)
    for owner_id, adding in growing.items():
        if owner_id not in admins and used.get(owner_id, 0) + adding > quota:
            _pause_owner(session, owner_id, quota, outcome)
    _resume_under_quota(session, quota, used, outcome)
    for owner_id, owned in used.items():
        if owner_id not in admins and owned >= quota and owner_id not in growing:
            _pause_owner(session, owner_id, quota, outcome)


def _pause_owner(session: Session, owner_id: int, quota: int, outcome: Round) -> None:
    """Pause what the owner has queued and running: none of it fits the quota."""
    jobs = list(session.scalars(select(Job).where(Job.owner_id == owner_id,
                                                  Job.status.in_((QUEUED, RUNNING)))))
    stopped = pause_for_storage(session, jobs, QUOTA, quota_message(quota))
    outcome.stop += stopped
    if jobs:
        outcome.notices.append(Notice(
            event="disk_low", owner_id=owner_id, level="warning",
            title="Storage quota reached",
            message=f"Your downloads paused: {quota_message(quota)}",
            key=f"quota:{owner_id}:{utcnow():%Y%m%d%H%M}"))


def _resume_under_quota(session: Session, quota: int, used: dict[int, int],
                        outcome: Round) -> None:
    by_owner: dict[int, list[Job]] = defaultdict(list)
    for job in paused_by_guard(session, QUOTA):
        by_owner[job.owner_id].append(job)
    for owner_id, jobs in by_owner.items():
        owned = used.get(owner_id, 0)
        if owned < quota and owned + sum(expected_size(job) for job in jobs) <= quota:
            outcome.resumed += resume_from_storage(session, jobs)


def low_space_reason(room: Room, needed: int) -> str:
    where = "the storage limit" if room.limit_bytes else "the disk"
    return (f"{_size(room.free_bytes)} left within {where}, {_size(needed)} needed "
            f"(running downloads or the reserve).")


def disk_message(room: Room, needed: int) -> str:
    return ("Paused: not enough storage space - " + low_space_reason(room, needed)
            + " It resumes by itself when space is freed.")


def quota_message(quota: int) -> str:
    return (f"Paused: your storage quota of {_size(quota)} is used up. Delete downloads to "
            "continue; it resumes by itself.")


def _size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} bytes"
