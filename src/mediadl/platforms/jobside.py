"""What a job process needs from its platform, and what it tells the platform back.

Before the engine runs: the platform's settings, its cookies copied into the job folder
(deleted when the job process is done with them), its proxy, for a forum thread the page
it was read up to, and the platform's turn: a platform with a least time between requests
paces job starts across every job process of the machine (see ``paced_job``). After: the
outcome, counted into the platform's status (a rate limit throttles the platform), and the
archive and thread state brought up to date.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediadl.core.hosts import host_of
from mediadl.core.settings import Settings
from mediadl.db.models import Download, Job
from mediadl.db.models.platforms import PlatformSetting
from mediadl.db.session import Database
from mediadl.engines.base import EngineError, Entry, ProbeResult
from mediadl.engines.ratelimit import RequestPacer
from mediadl.platforms import archive, threads
from mediadl.platforms.catalog import GENERIC, platform_named
from mediadl.platforms.configuration import config_of, cookies_of, proxy_of
from mediadl.platforms.cookies import write_job_copy
from mediadl.platforms.status import Failure, record_failure, record_success
from mediadl.security.sealing import SealError

log = logging.getLogger(__name__)
MAX_KEY = 512
# Engines that wait for the platform's turn before each request they make (engines.ratelimit).
SELF_PACED_ENGINES = frozenset({"forum"})


@dataclass(frozen=True)
class JobSetup:
    platform: str
    cookie_file: Path | None = None
    proxy: str | None = None
    min_request_interval_s: float = 0.0
    resume_from_url: str | None = None


@contextmanager
def job_setup(db: Database, settings: Settings, job: Job, job_dir: Path) -> Iterator[JobSetup]:
    """The platform side of one job run; its cookie copy is gone when the block ends."""
    with db.read() as session:
        resume = _resume_url(session, job)
    with (platform_setup(db, settings, job.platform, job_dir) as setup,
          paced_job(settings, job, setup.min_request_interval_s)):
        yield replace(setup, resume_from_url=resume)


@contextmanager
def paced_job(settings: Settings, job: Job, interval_s: float) -> Iterator[None]:
    """The job's first request waits for the platform's turn, and its end counts as a
    request: on one machine a job of the platform starts at least ``interval_s`` after
    every other one started, and after every one whose end was stamped before it asked
    (the stamp comes when the block ends, just after the runner recorded the outcome).
    yt-dlp and gallery-dl make their requests themselves and space them only within their
    own process; this is what keeps their jobs apart. Engines that wait for the turn
    before each request they make skip it."""
    if interval_s <= 0 or job.engine in SELF_PACED_ENGINES:
        yield
        return
    pacer = RequestPacer(interval_s, job.platform, shared_state_dir(settings))
    try:
        pacer.wait()
        yield
    finally:
        pacer.reserve()
        pacer.close()


def shared_state_dir(settings: Settings) -> Path:
    """Where the job processes of this machine share speed limits and request pacing."""
    return settings.work_dir / ".speed"


@contextmanager
def platform_setup(db: Database, settings: Settings, name: str,
                   folder: Path) -> Iterator[JobSetup]:
    """A platform's settings for one engine run, its cookies copied into ``folder``."""
    with db.read() as session:
        row = session.get(PlatformSetting, name)
    platform = platform_named(name) or GENERIC
    cookies, proxy = _secrets(settings, row)
    cookie_file = write_job_copy(folder, cookies) if cookies else None
    try:
        yield JobSetup(platform=name, cookie_file=cookie_file, proxy=proxy,
                       min_request_interval_s=config_of(platform, row).min_request_interval_s)
    finally:
        if cookie_file is not None:
            cookie_file.unlink(missing_ok=True)


def _secrets(settings: Settings, row: PlatformSetting | None) -> tuple[bytes | None, str | None]:
    try:
        return cookies_of(settings, row), proxy_of(settings, row)
    except SealError:
        raise EngineError("The platform's cookies or proxy were saved under another secret "
                          "key; an admin must set them again.") from None


def _resume_url(session: Session, job: Job) -> str | None:
    """Only a thread job started by a person or a schedule resumes; a re-run of the very
    same job reads from its start, where its own entries are known anyway."""
    if job.engine != "forum" or job.parent_id is not None:
        return None
    return threads.resume_url(session, job.owner_id, job.url)


# -- after a probe ---------------------------------------------------------------------
def item_key(job: Job, probe: ProbeResult) -> str | None:
    """The item's key in the download archive. A generic site's media ids are only unique
    on that site (yt-dlp names a direct file by its file name), so they carry the host."""
    if job.entry_key:
        return job.entry_key
    if not probe.media_id:
        return None
    key = probe.media_id
    if job.platform == GENERIC.name and "://" not in key:
        key = f"{urlsplit(job.url).hostname}/{key}"
    return key[:MAX_KEY]


def archived_download_id(session: Session, job: Job, media_id: str | None) -> int | None:
    """The library download of an item the owner already has, else None.

    An item whose file was deleted from the library counts as new here: a link pasted (or
    re-downloaded) on its own is a request for it. Entries of a collection are held back
    by the archive alone (see ``new_entries``), like yt-dlp's download archive."""
    item = archive.archived(session, job.owner_id, job.platform, media_id)
    if item is None or item.download_id is None:
        return None
    return item.download_id if _same_request(session, job, item.download_id) else None


def _same_request(session: Session, job: Job, download_id: int) -> bool:
    """Whether the stored download answers this job's request: the same item asked for at
    another quality, or as audio only, is a new download, not a duplicate."""
    earlier = session.scalar(select(Job).join(Download, Download.job_id == Job.id)
                             .where(Download.id == download_id))
    if earlier is None:
        return True
    return (earlier.quality, earlier.options or {}) == (job.quality, job.options or {})


def new_entries(session: Session, job: Job, probe: ProbeResult) -> list[Entry]:
    """The entries of a collection that are not in the owner's archive yet."""
    known = archive.archived_keys(session, job.owner_id, job.platform,
                                  (entry.key or entry.url for entry in probe.entries))
    return [entry for entry in probe.entries if (entry.key or entry.url)[:512] not in known]


def record_listing(session: Session, job: Job, probe: ProbeResult, added: int,
                   now: datetime) -> None:
    """A forum thread (or gallery page) remembers where this run stopped."""
    if job.engine == "forum" and probe.metadata.get("thread_url"):
        threads.record_read(session, job.owner_id, job.url, probe.metadata, probe.title,
                            added, now)


# -- outcomes ----------------------------------------------------------------------------
def on_success(session: Session, job: Job, download_id: int | None, now: datetime,
               skipped: bool = False) -> None:
    """A completed job: its platform worked; its item goes into the archive; a job that
    found its item already there is linked to that download."""
    record_success(session, job.platform, now, host_of(job.url))
    if skipped and download_id:
        archive.link_skip(session, job.id, download_id)
    if job.kind not in ("playlist", "gallery", "thread"):
        archive.remember(session, job.owner_id, job.platform, job.entry_key, download_id,
                         job.id)


def on_failure(session: Session, settings: Settings, job: Job, message: str,
               retry_after: float | None, now: datetime) -> datetime | None:
    """Counts the failure; returns until when the platform is throttled when it was a rate
    limit (the job then waits that long without losing an attempt)."""
    until = record_failure(session, settings, job.platform, Failure(message, retry_after), now,
                           host_of(job.url))
    if until is not None:
        log.warning("platform %s throttled until %s: %s", job.platform, until, message)
    return until
