"""How much room downloads have: free disk, the library's size, partial files, quotas.

The library's size comes from the statistics roll-up (kept by database triggers), so a
check costs a handful of rows however big the library is. A file shared by two downloads
(an exact duplicate) counts for each of them.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediadl.core.settings import Settings
from mediadl.db.models import Download, Job
from mediadl.db.models.library_ops import LibraryTotal
from mediadl.jobs.states import RUNNING

BLOCK_BYTES = 512  # the unit of st_blocks on every POSIX system


@dataclass(frozen=True)
class DiskUsage:
    total: int
    used: int
    free: int


@dataclass(frozen=True)
class Room:
    """Bytes downloads may still write, and what the running ones still need."""

    disk: DiskUsage
    library_bytes: int
    partial_bytes: int
    limit_bytes: int
    reserve_bytes: int

    @property
    def room_bytes(self) -> int:
        """Room left: the disk's free space, or what the storage limit leaves if smaller;
        negative when the library and partial files are already past the limit."""
        if not self.limit_bytes:
            return self.disk.free
        return min(self.disk.free, self.limit_bytes - self.library_bytes - self.partial_bytes)

    @property
    def free_bytes(self) -> int:
        return max(0, self.room_bytes)


def disk_usage(path: Path) -> DiskUsage:
    usage = shutil.disk_usage(path)
    return DiskUsage(total=usage.total, used=usage.used, free=usage.free)


def library_bytes(session: Session, owner_id: int | None = None) -> int:
    statement = select(func.coalesce(func.sum(LibraryTotal.byte_count), 0))
    if owner_id is not None:
        statement = statement.where(LibraryTotal.owner_id == owner_id)
    return int(session.scalar(statement) or 0)


def bytes_by_owner(session: Session) -> dict[int, int]:
    rows = session.execute(select(LibraryTotal.owner_id, func.sum(LibraryTotal.byte_count))
                           .group_by(LibraryTotal.owner_id))
    return {owner: int(total or 0) for owner, total in rows}


def folder_bytes(path: Path) -> int:
    """Disk space the files under ``path`` take (partial downloads; a few files).

    Allocated blocks, not sizes: an engine that preallocates a sparse file of the full
    size (several Range connections writing into it) has not used that room yet."""
    total = 0
    for root, _folders, files in os.walk(path):
        for name in files:
            try:
                status = os.lstat(os.path.join(root, name))
            except OSError:
                continue  # finished and moved away meanwhile
            total += min(status.st_size, status.st_blocks * BLOCK_BYTES)
    return total


def measure_room(session: Session, settings: Settings) -> Room:
    return Room(disk=disk_usage(settings.library_dir), library_bytes=library_bytes(session),
                partial_bytes=folder_bytes(settings.work_dir),
                limit_bytes=settings.storage.limit_bytes,
                reserve_bytes=settings.storage.reserve_bytes)


def remaining_bytes(session: Session, job: Job, work_dir: Path) -> int:
    """What a job still has to put on disk, as far as anyone knows (0 when its size is
    unknown): its size minus what its folder holds (an engine that preallocates its file
    holds it all from the start) and minus the files it already moved into the library."""
    if job.total_bytes is None:
        return 0
    stored = session.scalar(select(func.coalesce(func.sum(Download.size), 0))
                            .where(Download.job_id == job.id)) or 0
    return max(0, job.total_bytes - folder_bytes(work_dir / f"job-{job.id}") - int(stored))


def expected_size(job: Job) -> int:
    """The size a job's file will have: its announced total, or what it wrote so far."""
    return max(job.total_bytes or 0, job.downloaded_bytes or 0)


def running_jobs(session: Session) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.status == RUNNING)))
