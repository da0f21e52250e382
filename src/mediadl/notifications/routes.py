"""``/api/v1/notifications``: the caller's notification channels."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from mediadl.app_context import DatabaseDep, SettingsDep
from mediadl.auth.deps import CurrentUser
from mediadl.core.schemas import MAX_ID
from mediadl.notifications import service
from mediadl.notifications.schemas import (
    ChannelCreate,
    ChannelOut,
    ChannelPatch,
    ChannelTestResult,
)

router = APIRouter(prefix="/notifications", tags=["notifications"])
ChannelId = Annotated[int, Path(ge=1, le=MAX_ID, description="A channel id.")]


@router.get("", summary="Your notification channels")
def list_channels(user: CurrentUser, db: DatabaseDep) -> list[ChannelOut]:
    with db.read() as session:
        return service.list_channels(session, user)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Add a channel (an Apprise URL)")
def create_channel(body: ChannelCreate, user: CurrentUser, db: DatabaseDep,
                   settings: SettingsDep) -> ChannelOut:
    with db.session() as session:
        return service.create_channel(session, settings, user, body)


@router.patch("/{channel_id}", summary="Change a channel")
def update_channel(channel_id: ChannelId, body: ChannelPatch, user: CurrentUser,
                   db: DatabaseDep, settings: SettingsDep) -> ChannelOut:
    with db.session() as session:
        return service.update_channel(session, settings, user, channel_id, body)


@router.delete("/{channel_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Remove a channel")
def delete_channel(channel_id: ChannelId, user: CurrentUser, db: DatabaseDep) -> Response:
    with db.session() as session:
        service.delete_channel(session, user, channel_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{channel_id}/test", summary="Send a test notification now")
def test_channel(channel_id: ChannelId, user: CurrentUser, db: DatabaseDep,
                 settings: SettingsDep) -> ChannelTestResult:
    return service.test_channel(db, settings, user, channel_id)
