"""The auto-cleanup policy: a dry run lists what would go; a run deletes it (oldest first),
keeping files another download still uses; the background loop runs only when switched on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from mediadl.app_context import AppContext
from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import Download
from mediadl.db.session import Database
from mediadl.monitoring.background import auto_cleanup
from tests.stats.support import add_download, cheap

API = "/api/v1/storage/cleanup"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return cheap(settings)


@pytest.fixture
def library(database: Database, settings: Settings, make_user) -> dict:  # type: ignore[no-untyped-def]
    """alice: 4 downloads of "news" (1, 2, 3 and 40 days old), 1 of "music" 50 days old
    whose file a newer download shares."""
    alice = make_user("alice")
    now = utcnow()
    rows = {f"news{age}": add_download(database, settings, alice, source="news",
                                       content=f"news {age}".encode(),
                                       filename=f"news/{age}.mp4",
                                       created_at=now - timedelta(days=age))
            for age in (1, 2, 3, 40)}
    rows["old_music"] = add_download(database, settings, alice, source="music",
                                     content=b"song", filename="music/song.mp3",
                                     created_at=now - timedelta(days=50))
    rows["shared"] = add_download(database, settings, alice, source="music", content=b"song",
                                  filename="music/song.mp3", created_at=now)
    return rows


def _ids(database: Database) -> set[int]:
    with database.read() as session:
        return set(session.scalars(select(Download.id)))


def _policy(client: TestClient, headers: dict[str, str], **values: object) -> None:
    answer = client.patch("/api/v1/settings", json={"auto_cleanup": values}, headers=headers)
    assert answer.status_code == 200, answer.text


def test_cleanup_is_for_admins(client: TestClient, user_headers: dict[str, str]) -> None:
    assert client.get(API, headers=user_headers).status_code == 403
    assert client.post(API, json={}, headers=user_headers).status_code == 403


def test_no_policy_deletes_nothing(client: TestClient, admin_headers: dict[str, str],
                                   library: dict) -> None:
    preview = client.get(API, headers=admin_headers).json()
    assert (preview["downloads"], preview["items"]) == (0, [])
    assert client.post(API, json={}, headers=admin_headers).json()["downloads"] == 0


def test_dry_run_then_run_by_age(client: TestClient, admin_headers: dict[str, str],
                                 library: dict, database: Database,
                                 settings: Settings) -> None:
    _policy(client, admin_headers, max_age_days=30)
    preview = client.get(API, headers=admin_headers).json()
    assert preview["policy"] == {"enabled": False, "max_age_days": 30, "max_per_source": 0}
    assert [item["id"] for item in preview["items"]] == [library["old_music"].id,
                                                         library["news40"].id]
    assert preview["bytes"] == len(b"song") + len(b"news 40")
    dry = client.post(API, json={"dry_run": True}, headers=admin_headers).json()
    assert (dry["dry_run"], dry["downloads"]) == (True, 2)
    assert len(_ids(database)) == 6  # a dry run deletes nothing
    done = client.post(API, json={}, headers=admin_headers).json()
    assert (done["dry_run"], done["downloads"]) == (False, 2)
    assert _ids(database) == {row.id for name, row in library.items()
                              if name not in ("old_music", "news40")}
    assert not (settings.library_dir / "news/40.mp4").exists()
    assert (settings.library_dir / "music/song.mp3").exists()  # the newer row still uses it


def test_keep_the_newest_per_source(client: TestClient, admin_headers: dict[str, str],
                                    library: dict, database: Database) -> None:
    _policy(client, admin_headers, max_per_source=2)
    preview = client.get(API, headers=admin_headers).json()
    assert [item["id"] for item in preview["items"]] == [library["news40"].id,
                                                         library["news3"].id]
    client.post(API, json={}, headers=admin_headers)
    assert library["news40"].id not in _ids(database)
    assert {library["news1"].id, library["news2"].id, library["shared"].id,
            library["old_music"].id} <= _ids(database)


def test_the_loop_runs_the_policy_only_when_enabled(context: AppContext, library: dict,
                                                    database: Database) -> None:
    context.settings.storage.cleanup_max_age_days = 30
    auto_cleanup(context)
    assert len(_ids(database)) == 6
    context.settings.storage.cleanup_enabled = True
    auto_cleanup(context)
    assert len(_ids(database)) == 4
