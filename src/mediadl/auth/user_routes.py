"""``/users``: accounts, for admins. The first admin is made only by the command line."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from mediadl.app_context import DatabaseDep, SettingsDep
from mediadl.auth import service, totp
from mediadl.auth.deps import AdminUser, Client
from mediadl.auth.schemas import UserCreate, UserResponse, UserUpdate
from mediadl.auth.sessions import end_all_sessions
from mediadl.core.schemas import MAX_ID
from mediadl.security import activity
from mediadl.security.activity import Actor

router = APIRouter(prefix="/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="A user id.")]


@router.get("", response_model=list[UserResponse])
def list_users(_admin: AdminUser, db: DatabaseDep) -> list[UserResponse]:
    with db.read() as session:
        users = service.list_users(session)
        with_totp = totp.enabled_user_ids(session)
    return [UserResponse.from_user(user, user.id in with_totp) for user in users]


@router.post("", response_model=UserResponse, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, admin: AdminUser, db: DatabaseDep, settings: SettingsDep,
                client: Client) -> UserResponse:
    with db.session() as session:
        user = service.create_user(session, settings, body.username, body.password,
                                   role=body.role, email=body.email)
        activity.record(session, Actor.of(admin, client.address), activity.USER_CREATED,
                        user.username, user_id=user.id, role=user.role)
    return UserResponse.from_user(user)


@router.patch("/{user_id}", response_model=UserResponse)
def update_user(user_id: UserId, body: UserUpdate, admin: AdminUser, db: DatabaseDep,
                settings: SettingsDep, client: Client) -> UserResponse:
    with db.session() as session:
        user = service.update_user(session, settings, admin.id, user_id, body)
        has_totp = totp.is_enabled(session, user.id)
        # Names of the changed fields only: never a password, not even its hash.
        activity.record(session, Actor.of(admin, client.address), activity.USER_UPDATED,
                        user.username, user_id=user.id, fields=sorted(body.model_fields_set))
    return UserResponse.from_user(user, has_totp)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: UserId, admin: AdminUser, db: DatabaseDep, client: Client) -> Response:
    with db.session() as session:
        user = service.delete_user(session, admin.id, user_id)
        activity.record(session, Actor.of(admin, client.address), activity.USER_DELETED,
                        user.username, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{user_id}/end-sessions", status_code=status.HTTP_204_NO_CONTENT,
             summary="Log a user out everywhere, at once")
def end_sessions(user_id: UserId, admin: AdminUser, db: DatabaseDep, client: Client) -> Response:
    with db.session() as session:
        user = service.get_user(session, user_id)
        end_all_sessions(session, user)
        activity.record(session, Actor.of(admin, client.address), activity.SESSIONS_ENDED,
                        user.username, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
