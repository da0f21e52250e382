"""``/api/v1/downloads``: the library. Each route parses, authorises, makes one service call
in one transaction and answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from mediadl.app_context import ContextDep, DatabaseDep, SettingsDep
from mediadl.auth.deps import CurrentUser, MediaReader
from mediadl.core.errors import BadRequest, RangeNotSatisfiable
from mediadl.core.schemas import MAX_ID
from mediadl.library import duplicates, service
from mediadl.library.responses import (
    SAFETY_HEADERS,
    LibraryFileResponse,
    content_disposition,
    may_show_inline,
    placeholder_svg,
)
from mediadl.library.schemas import (
    BulkRequest,
    BulkResult,
    DownloadOut,
    DownloadPage,
    DownloadQuery,
    DownloadStats,
    DuplicatePage,
    DuplicateQuery,
)
from mediadl.security.activity import Actor
from mediadl.security.client import client_address

router = APIRouter(prefix="/downloads", tags=["downloads"])

DownloadIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="A download id.")]
# Thumbnails are named by content hash, so a cached one never goes stale.
THUMBNAIL_CACHE = "private, max-age=86400"


@router.get("", summary="List and search the library")
def list_downloads(user: CurrentUser, db: DatabaseDep,
                   query: Annotated[DownloadQuery, Query()]) -> DownloadPage:
    with db.read() as session:
        return service.list_downloads(session, user, query)


# Declared before "/{download_id}" so "stats" is never read as an id.
@router.get("/stats", summary="Counts and sizes of the library")
def download_stats(user: CurrentUser, db: DatabaseDep) -> DownloadStats:
    with db.read() as session:
        return service.download_stats(session, user)


@router.get("/duplicates", summary="Exact duplicates and pictures that look alike")
def list_duplicates(user: CurrentUser, db: DatabaseDep,
                    query: Annotated[DuplicateQuery, Query()]) -> DuplicatePage:
    with db.read() as session:
        return duplicates.duplicate_groups(session, user, query)


@router.post("/bulk", summary="Delete or download again several downloads")
def bulk_action(body: BulkRequest, request: Request, user: CurrentUser,
                context: ContextDep) -> BulkResult:
    actor = Actor.of(user, client_address(request, context.settings))
    with context.db.session() as session:
        result = service.bulk_action(session, context.settings, actor, user, body)
    if body.action == "redownload" and result.affected:
        context.wake_dispatcher()
    return result


@router.get("/{download_id}", summary="One download")
def get_download(download_id: DownloadIdPath, user: CurrentUser,
                 db: DatabaseDep) -> DownloadOut:
    with db.read() as session:
        return service.get_download(session, user, download_id)


@router.get("/{download_id}/file", summary="The file (Range supported)",
            response_class=Response)
def download_file(download_id: DownloadIdPath, request: Request, user: MediaReader,
                  db: DatabaseDep, settings: SettingsDep, inline: bool = False) -> Response:
    with db.read() as session:
        stored = service.stored_file(session, settings, user, download_id)
    if inline and not may_show_inline(stored.mime):
        raise BadRequest("Only audio, video and pictures can be shown inline; "
                         "download this file instead.")
    size = stored.path.stat().st_size
    _refuse_unsatisfiable_range(request, size)
    headers = {**SAFETY_HEADERS, "Cache-Control": "private",
               "Content-Disposition": content_disposition(stored.download_name, inline=inline)}
    return LibraryFileResponse(stored.path, media_type=stored.mime, headers=headers)


@router.get("/{download_id}/thumbnail", summary="A JPEG preview or a placeholder",
            response_class=Response)
def download_thumbnail(download_id: DownloadIdPath, user: MediaReader, db: DatabaseDep,
                       settings: SettingsDep) -> Response:
    with db.read() as session:
        thumbnail = service.stored_thumbnail(session, settings, user, download_id)
    headers = {**SAFETY_HEADERS, "Cache-Control": THUMBNAIL_CACHE}
    if thumbnail.path is None:
        return Response(placeholder_svg(thumbnail.kind), media_type="image/svg+xml",
                        headers=headers)
    return LibraryFileResponse(thumbnail.path, media_type="image/jpeg", headers=headers)


@router.delete("/{download_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Remove a download (and, with delete_file=true, its file)")
def delete_download(download_id: DownloadIdPath, user: CurrentUser, db: DatabaseDep,
                    settings: SettingsDep, delete_file: bool = False) -> Response:
    with db.session() as session:
        service.delete_download(session, settings, user, download_id, delete_file)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _refuse_unsatisfiable_range(request: Request, size: int) -> None:
    requested = request.headers.get("range")
    # With If-Range the range may be ignored anyway; leave that decision to the response.
    if requested is None or "if-range" in request.headers:
        return
    if LibraryFileResponse.range_unsatisfiable(requested, size):
        raise RangeNotSatisfiable(
            f"The file has {size} bytes; the requested range lies outside it.",
            headers={"Content-Range": f"bytes */{size}"})
