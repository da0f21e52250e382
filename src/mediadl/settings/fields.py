"""Which start-up settings the API may change, and how a value is read, checked and set.

A runtime setting is stored under its dotted path in ``core.settings.Settings``
("jobs.max_attempts"); the API shows it under a friendlier name ("retry_attempts").
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from mediadl.core.errors import InvalidPayload
from mediadl.core.settings import Settings

# API field (dotted for groups) → path in Settings.
MANAGED: dict[str, str] = {
    "max_concurrent_downloads": "max_concurrent_downloads",
    "retry_attempts": "jobs.max_attempts",
    "default_priority": "downloads.default_priority",
    "default_quality": "downloads.default_quality",
    "storage_limit_bytes": "storage.limit_bytes",
    "storage_reserve_bytes": "storage.reserve_bytes",
    "user_quota_bytes": "storage.user_quota_bytes",
    "auto_cleanup.enabled": "storage.cleanup_enabled",
    "auto_cleanup.max_age_days": "storage.cleanup_max_age_days",
    "auto_cleanup.max_per_source": "storage.cleanup_max_per_source",
    "log_retention.max_file_bytes": "logs.max_file_bytes",
    "log_retention.backup_count": "logs.backup_count",
    "log_retention.max_age_days": "logs.max_age_days",
    "allow_private_networks": "allow_private_networks",
    "cors_origins": "cors_origins",
}
PATH_TO_FIELD = {path: field for field, path in MANAGED.items()}


def read_path(settings: Settings, path: str) -> Any:
    owner, name = _owner(settings, path)
    return getattr(owner, name)


def write_path(settings: Settings, path: str, value: Any) -> None:
    owner, name = _owner(settings, path)
    setattr(owner, name, value)


def validate_value(settings: Settings, field: str, value: Any) -> Any:
    """``value`` checked against the constraints of its ``core.settings`` field; a 422
    naming the API field and the reason otherwise."""
    owner, name = _owner(settings, MANAGED[field])
    try:
        return _adapter(type(owner), name).validate_python(value)
    except ValidationError as error:
        reason = error.errors()[0].get("msg", "is not valid")
        raise InvalidPayload(f"{field}: {reason}.") from None


def _owner(settings: Settings, path: str) -> tuple[BaseModel, str]:
    *groups, name = path.split(".")
    owner: BaseModel = settings
    for group in groups:
        owner = getattr(owner, group)
    return owner, name


@cache
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    field = model.model_fields[name]
    annotation: Any = field.annotation
    if field.metadata:
        annotation = Annotated[(annotation, *field.metadata)]
    return TypeAdapter(annotation)
