"""/api/v1/stats/*: every figure checked against a small hand-made dataset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.session import Database
from tests.stats.support import add_download, add_job, at, cheap

API = "/api/v1/stats"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return cheap(settings)


@pytest.fixture
def people(make_user, login) -> dict:  # type: ignore[no-untyped-def]
    ids = {"alice": make_user("alice"), "bob": make_user("bob"),
           "admin": make_user("admin", role="admin")}
    return {"ids": ids, "alice": login("alice"), "bob": login("bob"), "admin": login("admin")}


@pytest.fixture
def dataset(database: Database, people: dict) -> dict:  # type: ignore[type-arg]
    """alice: 4 downloads (today, 3, 10 and 40 days ago); bob: 1 today. Jobs: alice 3
    completed, 1 failed, 2 queued; bob 1 failed."""
    alice, bob = people["ids"]["alice"], people["ids"]["bob"]
    now = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    rows = [(alice, 0, 100, "youtube", "video", "cooking"),
            (alice, 3, 200, "youtube", "video", "cooking"),
            (alice, 10, 400, "instagram", "image", "travelgram"),
            (alice, 40, 800, "youtube", "audio", None),
            (bob, 0, 1600, "tiktok", "video", "dancer")]
    for owner, days_ago, size, platform, kind, source in rows:
        add_download(database, None, owner, size=size, platform=platform, kind=kind,
                     source=source, created_at=now - timedelta(days=days_ago))
    for status in ("completed", "completed", "completed", "failed", "queued", "queued"):
        add_job(database, alice, status=status, platform="youtube",
                finished_at=now if status in ("completed", "failed") else None)
    add_job(database, bob, status="failed", platform="tiktok", finished_at=now)
    return {"now": now}


def test_stats_need_a_login(client: TestClient) -> None:
    for name in ("overview", "timeline", "platforms", "sources", "storage"):
        assert client.get(f"{API}/{name}").status_code == 401


def test_overview_of_a_user(client: TestClient, people: dict, dataset: dict) -> None:
    body = client.get(f"{API}/overview", headers=people["alice"]).json()
    downloads = body["downloads"]
    assert downloads["today"] == {"downloads": 1, "bytes": 100}
    assert downloads["week"] == {"downloads": 2, "bytes": 300}
    assert downloads["month"] == {"downloads": 3, "bytes": 700}
    assert downloads["total"] == {"downloads": 4, "bytes": 1500}
    assert body["queue"] == {"queued": 2, "paused": 0, "running": 0, "completed": 3,
                             "failed": 1, "canceled": 0}
    assert body["success_rate"] == 0.75
    assert body["storage"]["used_bytes"] == 1500
    assert body["storage"]["disk_free_bytes"] > 0 and body["storage"]["low"] is False
    assert body["next_scheduled_run"] is None


def test_overview_of_an_admin_covers_everyone_or_one_user(client: TestClient, people: dict,
                                                          dataset: dict) -> None:
    everyone = client.get(f"{API}/overview", headers=people["admin"]).json()
    assert everyone["downloads"]["today"] == {"downloads": 2, "bytes": 1700}
    assert everyone["downloads"]["total"]["downloads"] == 5
    assert everyone["queue"]["failed"] == 2
    assert everyone["success_rate"] == 0.6
    bob = people["ids"]["bob"]
    only_bob = client.get(f"{API}/overview", params={"user_id": bob},
                          headers=people["admin"]).json()
    assert only_bob["downloads"]["total"] == {"downloads": 1, "bytes": 1600}
    # A user cannot look at someone else's figures.
    mine = client.get(f"{API}/overview", params={"user_id": bob},
                      headers=people["alice"]).json()
    assert mine["downloads"]["total"]["downloads"] == 4


def test_timeline_per_day_is_complete_and_split_by_platform(client: TestClient, people: dict,
                                                            dataset: dict) -> None:
    today = dataset["now"].date()
    body = client.get(f"{API}/timeline", params={"days": 11, "date_to": today.isoformat()},
                      headers=people["alice"]).json()
    assert body["interval"] == "day" and len(body["items"]) == 11
    by_day = {item["period"]: item for item in body["items"]}
    assert by_day[today.isoformat()]["downloads"] == 1
    assert by_day[today.isoformat()]["failed_jobs"] == 1
    three = by_day[(today - timedelta(days=3)).isoformat()]
    assert (three["downloads"], three["bytes"], three["platforms"]) == (1, 200, {"youtube": 1})
    ten = by_day[(today - timedelta(days=10)).isoformat()]
    assert ten["platforms"] == {"instagram": 1}
    quiet = by_day[(today - timedelta(days=1)).isoformat()]
    assert (quiet["downloads"], quiet["bytes"], quiet["platforms"]) == (0, 0, {})


def test_timeline_per_week_starts_on_monday(client: TestClient, people: dict,
                                            database: Database) -> None:
    alice = people["ids"]["alice"]
    for day in ("2026-03-02", "2026-03-08", "2026-03-09"):  # Monday, Sunday, next Monday
        add_download(database, None, alice, size=10, created_at=at(f"{day}T08:00:00"))
    body = client.get(f"{API}/timeline", params={"interval": "week", "days": 14,
                                                 "date_to": "2026-03-15"},
                      headers=people["alice"]).json()
    assert [(item["period"], item["downloads"]) for item in body["items"]] == [
        ("2026-03-02", 2), ("2026-03-09", 1)]


def test_platforms_combine_library_and_jobs(client: TestClient, people: dict,
                                            dataset: dict) -> None:
    body = client.get(f"{API}/platforms", headers=people["admin"]).json()
    by_name = {item["platform"]: item for item in body}
    youtube = by_name["youtube"]
    assert (youtube["downloads"], youtube["bytes"]) == (3, 1100)
    assert youtube["jobs"] == {"completed": 3, "failed": 1, "active": 2}
    assert youtube["success_rate"] == 0.75
    assert by_name["tiktok"]["success_rate"] == 0.0
    assert next(item["platform"] for item in body) == "youtube"  # most downloads first


def test_top_sources(client: TestClient, people: dict, dataset: dict) -> None:
    body = client.get(f"{API}/sources", headers=people["alice"]).json()
    assert body[0] == {"platform": "youtube", "source": "cooking", "downloads": 2,
                       "bytes": 300, "last_download_at": body[0]["last_download_at"]}
    assert {item["source"] for item in body} == {"cooking", "travelgram", None}
    limited = client.get(f"{API}/sources", params={"limit": 1, "platform": "instagram"},
                         headers=people["alice"]).json()
    assert [item["source"] for item in limited] == ["travelgram"]


def test_storage_per_platform_kind_and_user(client: TestClient, people: dict, dataset: dict,
                                            settings: Settings) -> None:
    body = client.get(f"{API}/storage", headers=people["admin"]).json()
    assert body["library_bytes"] == 3100
    assert {item["name"]: item["bytes"] for item in body["by_platform"]} == {
        "tiktok": 1600, "youtube": 1100, "instagram": 400}
    assert {item["name"]: item["downloads"] for item in body["by_kind"]} == {
        "video": 3, "image": 1, "audio": 1}
    users = {item["username"]: item["bytes"] for item in body["by_user"]}
    assert users == {"bob": 1600, "alice": 1500, "admin": 0}
    assert body["disk"]["free_bytes"] > 0
    mine = client.get(f"{API}/storage", headers=people["alice"]).json()
    assert [item["username"] for item in mine["by_user"]] == ["alice"]


def test_bad_parameters_are_422(client: TestClient, people: dict) -> None:
    for params in ({"interval": "month"}, {"days": 0}, {"date_to": "yesterday"}):
        answer = client.get(f"{API}/timeline", params=params, headers=people["alice"])
        assert answer.status_code == 422, params
        assert answer.json()["error"] == "InvalidPayload"
    assert client.get(f"{API}/sources", params={"limit": 0},
                      headers=people["alice"]).status_code == 422


def test_next_scheduled_run_is_the_earliest_enabled_schedule(client: TestClient,
                                                             people: dict,
                                                             database: Database) -> None:
    from mediadl.db.models.schedules import Schedule

    alice, bob = people["ids"]["alice"], people["ids"]["bob"]
    with database.session() as session:
        for owner, hour, enabled in ((alice, 9, True), (alice, 7, False), (bob, 6, True)):
            session.add(Schedule(owner_id=owner, name=f"s{hour}", url="https://x.test/feed",
                                 cron="daily", enabled=enabled,
                                 next_run_at=at(f"2026-12-01T0{hour}:00:00")))
    mine = client.get(f"{API}/overview", headers=people["alice"]).json()
    assert mine["next_scheduled_run"] == "2026-12-01T09:00:00Z"
    everyone = client.get(f"{API}/overview", headers=people["admin"]).json()
    assert everyone["next_scheduled_run"] == "2026-12-01T06:00:00Z"


def test_a_user_id_beyond_any_row_is_refused_not_a_crash(client: TestClient,
                                                         people: dict) -> None:
    huge = str(2**63)  # wider than a database integer: found by Schemathesis
    for path in ("/timeline", "/overview"):
        answer = client.get(f"{API}{path}", params={"user_id": huge}, headers=people["admin"])
        assert answer.status_code == 422, path
