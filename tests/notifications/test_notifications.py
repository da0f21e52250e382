"""Notification channels, end to end: saved sealed, filtered by event, delivered from the
outbox to a local SMTP server and a local webhook, retried, coalesced, tested on demand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models.library_ops import NotificationDelivery, NotificationEvent
from mediadl.db.session import Database
from mediadl.notifications.delivery import deliver_due
from mediadl.notifications.events import Notice, record_notice
from mediadl.notifications.outcomes import collect_outcomes, collect_rate_limits
from tests.notifications.conftest import Mailbox, Webhook
from tests.stats.support import add_job

API = "/api/v1/notifications"


@pytest.fixture
def alice(make_user) -> int:  # type: ignore[no-untyped-def]
    return make_user("alice")


@pytest.fixture
def headers(alice: int, login) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return login("alice")


def _channel(client: TestClient, headers: dict[str, str], url: str, **body: object) -> dict:  # type: ignore[type-arg]
    answer = client.post(API, json={"name": "mine", "url": url} | body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _notice(owner: int | None, event: str = "download_completed", key: str = "k1") -> Notice:
    return Notice(event=event, owner_id=owner, level="success", title="Download finished",
                  message="A clip", key=key)


def test_channels_are_stored_sealed_and_shown_masked(client: TestClient,
                                                     headers: dict[str, str],
                                                     database: Database) -> None:
    secret_url = "json://user:hunter2-secret@127.0.0.1:9/hook"
    channel = _channel(client, headers, secret_url, events=["download_failed"])
    assert "hunter2" not in channel["url_preview"] and channel["url_preview"].startswith("json://")
    assert channel["events"] == ["download_failed"] and channel["enabled"] is True
    with database.read() as session:
        stored = session.execute(text("SELECT sealed_url FROM notification_channels")).scalar()
    assert stored and "hunter2" not in stored and stored.startswith("v1.")
    assert client.get(API, headers=headers).json() == [channel]


def test_channels_belong_to_their_user(client: TestClient, headers: dict[str, str],
                                       make_user, login) -> None:  # type: ignore[no-untyped-def]
    channel = _channel(client, headers, "json://127.0.0.1:9/hook")
    make_user("bob")
    bob = login("bob")
    assert client.get(API, headers=bob).json() == []
    for method, path in (("patch", f"{API}/{channel['id']}"), ("delete", f"{API}/{channel['id']}"),
                         ("post", f"{API}/{channel['id']}/test")):
        kwargs = {"json": {"enabled": False}} if method == "patch" else {}
        assert getattr(client, method)(path, headers=bob, **kwargs).status_code == 404


def test_bad_channels_are_422(client: TestClient, headers: dict[str, str]) -> None:
    for body in ({"name": "x", "url": "nonsense://what"}, {"name": "x", "url": "json://h/",
                                                           "events": ["everything"]},
                 {"name": "", "url": "json://h/"}, {"name": "x", "url": "json://h/", "y": 1}):
        answer = client.post(API, json=body, headers=headers)
        assert answer.status_code == 422, body
        assert answer.json()["error"] == "InvalidPayload"


def test_private_targets_are_refused_unless_allowed(client: TestClient,
                                                    headers: dict[str, str],
                                                    settings: Settings) -> None:
    settings.allow_private_networks = False
    for url in ("json://127.0.0.1:8080/hook", "json://localhost/hook",
                "mailto://10.0.0.5:25?from=a@example.com&to=b@example.com"):
        answer = client.post(API, json={"name": "x", "url": url}, headers=headers)
        assert answer.status_code == 422, url
        assert "private" in answer.json()["detail"]
    assert client.post(API, json={"name": "x", "url": "json://hooks.example.org/x"},
                       headers=headers).status_code == 201


def test_an_event_reaches_email_and_webhook(client: TestClient, headers: dict[str, str],
                                            database: Database, settings: Settings,
                                            alice: int, smtp: Mailbox,
                                            webhook: Webhook) -> None:
    _channel(client, headers, smtp.url(), events=["download_completed"], name="mail")
    _channel(client, headers, webhook.url(), events=["download_completed", "download_failed"],
             name="hook")
    _channel(client, headers, webhook.url("muted"), events=["download_failed"], name="muted")
    with database.session() as session:
        assert record_notice(session, _notice(alice)) is not None
        assert record_notice(session, _notice(alice)) is None  # the same happening, once
    assert deliver_due(database, settings) == 2
    assert [message.rcpt_tos for message in smtp.messages] == [["alice@example.com"]]
    assert "Download finished" in smtp.messages[0].content.decode()
    assert [body["title"] for body in webhook.received] == ["mediadl: Download finished"]
    assert webhook.received[0]["message"] == "A clip"
    assert deliver_due(database, settings) == 0  # nothing left to send
    listed = {item["name"]: item for item in client.get(API, headers=headers).json()}
    assert listed["mail"]["last_sent_at"] and listed["hook"]["last_sent_at"]
    assert listed["muted"]["last_sent_at"] is None


def test_failed_sends_are_retried_then_given_up(client: TestClient, headers: dict[str, str],
                                                database: Database, settings: Settings,
                                                alice: int, webhook: Webhook) -> None:
    _channel(client, headers, webhook.url())
    webhook.statuses = [500, 503]
    with database.session() as session:
        record_notice(session, _notice(alice))
    assert deliver_due(database, settings) == 0
    assert deliver_due(database, settings) == 0
    assert deliver_due(database, settings) == 1
    assert len(webhook.received) == 1
    with database.read() as session:
        delivery = session.scalars(select(NotificationDelivery)).one()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    settings.notifications.max_attempts = 1
    webhook.statuses = [500]
    with database.session() as session:
        record_notice(session, _notice(alice, key="k2"))
    deliver_due(database, settings)
    with database.read() as session:
        failed = session.scalars(select(NotificationDelivery)
                                 .where(NotificationDelivery.status == "failed")).one()
    assert failed.last_error


def test_a_crashed_sender_leaves_deliveries_to_be_taken_again(
        client: TestClient, headers: dict[str, str], database: Database, settings: Settings,
        alice: int, webhook: Webhook) -> None:
    _channel(client, headers, webhook.url())
    with database.session() as session:
        record_notice(session, _notice(alice))
        delivery = session.scalars(select(NotificationDelivery)).one()
        # Claimed by a process that died before it could record the result.
        delivery.status, delivery.lease_until = "sending", utcnow() - timedelta(seconds=1)
    assert deliver_due(database, settings) == 1
    assert len(webhook.received) == 1


def test_waiting_notifications_are_sent_as_one_message(client: TestClient,
                                                       headers: dict[str, str],
                                                       database: Database, settings: Settings,
                                                       alice: int, webhook: Webhook) -> None:
    _channel(client, headers, webhook.url())
    with database.session() as session:
        for number in range(3):
            record_notice(session, Notice("download_completed", alice, "success",
                                          "Download finished", f"Clip {number}", f"k{number}"))
    assert deliver_due(database, settings) == 1
    (message,) = webhook.received
    assert message["title"] == "mediadl: 3 notifications"
    assert all(f"Clip {number}" in message["message"] for number in range(3))


def test_disk_low_goes_to_admins(client: TestClient, database: Database, settings: Settings,
                                 make_user, login, webhook: Webhook) -> None:  # type: ignore[no-untyped-def]
    make_user("root", role="admin")
    make_user("carol")
    _channel(client, login("root"), webhook.url("admin"), events=["disk_low"])
    _channel(client, login("carol"), webhook.url("user"), events=["disk_low"])
    with database.session() as session:
        record_notice(session, Notice("disk_low", None, "warning", "Disk space low", "x", "d1"))
    deliver_due(database, settings)
    assert [body["title"] for body in webhook.received] == ["mediadl: Disk space low"]


def test_job_outcomes_become_events_once(database: Database, alice: int) -> None:
    now = utcnow()
    done = add_job(database, alice, status="completed", title="Good one", finished_at=now,
                   started_at=now - timedelta(seconds=30), total_bytes=1234)
    add_job(database, alice, status="failed", error="HTTP Error 404", finished_at=now)
    add_job(database, alice, status="completed", kind="playlist", finished_at=now)
    add_job(database, alice, status="completed", finished_at=now - timedelta(days=3))
    add_job(database, alice, status="queued", error="HTTP Error 429: Too Many Requests",
            platform="tiktok")
    with database.session() as session:
        outcomes = collect_outcomes(session, now)
        assert collect_rate_limits(session, now) == 1
    assert sorted(outcome.status for outcome in outcomes) == ["completed", "failed"]
    good = next(outcome for outcome in outcomes if outcome.job_id == done.id)
    assert (good.seconds, good.bytes) == (30.0, 1234)
    with database.session() as session:
        assert collect_outcomes(session, now) == []  # another process finds nothing new
        assert collect_rate_limits(session, now) == 0
        events = sorted(session.scalars(select(NotificationEvent.event)))
    assert events == ["download_completed", "download_failed", "platform_rate_limited"]


def test_test_endpoint_sends_now_and_reports(client: TestClient, headers: dict[str, str],
                                             smtp: Mailbox) -> None:
    channel = _channel(client, headers, smtp.url(), enabled=False)
    answer = client.post(f"{API}/{channel['id']}/test", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"delivered": True, "detail": "Sent."}
    assert len(smtp.messages) == 1 and "test notification" in smtp.messages[0].content.decode()
    broken = client.patch(f"{API}/{channel['id']}", json={"url": "json://127.0.0.1:9/none"},
                          headers=headers)
    assert broken.status_code == 200
    failed = client.post(f"{API}/{channel['id']}/test", headers=headers).json()
    assert failed["delivered"] is False and failed["detail"]
    assert client.get(API, headers=headers).json()[0]["last_error"] == failed["detail"]


def test_the_guard_stops_a_private_target_when_sending(client: TestClient,
                                                       headers: dict[str, str],
                                                       settings: Settings,
                                                       webhook: Webhook) -> None:
    channel = _channel(client, headers, webhook.url())  # allowed when it was saved
    settings.allow_private_networks = False
    result = client.post(f"{API}/{channel['id']}/test", headers=headers).json()
    assert result["delivered"] is False
    assert "private" in result["detail"] and webhook.received == []


def test_deleting_a_channel_drops_its_outbox(client: TestClient, headers: dict[str, str],
                                             database: Database, alice: int) -> None:
    channel = _channel(client, headers, "json://127.0.0.1:9/x")
    with database.session() as session:
        record_notice(session, _notice(alice))
    assert client.delete(f"{API}/{channel['id']}", headers=headers).status_code == 204
    with database.read() as session:
        assert session.scalars(select(NotificationDelivery)).all() == []
