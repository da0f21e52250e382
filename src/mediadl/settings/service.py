"""The general settings (admins) and each user's preferences.

A change is stored, recorded in the activity log, and applied to this process's live
settings at once; other processes pick it up within ``settings_refresh_seconds``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediadl.app_context import AppContext
from mediadl.core.clock import utcnow
from mediadl.core.errors import InvalidPayload
from mediadl.core.settings import Settings
from mediadl.db.models import User
from mediadl.db.models.library_ops import RuntimeSetting, UserPreference
from mediadl.security.activity import SETTINGS_CHANGED, Actor, record
from mediadl.security.origins import validated_origins
from mediadl.settings.fields import MANAGED, PATH_TO_FIELD, validate_value
from mediadl.settings.schemas import (
    AutoCleanup,
    GeneralSettings,
    LogRetention,
    Preferences,
    PreferencesPatch,
    SettingsPatch,
)

READ_ONLY = ["download_dir"]
NULLABLE_PREFERENCES = frozenset({"default_quality", "default_priority"})


def general_settings(session: Session, settings: Settings) -> GeneralSettings:
    stored = set(session.scalars(select(RuntimeSetting.key)))
    return describe(settings, sorted(PATH_TO_FIELD[key] for key in stored
                                     if key in PATH_TO_FIELD))


def describe(settings: Settings, overridden: list[str]) -> GeneralSettings:
    storage, logs = settings.storage, settings.logs
    return GeneralSettings(
        download_dir=str(settings.library_dir.resolve()),
        max_concurrent_downloads=settings.max_concurrent_downloads,
        retry_attempts=settings.jobs.max_attempts,
        default_priority=settings.downloads.default_priority,
        default_quality=settings.downloads.default_quality,
        storage_limit_bytes=storage.limit_bytes, storage_reserve_bytes=storage.reserve_bytes,
        user_quota_bytes=storage.user_quota_bytes,
        auto_cleanup=AutoCleanup(enabled=storage.cleanup_enabled,
                                 max_age_days=storage.cleanup_max_age_days,
                                 max_per_source=storage.cleanup_max_per_source),
        log_retention=LogRetention(max_file_bytes=logs.max_file_bytes,
                                   backup_count=logs.backup_count,
                                   max_age_days=logs.max_age_days),
        allow_private_networks=settings.allow_private_networks,
        cors_origins=list(settings.cors_origins), read_only=READ_ONLY, overridden=overridden)


def update_general(context: AppContext, actor: Actor, patch: SettingsPatch) -> GeneralSettings:
    """Check every value first (422 naming the field), then store them all at once."""
    checked = {field: _checked(context.settings, field, value)
               for field, value in patch.changes().items()}
    with context.db.session() as session:
        for field, value in checked.items():
            _store(session, MANAGED[field], value, actor.user_id)
        if checked:
            record(session, actor, SETTINGS_CHANGED, "settings", changes=checked)
        overridden = sorted(PATH_TO_FIELD[key] for key in session.scalars(
            select(RuntimeSetting.key)) if key in PATH_TO_FIELD)
    context.ops.overrides.refresh(context.db, context.settings)
    context.wake_dispatcher()
    for loop in context.ops.loops:
        loop.wake()  # the storage guard and cleanup see new limits now, not in a minute
    return describe(context.settings, overridden)


def _checked(settings: Settings, field: str, value: Any) -> Any:
    if value is None:
        return None
    checked = validate_value(settings, field, value)
    if field == "cors_origins":
        try:
            checked = validated_origins(checked, field)
        except ValueError as error:
            raise InvalidPayload(f"{error}.") from None
    return checked


def _store(session: Session, path: str, value: Any, user_id: int | None) -> None:
    if value is None:
        session.execute(delete(RuntimeSetting).where(RuntimeSetting.key == path))
        return
    session.merge(RuntimeSetting(key=path, value=value, updated_at=utcnow(), updated_by=user_id))


# --- preferences -----------------------------------------------------------------------------

def preferences(session: Session, user: User) -> Preferences:
    row = session.get(UserPreference, user.id)
    return Preferences.model_validate(row.values if row is not None else {})


def update_preferences(session: Session, user: User, patch: PreferencesPatch) -> Preferences:
    current = preferences(session, user).model_dump()
    sent = patch.model_dump(exclude_unset=True)
    # null means "the server default" where there is one; elsewhere it changes nothing.
    current.update({key: value for key, value in sent.items()
                    if value is not None or key in NULLABLE_PREFERENCES})
    merged = Preferences.model_validate(current)
    session.merge(UserPreference(user_id=user.id, values=merged.model_dump(mode="json"),
                                 updated_at=utcnow()))
    return merged


def enqueue_defaults(session: Session, settings: Settings, user: User) -> tuple[str, str]:
    """(quality, priority) for a new job of ``user`` that names neither: the user's own
    preference, else the server's default. For the queue to call."""
    mine = preferences(session, user)
    return (mine.default_quality or settings.downloads.default_quality,
            mine.default_priority or settings.downloads.default_priority)
