"""Reading the figures of a scrape or a health check from one app's context."""

from __future__ import annotations

from mediadl.app_context import AppContext
from mediadl.monitoring.metrics import StateFigures, read_figures
from mediadl.storage.space import disk_usage


def state_figures(context: AppContext) -> StateFigures:
    with context.db.read() as session:
        jobs, queue, library, pending = read_figures(session)
    disk = disk_usage(context.settings.library_dir)
    ops = context.ops
    return StateFigures(
        jobs=jobs, queue=queue, library=library, disk_free=disk.free, disk_total=disk.total,
        storage_low=ops.storage.low, sockets=context.events.fanout.subscriber_count,
        slots=context.settings.max_concurrent_downloads, pending_notifications=pending,
        loops={loop.name: loop.last_success or 0.0 for loop in ops.loops})


def render_metrics(context: AppContext) -> bytes:
    return context.ops.metrics.render(lambda: state_figures(context))
