"""/api/v1/scheduler: parse → authorise → one service call → answer.

``POST /jobs/{id}/run`` answers 202 with the run it started; the run goes on in the
background and its outcome appears in ``GET /history``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from mediadl.app_context import DatabaseDep, SettingsDep
from mediadl.auth.deps import CurrentUser
from mediadl.core.clock import utcnow
from mediadl.core.schemas import MAX_ID
from mediadl.schedules.runtime import SchedulerDep
from mediadl.schedules.schemas import (
    RunOut,
    RunPage,
    RunStatus,
    ScheduleCreate,
    ScheduleOut,
    SchedulePage,
    SchedulePatch,
)
from mediadl.schedules.serialize import run_out, schedule_out
from mediadl.schedules.service import RunFilter, ScheduleService, ScheduleView

router = APIRouter(prefix="/scheduler", tags=["scheduler"])
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(ge=1, le=500)]
# Bounded so an id past the database's integer range is a 422, not a driver overflow.
ScheduleId = Annotated[int, Path(ge=1, le=MAX_ID, description="A schedule's id.")]


def schedule_service(settings: SettingsDep, db: DatabaseDep,
                     scheduler: SchedulerDep) -> ScheduleService:
    return ScheduleService(settings, db, scheduler)


Service = Annotated[ScheduleService, Depends(schedule_service)]


def _out(view: ScheduleView) -> ScheduleOut:
    return schedule_out(view.schedule, view.running, utcnow())


def run_filter(job_id: Annotated[int | None, Query(ge=1, le=MAX_ID,
                                                  description="A schedule's id.")] = None,
               status: RunStatus | None = None, page: PageNumber = 1,
               page_size: PageSize = 50) -> RunFilter:
    return RunFilter(job_id, status, page, page_size)


@router.get("/jobs", response_model=SchedulePage)
def list_schedules(user: CurrentUser, service: Service, page: PageNumber = 1,
                   page_size: PageSize = 100) -> SchedulePage:
    views, total = service.list_schedules(user, page, page_size)
    return SchedulePage(items=[_out(view) for view in views], total=total, page=page,
                        page_size=page_size)


@router.post("/jobs", status_code=201, response_model=ScheduleOut)
def create_schedule(body: ScheduleCreate, user: CurrentUser, service: Service) -> ScheduleOut:
    return _out(service.create(user, body))


@router.get("/jobs/{schedule_id}", response_model=ScheduleOut)
def get_schedule(schedule_id: ScheduleId, user: CurrentUser, service: Service) -> ScheduleOut:
    return _out(service.get(user, schedule_id))


@router.patch("/jobs/{schedule_id}", response_model=ScheduleOut)
def update_schedule(schedule_id: ScheduleId, body: SchedulePatch, user: CurrentUser,
                    service: Service) -> ScheduleOut:
    return _out(service.update(user, schedule_id, body))


@router.delete("/jobs/{schedule_id}", status_code=204)
def delete_schedule(schedule_id: ScheduleId, user: CurrentUser, service: Service) -> Response:
    service.delete(user, schedule_id)
    return Response(status_code=204)


@router.post("/jobs/{schedule_id}/run", status_code=202, response_model=RunOut)
def run_schedule_now(schedule_id: ScheduleId, user: CurrentUser, service: Service) -> RunOut:
    return run_out(service.run_now(user, schedule_id))


@router.get("/history", response_model=RunPage)
def history(user: CurrentUser, service: Service,
            query: Annotated[RunFilter, Depends(run_filter)]) -> RunPage:
    runs, total = service.history(user, query)
    return RunPage(items=[run_out(run) for run in runs], total=total, page=query.page,
                   page_size=query.page_size)
