"""``/api/v1/settings``: the general settings (admins) and ``/api/v1/settings/me``, each
user's own preferences."""

from __future__ import annotations

from fastapi import APIRouter, Request

from mediadl.app_context import ContextDep, DatabaseDep
from mediadl.auth.deps import AdminUser, CurrentUser
from mediadl.security.activity import Actor
from mediadl.security.client import client_address
from mediadl.settings import service
from mediadl.settings.schemas import GeneralSettings, Preferences, PreferencesPatch, SettingsPatch

router = APIRouter(prefix="/settings", tags=["settings"])


@router.get("", summary="The general settings (admin)")
def get_settings(_admin: AdminUser, context: ContextDep) -> GeneralSettings:
    with context.db.read() as session:
        return service.general_settings(session, context.settings)


@router.patch("", summary="Change general settings at run time (admin)")
def patch_settings(body: SettingsPatch, admin: AdminUser, request: Request,
                   context: ContextDep) -> GeneralSettings:
    actor = Actor.of(admin, client_address(request, context.settings))
    return service.update_general(context, actor, body)


@router.get("/me", summary="Your own preferences")
def get_preferences(user: CurrentUser, db: DatabaseDep) -> Preferences:
    with db.read() as session:
        return service.preferences(session, user)


@router.patch("/me", summary="Change your own preferences")
def patch_preferences(body: PreferencesPatch, user: CurrentUser,
                      db: DatabaseDep) -> Preferences:
    with db.session() as session:
        return service.update_preferences(session, user, body)
