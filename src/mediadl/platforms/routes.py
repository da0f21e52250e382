"""/api/v1/platforms and /api/v1/settings/platforms: parse → authorise → one service call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from mediadl.app_context import ContextDep
from mediadl.auth.deps import AdminUser, CurrentUser
from mediadl.core.errors import BadRequest, PayloadTooLarge
from mediadl.platforms.admin import PlatformSettingsService
from mediadl.platforms.schemas import (
    CookiesOut,
    PlatformDownloadRequest,
    PlatformOut,
    PlatformSettingsOut,
    PlatformSettingsPatch,
    PlatformTestOut,
    PlatformTestRequest,
    ShortcutRequest,
    ThreadShortcutRequest,
)
from mediadl.platforms.service import PlatformService
from mediadl.queue.schemas import JobOut
from mediadl.queue.serialize import job_out
from mediadl.security import activity
from mediadl.security.activity import ActivityLog

router = APIRouter(prefix="/platforms", tags=["platforms"])
settings_router = APIRouter(prefix="/settings/platforms", tags=["settings"])


def platform_service(context: ContextDep) -> PlatformService:
    return PlatformService(context)


def settings_service(context: ContextDep) -> PlatformSettingsService:
    return PlatformSettingsService(context.db, context.settings)


Service = Annotated[PlatformService, Depends(platform_service)]
SettingsService = Annotated[PlatformSettingsService, Depends(settings_service)]


# -- the seed's shortcuts (declared before /{name}/... so their paths win) ---------------
@router.post("/instagram/posts", status_code=201, response_model=JobOut,
             summary="Download a user's Instagram posts")
def instagram_posts(body: ShortcutRequest, user: CurrentUser, service: Service,
                    log: ActivityLog) -> JobOut:
    job = service.user_shortcut(user, "instagram", "posts", body)
    log(user, activity.JOB_ADDED, job.url, job_id=job.id)
    return job_out(job, [])


@router.post("/instagram/stories", status_code=201, response_model=JobOut,
             summary="Download a user's current Instagram stories")
def instagram_stories(body: ShortcutRequest, user: CurrentUser, service: Service,
                      log: ActivityLog) -> JobOut:
    job = service.user_shortcut(user, "instagram", "stories", body)
    log(user, activity.JOB_ADDED, job.url, job_id=job.id)
    return job_out(job, [])


@router.post("/tiktok/user", status_code=201, response_model=JobOut,
             summary="Download a TikTok user's videos")
def tiktok_user(body: ShortcutRequest, user: CurrentUser, service: Service,
                log: ActivityLog) -> JobOut:
    job = service.user_shortcut(user, "tiktok", "user", body)
    log(user, activity.JOB_ADDED, job.url, job_id=job.id)
    return job_out(job, [])


@router.post("/forum/thread", status_code=201, response_model=JobOut,
             summary="Download the images of a forum thread")
def forum_thread(body: ThreadShortcutRequest, user: CurrentUser, service: Service,
                 log: ActivityLog) -> JobOut:
    job = service.thread(user, body)
    log(user, activity.JOB_ADDED, job.url, job_id=job.id)
    return job_out(job, [])


# -- the registry ----------------------------------------------------------------------
@router.get("", response_model=list[PlatformOut])
def list_platforms(_user: CurrentUser, service: Service) -> list[PlatformOut]:
    return service.list()


@router.get("/{name}", response_model=PlatformOut)
def get_platform(name: str, _user: CurrentUser, service: Service) -> PlatformOut:
    return service.get(name)


@router.post("/{name}/test", response_model=PlatformTestOut)
def test_platform(name: str, _user: CurrentUser, service: Service,
                  body: Annotated[PlatformTestRequest | None, Body()] = None) -> PlatformTestOut:
    return service.test(name, body.url if body else None)


@router.post("/{name}/download", status_code=201, response_model=JobOut)
def download_with_platform(name: str, body: PlatformDownloadRequest, user: CurrentUser,
                           service: Service, log: ActivityLog) -> JobOut:
    job = service.download(user, name, body)
    log(user, activity.JOB_ADDED, job.url, job_id=job.id)
    return job_out(job, [])


# -- per-platform settings -------------------------------------------------------------
@settings_router.get("", response_model=list[PlatformSettingsOut])
def list_platform_settings(user: CurrentUser,
                           service: SettingsService) -> list[PlatformSettingsOut]:
    return service.list(show_proxy=user.is_admin)


@settings_router.get("/{name}", response_model=PlatformSettingsOut)
def get_platform_settings(name: str, user: CurrentUser,
                          service: SettingsService) -> PlatformSettingsOut:
    return service.get(name, show_proxy=user.is_admin)


@settings_router.patch("/{name}", response_model=PlatformSettingsOut)
def update_platform_settings(name: str, body: PlatformSettingsPatch, admin: AdminUser,
                             service: SettingsService, log: ActivityLog) -> PlatformSettingsOut:
    updated = service.update(name, body)
    log(admin, activity.SETTINGS_CHANGED, f"platform:{name}",
        fields=sorted(body.model_fields_set))
    return updated


@settings_router.put("/{name}/cookies", response_model=CookiesOut,
                     summary="Upload the platform's cookies.txt (Netscape format)")
async def upload_platform_cookies(name: str, request: Request, admin: AdminUser,
                                  service: SettingsService, context: ContextDep,
                                  log: ActivityLog) -> CookiesOut:
    raw = await read_upload(request, context.settings.platforms.max_cookie_bytes)
    stored = await run_in_threadpool(service.set_cookies, name, raw)
    await run_in_threadpool(log, admin, activity.SETTINGS_CHANGED, f"platform:{name}",
                            fields=["cookies"])
    return stored


@settings_router.delete("/{name}/cookies", status_code=204)
def delete_platform_cookies(name: str, admin: AdminUser, service: SettingsService,
                            log: ActivityLog) -> Response:
    service.clear_cookies(name)
    log(admin, activity.SETTINGS_CHANGED, f"platform:{name}", fields=["cookies"])
    return Response(status_code=204)


async def read_upload(request: Request, limit: int) -> bytes:
    """The cookies file: the raw body (text/plain), or the ``file`` field of a form."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise PayloadTooLarge(f"A cookies file is at most {limit} bytes.")
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await _form_file(request, limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"A cookies file is at most {limit} bytes.")
    return bytes(body)


async def _form_file(request: Request, limit: int) -> bytes:
    form = await request.form(max_files=1, max_fields=4)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise BadRequest("Send the cookies.txt as the form field 'file'.")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"A cookies file is at most {limit} bytes.")
    return data
