"""/api/v1/queue: parse → authorise → one service call → answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from mediadl.app_context import ContextDep
from mediadl.auth.deps import CurrentUser
from mediadl.db.models import User
from mediadl.queue.schemas import (
    MAX_ID,
    AffectedOut,
    BatchOut,
    BatchRequest,
    BulkRequest,
    ClearRequest,
    EnqueueRequest,
    JobOut,
    JobPage,
    JobPatch,
    QueueStats,
)
from mediadl.queue.serialize import job_out
from mediadl.queue.service import Enqueued, JobFilter, QueueService
from mediadl.security import activity
from mediadl.security.activity import ActivityLog

router = APIRouter(prefix="/queue", tags=["queue"])
# Ids past the database's integer range must be a 422, not an overflow inside the driver.
JobIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="A job id.")]
# API.md offers enqueueing from the library too: `POST /downloads` is the queue's add.
downloads_router = APIRouter(prefix="/downloads", tags=["downloads"])


def queue_service(context: ContextDep) -> QueueService:
    return QueueService(context)


Service = Annotated[QueueService, Depends(queue_service)]
# Visible ASCII only: the key is stored and compared as sent.
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
    description="Send the same key again (say, after a timeout) to get the job it added "
                "instead of a second one.")]
REPLAYED: dict[int | str, dict[str, Any]] = {200: {
    "model": JobOut, "description": "The job an earlier request with the same "
                                    "Idempotency-Key added (header Idempotent-Replayed: true)."}}


def job_filter(
    status: str | None = None,
    platform: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    parent_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    sort: Literal["priority", "created_at", "updated_at", "platform", "status"] = "priority",
    order: Literal["asc", "desc"] = "asc",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobFilter:
    return JobFilter(status, platform, q, parent_id, sort, order, page, page_size)


@router.post("", status_code=201, response_model=JobOut,
             responses=REPLAYED)
def enqueue(body: EnqueueRequest, user: CurrentUser, service: Service, log: ActivityLog,
            response: Response, idempotency_key: IdempotencyKey = None) -> JobOut:
    return _added(service.enqueue(user, body, idempotency_key), user, log, response)


@downloads_router.post("", status_code=201, response_model=JobOut,
                       summary="Download a link (the same as adding it to the queue)",
                       responses=REPLAYED)
def enqueue_from_library(body: EnqueueRequest, user: CurrentUser, service: Service,
                         log: ActivityLog, response: Response,
                         idempotency_key: IdempotencyKey = None) -> JobOut:
    return _added(service.enqueue(user, body, idempotency_key), user, log, response)


def _added(added: Enqueued, user: User, log: ActivityLog, response: Response) -> JobOut:
    if added.created:
        log(user, activity.JOB_ADDED, added.job.url, job_id=added.job.id)
    else:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return job_out(added.job, added.download_ids)


@router.post("/batch", status_code=201, response_model=BatchOut)
def enqueue_batch(body: BatchRequest, user: CurrentUser, service: Service,
                  log: ActivityLog) -> Response:
    jobs = service.enqueue_batch(user, body)
    log(user, activity.JOB_ADDED, f"{len(jobs)} links", job_ids=[job.id for job in jobs[:100]])
    # Serialised once, here: FastAPI would turn ten thousand models into dicts, validate
    # them again and only then serialise them, a third of the request's time.
    answer = BatchOut(items=[job_out(job, []) for job in jobs])
    return Response(answer.model_dump_json(), status_code=201, media_type="application/json")


@router.get("", response_model=JobPage)
def list_jobs(user: CurrentUser, service: Service,
              query: Annotated[JobFilter, Depends(job_filter)]) -> JobPage:
    jobs, total, downloads = service.list_jobs(user, query)
    return JobPage(items=[job_out(job, downloads.get(job.id, [])) for job in jobs],
                   total=total, page=query.page, page_size=query.page_size)


@router.get("/stats", response_model=QueueStats)
def queue_stats(user: CurrentUser, service: Service) -> QueueStats:
    return QueueStats(**service.stats(user))


@router.post("/clear", response_model=AffectedOut)
def clear(body: ClearRequest, user: CurrentUser, service: Service,
          log: ActivityLog) -> AffectedOut:
    removed = service.clear(user, body.statuses)
    log(user, activity.JOB_DELETED, f"{removed} jobs", statuses=list(body.statuses))
    return AffectedOut(affected=removed)


@router.post("/bulk", response_model=AffectedOut)
def bulk(body: BulkRequest, user: CurrentUser, service: Service,
         log: ActivityLog) -> AffectedOut:
    affected = service.bulk(user, body)
    if body.action == "delete":
        log(user, activity.JOB_DELETED, f"{affected} jobs", job_ids=body.ids[:100])
    return AffectedOut(affected=affected)


@router.post("/pause-all", response_model=AffectedOut)
def pause_all(user: CurrentUser, service: Service) -> AffectedOut:
    return AffectedOut(affected=service.pause_all(user))


@router.post("/resume-all", response_model=AffectedOut)
def resume_all(user: CurrentUser, service: Service) -> AffectedOut:
    return AffectedOut(affected=service.resume_all(user))


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: JobIdPath, user: CurrentUser, service: Service) -> JobOut:
    return job_out(*service.get(user, job_id))


@router.patch("/{job_id}", response_model=JobOut)
def update_job(job_id: JobIdPath, body: JobPatch, user: CurrentUser, service: Service) -> JobOut:
    return job_out(*service.update(user, job_id, body))


@router.delete("/{job_id}", status_code=204)
def delete_job(job_id: JobIdPath, user: CurrentUser, service: Service,
               log: ActivityLog) -> Response:
    service.delete(user, job_id)
    log(user, activity.JOB_DELETED, str(job_id), job_id=job_id)
    return Response(status_code=204)


@router.post("/{job_id}/retry", response_model=JobOut)
def retry_job(job_id: JobIdPath, user: CurrentUser, service: Service) -> JobOut:
    return job_out(*service.retry(user, job_id))
