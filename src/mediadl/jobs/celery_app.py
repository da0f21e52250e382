"""The Celery side of the scaled-out mode (ADR 0010).

Messages are hints only: ``mediadl.run_job(job_id)``. The worker that receives one must win
the job's lease in the database before it starts anything, so a duplicate or late message
is a no-op. One queue per priority class; acks late; prefetch one; a visibility timeout
longer than the longest download (and harmless if exceeded, thanks to the lease).
"""

from __future__ import annotations

import redis
from celery import Celery

from mediadl.core.settings import Settings

RUN_JOB = "mediadl.run_job"
PRIORITY_QUEUES = ("mediadl.high", "mediadl.normal", "mediadl.low")
# Kombu's Redis transport keeps a list per queue and message priority step.
_PRIORITY_STEPS = (0, 3, 6, 9)
_PRIORITY_SEPARATOR = "\x06\x16"


def queue_for(priority: str) -> str:
    return f"mediadl.{priority}"


def make_celery(settings: Settings) -> Celery:
    if not settings.broker_url:
        raise RuntimeError("MEDIADL_BROKER_URL is not set")
    app = Celery("mediadl", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue="mediadl.normal",
        broker_transport_options={"visibility_timeout": settings.celery.visibility_timeout_seconds},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    return app


def _broker_lists() -> list[str]:
    return [queue if step == 0 else f"{queue}{_PRIORITY_SEPARATOR}{step}"
            for queue in PRIORITY_QUEUES for step in _PRIORITY_STEPS]


def waiting_hints(broker: redis.Redis) -> int:
    """Hints in the broker that no worker has taken yet (none after a Redis restart)."""
    with broker.pipeline(transaction=False) as pipe:
        for name in _broker_lists():
            pipe.llen(name)
        return sum(int(length) for length in pipe.execute())
