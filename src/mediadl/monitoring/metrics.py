"""Prometheus metrics of one server process.

Counters and the duration histogram count what this process saw (job outcomes are
reported once across all processes, so summing over instances is right). Gauges - jobs by
status, queue depth, library size per platform, disk, WebSocket clients - are read from
the database and the process at scrape time, so every instance reports the same truth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from mediadl.db.models import Job
from mediadl.db.models.library_ops import JobCount, LibraryTotal, NotificationDelivery
from mediadl.jobs.states import PRIORITY_RANK, QUEUED, RUNNING, STATUSES
from mediadl.notifications.outcomes import Outcome

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400,
                    float("inf"))

# What the scrape-time collector reads; the composition root provides it.
Snapshot = Callable[[], "StateFigures"]


class StateFigures:
    """Figures read at scrape time (see ``monitoring.collect``)."""

    def __init__(self, jobs: dict[str, int], queue: dict[str, int],
                 library: list[tuple[str, int, int]], disk_free: int, disk_total: int,
                 storage_low: bool, sockets: int, slots: int, pending_notifications: int,
                 loops: dict[str, float]) -> None:
        self.jobs, self.queue, self.library = jobs, queue, library
        self.disk_free, self.disk_total, self.storage_low = disk_free, disk_total, storage_low
        self.sockets, self.slots = sockets, slots
        self.pending_notifications, self.loops = pending_notifications, loops


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=self.registry)
        self.download_seconds = Histogram(
            "mediadl_download_duration_seconds", "Time from start to end of a download job.",
            ["platform", "status"], buckets=DURATION_BUCKETS, registry=self.registry)
        self.jobs_finished = Counter("mediadl_jobs_finished", "Jobs that completed or failed.",
                                     ["platform", "status"], registry=self.registry)
        self.downloaded_bytes = Counter("mediadl_downloaded_bytes",
                                        "Bytes of completed downloads.", ["platform"],
                                        registry=self.registry)
        self._state = _StateCollector()
        self.registry.register(self._state)

    def observe(self, outcome: Outcome) -> None:
        labels = {"platform": outcome.platform, "status": outcome.status}
        self.jobs_finished.labels(**labels).inc()
        if outcome.seconds is not None:
            self.download_seconds.labels(**labels).observe(outcome.seconds)
        if outcome.status == "completed" and outcome.bytes:
            self.downloaded_bytes.labels(platform=outcome.platform).inc(outcome.bytes)

    def render(self, snapshot: Snapshot) -> bytes:
        self._state.snapshot = snapshot
        return generate_latest(self.registry)


class _StateCollector(Collector):
    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None

    def collect(self) -> Iterator[Metric]:
        if self.snapshot is None:
            return
        try:
            figures = self.snapshot()
        except Exception:  # a scrape must still show the process metrics
            log.exception("reading metrics from the database failed")
            yield _gauge("mediadl_up", "1 when the database answered the scrape.", 0)
            return
        yield _gauge("mediadl_up", "1 when the database answered the scrape.", 1)
        yield from _state_metrics(figures)


def _state_metrics(figures: StateFigures) -> Iterator[Metric]:
    yield _labelled("mediadl_jobs", "Jobs by status.", "status",
                    {status: figures.jobs.get(status, 0) for status in STATUSES})
    yield _labelled("mediadl_queue_depth", "Queued jobs waiting for a worker, by priority.",
                    "priority", figures.queue)
    yield _gauge("mediadl_active_workers", "Jobs running now (all hosts).",
                 figures.jobs.get(RUNNING, 0))
    yield _gauge("mediadl_worker_slots", "Jobs this server runs at once.", figures.slots)
    downloads = GaugeMetricFamily("mediadl_library_downloads", "Downloads in the library.",
                                  labels=["platform"])
    size = GaugeMetricFamily("mediadl_library_bytes", "Bytes in the library.",
                             labels=["platform"])
    for platform, count, total in figures.library:
        downloads.add_metric([platform], count)
        size.add_metric([platform], total)
    yield downloads
    yield size
    yield _gauge("mediadl_disk_free_bytes", "Free bytes on the library's disk.",
                 figures.disk_free)
    yield _gauge("mediadl_disk_total_bytes", "Size of the library's disk.", figures.disk_total)
    yield _gauge("mediadl_storage_low", "1 while downloads are paused for lack of space.",
                 int(figures.storage_low))
    yield _gauge("mediadl_websocket_clients", "Open WebSocket connections of this process.",
                 figures.sockets)
    yield _gauge("mediadl_notifications_pending", "Notifications waiting to be sent.",
                 figures.pending_notifications)
    yield _labelled("mediadl_background_last_run_timestamp_seconds",
                    "When each background loop last finished a round.", "loop", figures.loops)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _labelled(name: str, documentation: str, label: str,
              values: dict[str, Any]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


def read_figures(session: Any) -> tuple[dict[str, int], dict[str, int],
                                        list[tuple[str, int, int]], int]:
    """Jobs by status, queued jobs by priority, library per platform, pending notices."""
    jobs = {status: int(count) for status, count in session.execute(
        select(JobCount.status, func.sum(JobCount.job_count)).group_by(JobCount.status))}
    ranks = session.execute(select(Job.priority_rank, func.count())
                            .where(Job.status == QUEUED).group_by(Job.priority_rank))
    names = {rank: name for name, rank in PRIORITY_RANK.items()}
    queue = {names.get(rank, str(rank)): count for rank, count in ranks}
    library = [(platform, int(count), int(size)) for platform, count, size in session.execute(
        select(LibraryTotal.platform, func.sum(LibraryTotal.download_count),
               func.sum(LibraryTotal.byte_count)).group_by(LibraryTotal.platform))]
    pending = session.scalar(select(func.count()).select_from(NotificationDelivery).where(
        NotificationDelivery.status.in_(("pending", "sending")))) or 0
    return jobs, queue, library, int(pending)
