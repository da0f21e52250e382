"""/api/v1/scheduler over HTTP: the contract's fields, readable 422s, per-user ownership
(someone else's schedule is a 404), run now (202) and the history."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from mediadl.db.models.schedules import Schedule
from mediadl.schedules.claims import start_run

BASE = "/api/v1/scheduler"
PLAYLIST = "https://fake.invalid/playlist/show?count=3"
CONTRACT_FIELDS = {"id", "name", "url", "platform", "content_types", "cron", "timezone",
                   "enabled", "max_items_per_run", "date_from", "date_to", "quality",
                   "options", "last_run_at", "next_run_at", "last_status"}
RUN_FIELDS = {"id", "schedule_id", "started_at", "finished_at", "status", "found", "new",
              "queued", "failed", "error"}


def create(client, headers, **fields):
    answer = client.post(f"{BASE}/jobs", json={"url": PLAYLIST, **fields}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def wait_for_run(client, headers, run_id: int, timeout: float = 60.0) -> dict:
    """Poll the history until the run ends (a bounded wait, not a speed check)."""
    deadline = time.monotonic() + timeout
    while True:
        items = client.get(f"{BASE}/history", headers=headers).json()["items"]
        run = next((item for item in items if item["id"] == run_id), None)
        if run is not None and run["status"] != "running":
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} did not end: {run}")
        time.sleep(0.1)


def test_creating_a_schedule_answers_the_contract(client, user_headers):
    created = create(client, user_headers, name="Show", cron="daily",
                     timezone="Europe/Berlin", max_items_per_run=5, date_from="2024-01-01",
                     quality="720", options={"subtitles": True})
    assert CONTRACT_FIELDS <= created.keys()
    assert created["platform"] == "fake" and created["cron_expression"] == "0 0 * * *"
    assert created["enabled"] is True and created["state"] == "active"
    assert created["next_run_at"].endswith(("22:00:00Z", "23:00:00Z"))  # Berlin midnight
    assert (created["last_run_at"], created["last_status"]) == (None, None)
    assert created["options"] == {"subtitles": True} and created["date_from"] == "2024-01-01"
    listed = client.get(f"{BASE}/jobs", headers=user_headers).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == created["id"]


@pytest.mark.parametrize(("body", "says"), [
    ({"cron": "61 * * * *"}, "cron: '61 * * * *' is not a valid cron expression: Bad minute"),
    ({"cron": "every day"}, "5 fields"),
    ({"timezone": "Mars/Base"}, "timezone: 'Mars/Base' is not a known IANA time zone"),
    ({"cron": "* * * * *"}, "schedules run at most every 5 minutes"),
    ({"date_from": "2024-02-01", "date_to": "2024-01-01"}, "date_from must not be after"),
    ({"content_types": ["stories"]}, "stories is not offered by fake"),
    ({"platform": "youtube"}, "this URL belongs to 'fake'"),
    ({"url": "ftp://example.org/feed"}, "only http and https"),
    ({"max_items_per_run": 0}, "max_items_per_run"),
    ({"interval": 5}, "interval: is not a known field"),
])
def test_bad_schedules_are_refused_with_a_readable_reason(client, user_headers, body, says):
    answer = client.post(f"{BASE}/jobs", json={"url": PLAYLIST, **body}, headers=user_headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "InvalidPayload"
    assert says in answer.json()["detail"]


def test_schedules_belong_to_their_owner(client, make_user, login, admin_headers):
    make_user("alice")
    make_user("bob")
    alice, bob = login("alice"), login("bob")
    mine = create(client, alice)["id"]
    for method, path in (("get", f"/jobs/{mine}"), ("patch", f"/jobs/{mine}"),
                         ("delete", f"/jobs/{mine}"), ("post", f"/jobs/{mine}/run"),
                         ("get", f"/history?job_id={mine}")):
        kwargs = {"json": {"name": "x"}} if method == "patch" else {}
        answer = getattr(client, method)(f"{BASE}{path}", headers=bob, **kwargs)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"] == "NotFound"
    assert client.get(f"{BASE}/jobs", headers=bob).json()["items"] == []
    everyone = client.get(f"{BASE}/jobs", headers=admin_headers).json()["items"]
    assert [item["id"] for item in everyone] == [mine]
    assert client.get(f"{BASE}/jobs", headers={}).status_code == 401


def test_patch_changes_only_what_is_sent(client, user_headers):
    created = create(client, user_headers, cron="hourly", max_items_per_run=3)
    answer = client.patch(f"{BASE}/jobs/{created['id']}", headers=user_headers,
                          json={"cron": "30 6 * * 1", "timezone": "America/New_York"})
    assert answer.status_code == 200, answer.text
    changed = answer.json()
    assert (changed["cron"], changed["max_items_per_run"]) == ("30 6 * * 1", 3)
    assert changed["next_run_at"].endswith(("10:30:00Z", "11:30:00Z"))
    off = client.patch(f"{BASE}/jobs/{created['id']}", headers=user_headers,
                       json={"enabled": False, "max_items_per_run": None}).json()
    assert (off["enabled"], off["state"], off["next_run_at"]) == (False, "disabled", None)
    assert off["max_items_per_run"] is None
    bad = client.patch(f"{BASE}/jobs/{created['id']}", headers=user_headers,
                       json={"timezone": "Nowhere/Land"})
    assert bad.status_code == 422


def test_run_now_answers_202_and_the_history_shows_the_outcome(client, user_headers):
    created = create(client, user_headers, max_items_per_run=2)
    answer = client.post(f"{BASE}/jobs/{created['id']}/run", headers=user_headers)
    assert answer.status_code == 202, answer.text
    started = answer.json()
    assert RUN_FIELDS <= started.keys() and started["trigger"] == "manual"

    finished = wait_for_run(client, user_headers, started["id"])

    assert (finished["status"], finished["found"], finished["new"], finished["queued"],
            finished["failed"]) == ("completed", 3, 3, 2, 0)
    assert finished["duration_s"] is not None and finished["error"] is None
    jobs = client.get("/api/v1/queue", headers=user_headers).json()["items"]
    assert sorted(job["url"].split("?")[0] for job in jobs) == [
        "https://fake.invalid/video/show-1", "https://fake.invalid/video/show-2"]
    assert {job["schedule_id"] for job in jobs} == {created["id"]}
    schedule = client.get(f"{BASE}/jobs/{created['id']}", headers=user_headers).json()
    assert schedule["last_status"] == "completed" and schedule["last_run_at"]
    only_this = client.get(f"{BASE}/history", params={"job_id": created["id"],
                                                      "status": "completed"},
                           headers=user_headers).json()
    assert only_this["total"] == 1


def test_run_now_while_a_run_is_going_on_is_a_conflict(client, user_headers, database):
    created = create(client, user_headers)
    with database.session() as session:
        schedule = session.scalars(select(Schedule)).one()
        start_run(session, schedule, "cron", None, schedule.created_at, "elsewhere")
    answer = client.post(f"{BASE}/jobs/{created['id']}/run", headers=user_headers)
    assert answer.status_code == 409 and "running already" in answer.json()["detail"]
    shown = client.get(f"{BASE}/jobs/{created['id']}", headers=user_headers).json()
    assert shown["state"] == "running"


def test_deleting_a_schedule_removes_it_and_its_history(client, user_headers):
    created = create(client, user_headers)
    run = client.post(f"{BASE}/jobs/{created['id']}/run", headers=user_headers).json()
    wait_for_run(client, user_headers, run["id"])
    assert client.delete(f"{BASE}/jobs/{created['id']}",
                         headers=user_headers).status_code == 204
    assert client.get(f"{BASE}/jobs/{created['id']}", headers=user_headers).status_code == 404
    assert client.get(f"{BASE}/history", headers=user_headers).json()["total"] == 0


def test_nulls_from_a_form_mean_the_defaults(client, user_headers):
    created = create(client, user_headers, quality=None, priority=None, options=None,
                     content_types=None, platform=None, name=None, max_items_per_run=None)
    assert (created["quality"], created["priority"], created["options"]) == (
        "best", "normal", {})
    assert created["content_types"] == [] and created["name"] == PLAYLIST
    narrowed = client.patch(f"{BASE}/jobs/{created['id']}", headers=user_headers,
                            json={"content_types": ["videos"]}).json()
    assert narrowed["content_types"] == ["videos"]
    cleared = client.patch(f"{BASE}/jobs/{created['id']}", headers=user_headers,
                           json={"content_types": None, "quality": None}).json()
    assert (cleared["content_types"], cleared["quality"]) == ([], "best")
