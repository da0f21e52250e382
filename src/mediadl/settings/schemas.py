"""What ``/api/v1/settings`` and ``/api/v1/settings/me`` read and answer.

Value ranges are not repeated here: every value is checked against the constraints of its
field in ``core.settings`` (one source of truth), see ``fields.validate_value``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from mediadl.core.schemas import RequestModel
from mediadl.engines.base import Quality
from mediadl.jobs.states import Priority
from mediadl.notifications.events import EVENTS as NOTIFICATION_EVENTS
from mediadl.notifications.events import EventName as NotificationEventName

READ_ONLY_DETAIL = ("cannot be changed while the server runs: every download is stored "
                    "relative to it; set MEDIADL_DATA_DIR and restart instead")


class AutoCleanup(BaseModel):
    enabled: bool
    max_age_days: int = Field(description="Delete downloads older than this; 0 = off.")
    max_per_source: int = Field(description="Keep the newest N of each source; 0 = off.")


class LogRetention(BaseModel):
    max_file_bytes: int = Field(description="The log file is rotated at this size.")
    backup_count: int = Field(description="Rotated log files kept.")
    max_age_days: int = Field(description="Rotated files older than this are deleted.")


class GeneralSettings(BaseModel):
    """The general settings; ``overridden`` lists those changed through this API (the
    others come from the environment, the config file or the defaults)."""

    download_dir: str = Field(description="Where the library lives (read-only).")
    max_concurrent_downloads: int
    retry_attempts: int
    default_priority: Priority
    default_quality: Quality
    storage_limit_bytes: int = Field(description="0 = the whole disk.")
    storage_reserve_bytes: int = Field(description="Free space always left on the disk.")
    user_quota_bytes: int = Field(description="Per user; 0 = no quota.")
    auto_cleanup: AutoCleanup
    log_retention: LogRetention
    allow_private_networks: bool
    cors_origins: list[str]
    read_only: list[str]
    overridden: list[str]


class AutoCleanupPatch(RequestModel):
    enabled: bool | None = None
    max_age_days: int | None = None
    max_per_source: int | None = None


class LogRetentionPatch(RequestModel):
    max_file_bytes: int | None = None
    backup_count: int | None = None
    max_age_days: int | None = None


class SettingsPatch(RequestModel):
    """Any subset of the general settings. ``null`` returns a setting to its configured
    default (environment, config file or built-in)."""

    download_dir: str | None = Field(None, description="Read-only; always refused.")
    max_concurrent_downloads: int | None = None
    retry_attempts: int | None = None
    default_priority: Priority | None = None
    default_quality: Quality | None = None
    storage_limit_bytes: int | None = None
    storage_reserve_bytes: int | None = None
    user_quota_bytes: int | None = None
    auto_cleanup: AutoCleanupPatch | None = None
    log_retention: LogRetentionPatch | None = None
    allow_private_networks: bool | None = None
    cors_origins: list[str] | None = Field(None, max_length=50)

    @field_validator("download_dir")
    @classmethod
    def _read_only(cls, value: Any) -> Any:
        raise ValueError(READ_ONLY_DETAIL)

    def changes(self) -> dict[str, Any]:
        """Dotted API field → new value (None = back to the default) for what was sent."""
        sent = self.model_dump(exclude_unset=True)
        flat: dict[str, Any] = {}
        for name, value in sent.items():
            group = GROUPS.get(name)
            if group is None:
                flat[name] = value
            elif value is None:  # the whole group back to its defaults
                flat.update({f"{name}.{key}": None for key in group.model_fields})
            else:
                flat.update({f"{name}.{key}": item for key, item in value.items()})
        return flat


class Preferences(BaseModel):
    """One user's own defaults."""

    default_quality: Quality | None = Field(
        None, description="Quality of the user's new jobs; null = the server default.")
    default_priority: Priority | None = Field(None, description="null = the server default.")
    browser_notifications: bool = Field(True, description="Show notifications in the web UI.")
    browser_events: list[NotificationEventName] = Field(
        default_factory=lambda: list(NOTIFICATION_EVENTS),
        description="Which events the web UI shows.")


class PreferencesPatch(RequestModel):
    default_quality: Quality | None = None
    default_priority: Priority | None = None
    browser_notifications: bool | None = None
    browser_events: list[NotificationEventName] | None = Field(None, max_length=20)


GROUPS: dict[str, type[RequestModel]] = {"auto_cleanup": AutoCleanupPatch,
                                         "log_retention": LogRetentionPatch}
