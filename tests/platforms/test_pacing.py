"""A platform's least time between requests holds across job processes: job starts are
paced through a file every job process of the machine shares, and the engines that make
their own requests (forum, http) wait for a turn from the same file."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from mediadl.core.settings import Settings
from mediadl.db.models import Job
from mediadl.engines.base import FetchOptions
from mediadl.engines.ratelimit import pacer_for
from mediadl.platforms.jobside import paced_job, shared_state_dir

INTERVAL = 0.3


def start_a_job(data_dir: Path, platform: str, ready, stamps) -> None:
    """One job process: waits with the other at the barrier, then asks for its turn."""
    settings = Settings(data_dir=data_dir)
    job = Job(platform=platform, engine="gallerydl", url="https://www.instagram.com/natgeo/")
    ready.wait()
    asked = time.monotonic()
    with paced_job(settings, job, INTERVAL):
        stamps.put((asked, time.monotonic()))


def started_in_two_processes(data_dir: Path) -> list[tuple[float, float]]:
    """(asked, started) of two job processes of one platform, the earlier start first."""
    context = multiprocessing.get_context("spawn")
    ready, stamps = context.Barrier(2), context.Queue()
    workers = [context.Process(target=start_a_job, args=(data_dir, "instagram", ready, stamps))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    started = sorted((stamps.get(timeout=120) for _ in workers), key=lambda pair: pair[1])
    for worker in workers:
        worker.join()
    assert [worker.exitcode for worker in workers] == [0, 0]
    return started


def test_two_job_processes_of_a_platform_start_at_least_the_interval_apart(settings):
    (first_asked, _first_start), (_asked, second_start) = started_in_two_processes(
        settings.data_dir)
    # The later job's turn came a full interval after the earlier one took its turn, which
    # it did no earlier than it asked (stamps of one machine-wide monotonic clock).
    assert second_start - first_asked >= INTERVAL


def job(engine: str = "ytdlp", platform: str = "instagram") -> Job:
    return Job(platform=platform, engine=engine, url="https://www.instagram.com/natgeo/")


def engine_options(settings: Settings, platform: str = "instagram") -> FetchOptions:
    return FetchOptions(platform=platform, min_request_interval_s=5.0,
                        shared_state_dir=shared_state_dir(settings))


def test_the_end_of_a_job_counts_as_a_request_for_the_engines_too(settings):
    with paced_job(settings, job(), 5.0):
        pass  # the first job of the platform starts at once
    slept: list[float] = []
    pacer_for(engine_options(settings), sleep=slept.append).wait()
    # Start and end were two turns: the engine's request waits for the one after them.
    assert slept and slept[0] == pytest.approx(10.0, abs=0.2)


@pytest.mark.parametrize(("engine", "interval"), [("forum", 5.0), ("ytdlp", 0.0)])
def test_no_turn_is_taken_for_self_paced_engines_or_without_an_interval(settings, engine,
                                                                          interval):
    with paced_job(settings, job(engine), interval):
        pass
    slept: list[float] = []
    pacer_for(engine_options(settings), sleep=slept.append).wait()
    assert slept == []  # the forum engine waits before each of its own requests instead


def test_platforms_are_paced_apart(settings):
    with paced_job(settings, job(platform="instagram"), 5.0):
        pass
    slept: list[float] = []
    pacer_for(engine_options(settings, "tiktok"), sleep=slept.append).wait()
    assert slept == []
