"""/api/v1/settings (admins) and /api/v1/settings/me (everyone): validation, storage,
the activity log and the live effect on the process's settings."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from mediadl.app_context import AppContext
from mediadl.core.settings import Settings
from mediadl.db.models.library_ops import RuntimeSetting
from mediadl.db.models.security import ActivityEntry
from mediadl.db.session import Database
from mediadl.settings.overrides import OverrideTracker, apply_stored_overrides
from tests.stats.support import cheap

API = "/api/v1/settings"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return cheap(settings)


def test_only_admins_see_and_change_the_general_settings(client: TestClient,
                                                         user_headers: dict[str, str]) -> None:
    assert client.get(API).status_code == 401
    assert client.get(API, headers=user_headers).status_code == 403
    answer = client.patch(API, json={"max_concurrent_downloads": 5}, headers=user_headers)
    assert answer.status_code == 403


def test_the_general_settings_show_every_seed_field(client: TestClient,
                                                    admin_headers: dict[str, str],
                                                    settings: Settings) -> None:
    body = client.get(API, headers=admin_headers).json()
    assert body["download_dir"] == str(settings.library_dir.resolve())
    assert body["max_concurrent_downloads"] == settings.max_concurrent_downloads
    assert body["retry_attempts"] == settings.jobs.max_attempts
    assert (body["default_priority"], body["default_quality"]) == ("normal", "best")
    assert set(body["auto_cleanup"]) == {"enabled", "max_age_days", "max_per_source"}
    assert set(body["log_retention"]) == {"max_file_bytes", "backup_count", "max_age_days"}
    assert body["allow_private_networks"] is True
    assert body["read_only"] == ["download_dir"] and body["overridden"] == []


def test_a_change_takes_effect_at_once_and_is_recorded(client: TestClient,
                                                      admin_headers: dict[str, str],
                                                      context: AppContext,
                                                      database: Database) -> None:
    answer = client.patch(API, headers=admin_headers, json={
        "max_concurrent_downloads": 7, "retry_attempts": 9, "default_quality": "720",
        "storage_reserve_bytes": 4096, "auto_cleanup": {"max_age_days": 30},
        "log_retention": {"backup_count": 3}, "cors_origins": ["https://Media.Example.org/"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["auto_cleanup"] == {"enabled": False, "max_age_days": 30, "max_per_source": 0}
    assert body["cors_origins"] == ["https://media.example.org"]
    assert set(body["overridden"]) == {
        "max_concurrent_downloads", "retry_attempts", "default_quality",
        "storage_reserve_bytes", "auto_cleanup.max_age_days", "log_retention.backup_count",
        "cors_origins"}
    live = context.settings
    assert (live.max_concurrent_downloads, live.jobs.max_attempts) == (7, 9)
    assert (live.downloads.default_quality, live.storage.reserve_bytes) == ("720", 4096)
    assert (live.storage.cleanup_max_age_days, live.logs.backup_count) == (30, 3)
    with database.read() as session:
        stored = dict(session.execute(select(RuntimeSetting.key, RuntimeSetting.value)).all())
        entry = session.scalars(select(ActivityEntry).where(
            ActivityEntry.action == "settings_changed")).one()
    assert stored["jobs.max_attempts"] == 9 and stored["storage.cleanup_max_age_days"] == 30
    assert entry.username == "admin" and entry.details["changes"]["retry_attempts"] == 9


def test_null_returns_a_setting_to_its_start_up_value(client: TestClient,
                                                     admin_headers: dict[str, str],
                                                     context: AppContext) -> None:
    started_with = context.settings.max_concurrent_downloads
    client.patch(API, json={"max_concurrent_downloads": 9, "auto_cleanup": {"enabled": True}},
                 headers=admin_headers)
    assert context.settings.max_concurrent_downloads == 9
    body = client.patch(API, json={"max_concurrent_downloads": None, "auto_cleanup": None},
                        headers=admin_headers).json()
    assert body["max_concurrent_downloads"] == started_with
    assert context.settings.max_concurrent_downloads == started_with
    assert context.settings.storage.cleanup_enabled is False
    assert body["overridden"] == []


@pytest.mark.parametrize(("body", "field"), [
    ({"max_concurrent_downloads": 0}, "max_concurrent_downloads"),
    ({"max_concurrent_downloads": 65}, "max_concurrent_downloads"),
    ({"retry_attempts": 0}, "retry_attempts"),
    ({"default_quality": "999"}, "default_quality"),
    ({"default_priority": "urgent"}, "default_priority"),
    ({"storage_limit_bytes": -1}, "storage_limit_bytes"),
    ({"auto_cleanup": {"max_age_days": -3}}, "auto_cleanup.max_age_days"),
    ({"log_retention": {"max_file_bytes": 10}}, "log_retention.max_file_bytes"),
    ({"cors_origins": ["*"]}, "cors_origins"),
    ({"cors_origins": ["https://a.example/path"]}, "cors_origins"),
    ({"download_dir": "/tmp/elsewhere"}, "download_dir"),
    ({"allow_private_networks": "perhaps"}, "allow_private_networks"),
    ({"unknown_setting": 1}, "unknown_setting"),
    ({"auto_cleanup": {"sometimes": True}}, "auto_cleanup.sometimes"),
])
def test_invalid_values_are_422_naming_the_field(client: TestClient,
                                                 admin_headers: dict[str, str],
                                                 context: AppContext, body: dict,
                                                 field: str) -> None:
    before = context.settings.model_dump()
    answer = client.patch(API, json=body, headers=admin_headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "InvalidPayload"
    assert answer.json()["detail"].startswith(field)
    assert context.settings.model_dump() == before


def test_one_bad_value_stores_none_of_the_others(client: TestClient,
                                                 admin_headers: dict[str, str],
                                                 database: Database) -> None:
    answer = client.patch(API, json={"max_concurrent_downloads": 4, "retry_attempts": 0},
                          headers=admin_headers)
    assert answer.status_code == 422
    with database.read() as session:
        assert session.scalars(select(RuntimeSetting)).all() == []


def test_another_process_picks_the_change_up(client: TestClient,
                                             admin_headers: dict[str, str], database: Database,
                                             settings: Settings) -> None:
    client.patch(API, json={"max_concurrent_downloads": 6, "allow_private_networks": False},
                 headers=admin_headers)
    # Another server process: its own Settings object, refreshed from the database.
    other = Settings(data_dir=settings.data_dir, max_concurrent_downloads=2,
                     allow_private_networks=True)
    tracker = OverrideTracker()
    changed = tracker.refresh(database, other)
    assert set(changed) == {"max_concurrent_downloads", "allow_private_networks"}
    assert (other.max_concurrent_downloads, other.allow_private_networks) == (6, False)
    assert tracker.refresh(database, other) == []  # nothing new
    # A job process starts from the start-up values and reads the stored ones once.
    job_process = Settings(data_dir=settings.data_dir, max_concurrent_downloads=2)
    apply_stored_overrides(database, job_process)
    assert job_process.max_concurrent_downloads == 6


def test_a_stored_value_that_no_longer_passes_is_ignored(database: Database,
                                                         settings: Settings) -> None:
    with database.session() as session:
        session.add(RuntimeSetting(key="jobs.max_attempts", value=500))
        session.add(RuntimeSetting(key="max_concurrent_downloads", value=4))
    tracker = OverrideTracker()
    tracker.refresh(database, settings)
    assert settings.jobs.max_attempts == 3
    assert settings.max_concurrent_downloads == 4


def test_preferences_are_per_user(client: TestClient, user_headers: dict[str, str],
                                  admin_headers: dict[str, str]) -> None:
    mine = client.get(f"{API}/me", headers=user_headers).json()
    assert mine["default_quality"] is None and mine["browser_notifications"] is True
    changed = client.patch(f"{API}/me", json={"default_quality": "audio",
                                              "browser_events": ["download_failed"]},
                           headers=user_headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["default_quality"] == "audio"
    assert client.get(f"{API}/me", headers=user_headers).json()["browser_events"] == [
        "download_failed"]
    assert client.get(f"{API}/me", headers=admin_headers).json()["default_quality"] is None
    reset = client.patch(f"{API}/me", json={"default_quality": None,
                                            "browser_notifications": None},
                         headers=user_headers).json()
    assert reset["default_quality"] is None and reset["browser_notifications"] is True
    for bad in ({"default_quality": "8k"}, {"browser_events": ["everything"]}, {"x": 1}):
        assert client.patch(f"{API}/me", json=bad, headers=user_headers).status_code == 422
