"""``/api/v1/storage``: the free-space guard's view, and the auto-cleanup policy's dry run
and run (admins)."""

from __future__ import annotations

from fastapi import APIRouter

from mediadl.app_context import ContextDep
from mediadl.auth.deps import AdminUser, CurrentUser
from mediadl.storage import service
from mediadl.storage.schemas import CleanupPreview, CleanupRequest, CleanupResult, StorageStatus

router = APIRouter(prefix="/storage", tags=["storage"])


@router.get("", summary="Free space, your quota and the jobs paused for lack of space")
def storage_status(user: CurrentUser, context: ContextDep) -> StorageStatus:
    with context.db.read() as session:
        return service.status(session, context, user)


@router.get("/cleanup", summary="What the auto-cleanup policy would delete (dry run, admin)")
def cleanup_preview(_admin: AdminUser, context: ContextDep) -> CleanupPreview:
    with context.db.read() as session:
        return service.cleanup_preview(session, context)


@router.post("/cleanup", summary="Apply the auto-cleanup policy now (admin)")
def run_cleanup(body: CleanupRequest, _admin: AdminUser, context: ContextDep) -> CleanupResult:
    return service.run_cleanup(context, body.dry_run)
