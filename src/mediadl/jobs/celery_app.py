"""The Celery side of the scaled-out mode (ADR 0010).

Messages are hints only: ``mediadl.run_job(job_id)``. The worker that receives one must win
the job's lease in the database before it starts anything, so a duplicate or late message
is a no-op. One queue per priority class; acks late; prefetch one; a visibility timeout
longer than the longest download (and harmless if exceeded, thanks to the lease).
"""

from __future__ import annotations

from celery import Celery

from mediadl.core.settings import Settings

RUN_JOB = "mediadl.run_job"
PRIORITY_QUEUES = ("mediadl.high", "mediadl.normal", "mediadl.low")


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
