"""Who may open a socket: tickets, the /ws cookie, bearer tokens, origins, admins-only logs,
and sockets closed when their session ends."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from mediadl.core.clock import utcnow
from mediadl.db.models import WsTicket
from tests.realtime.conftest import (
    WAIT,
    bearer,
    close_code,
    new_ticket,
    open_socket,
    receive,
    send_ticket,
)

pytestmark = pytest.mark.timeout(120)
POLICY_VIOLATION = 1008


def test_a_ticket_opens_one_socket_once(live, account):
    token = account("alice")
    ticket = new_ticket(live.http, token)
    with send_ticket(live, ticket) as first:
        snapshot = receive(first)
        assert snapshot["type"] == "snapshot"
        assert snapshot["data"]["items"] == []
        assert snapshot["data"]["stats"]["queued"] == 0
        with send_ticket(live, ticket) as replay:
            assert close_code(replay) == POLICY_VIOLATION


def test_tickets_are_stored_hashed_and_answer_not_cacheable(live, account):
    answer = live.http.post("/api/v1/auth/ws-ticket", headers=bearer(account("alice")))
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["expires_in"] == live.context.settings.realtime.ticket_seconds
    with live.context.db.read() as session:
        stored = session.query(WsTicket.token_hash).scalar()
    assert stored and body["ticket"] not in stored


def test_a_ticket_needs_a_login(live):
    answer = live.http.post("/api/v1/auth/ws-ticket")
    assert answer.status_code == 401
    assert answer.json()["error"] == "NotAuthenticated"


@pytest.mark.parametrize("first_message", [
    json.dumps({"type": "auth", "ticket": "not-a-ticket"}),
    json.dumps({"type": "auth"}),
    json.dumps({"type": "auth", "ticket": "x", "extra": 1}),
    "not json",
    json.dumps({"type": "ping"}),
])
def test_bad_first_messages_are_refused(live, first_message):
    with connect(live.ws_url("downloads"), open_timeout=WAIT) as ws:
        ws.send(first_message)
        assert close_code(ws) == POLICY_VIOLATION


def test_silence_is_refused(live):
    with connect(live.ws_url("queue"), open_timeout=WAIT) as ws:
        assert close_code(ws) == POLICY_VIOLATION


def test_an_expired_ticket_is_refused(live, account):
    ticket = new_ticket(live.http, account("alice"))
    with live.context.db.session() as session:
        session.execute(update(WsTicket).values(expires_at=utcnow() - timedelta(seconds=1)))
    with send_ticket(live, ticket) as ws:
        assert close_code(ws) == POLICY_VIOLATION


def test_a_ticket_dies_with_a_logout(live, account):
    token = account("alice")
    ticket = new_ticket(live.http, token)
    assert live.http.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    with send_ticket(live, ticket) as ws:
        assert close_code(ws) == POLICY_VIOLATION


def test_the_ws_cookie_authenticates_without_a_message(live, account):
    answer = live.http.post("/api/v1/auth/ws-ticket", headers=bearer(account("alice")))
    cookie = answer.headers["set-cookie"]
    assert "Path=/ws" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    value = answer.cookies["mediadl_ws"]
    with connect(live.ws_url("downloads"), open_timeout=WAIT,
                 additional_headers={"Cookie": f"mediadl_ws={value}"}) as ws:
        assert receive(ws)["type"] == "snapshot"
    # Several sockets may share it while it lives; a forged one opens none.
    with connect(live.ws_url("queue"), open_timeout=WAIT,
                 additional_headers={"Cookie": f"mediadl_ws={value}"}) as ws:
        assert receive(ws)["type"] == "snapshot"
    with connect(live.ws_url("queue"), open_timeout=WAIT,
                 additional_headers={"Cookie": f"mediadl_ws={value[:-4]}AAAA"}) as ws:
        assert close_code(ws) == POLICY_VIOLATION


def test_an_access_token_in_the_handshake_works_for_scripts(live, account):
    with connect(live.ws_url("downloads"), open_timeout=WAIT,
                 additional_headers=bearer(account("alice"))) as ws:
        assert receive(ws)["type"] == "snapshot"


def test_cross_origin_sockets_are_refused(live, account):
    token = account("alice")
    with pytest.raises(InvalidStatus) as refused:
        connect(live.ws_url("downloads"), open_timeout=WAIT, origin="http://evil.example")
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        # Same host, other port: another origin.
        connect(live.ws_url("downloads"), open_timeout=WAIT, origin="http://127.0.0.1:1")
    with open_socket(live, token, origin=f"http://127.0.0.1:{live.port}") as ws:
        assert receive(ws)["type"] == "snapshot"


def test_configured_origins_are_allowed(live, account):
    live.context.settings.cors_origins = ["https://media.example.org"]
    with open_socket(live, account("alice"), origin="https://media.example.org") as ws:
        assert receive(ws)["type"] == "snapshot"


def test_logs_are_for_admins_only(live, account):
    with open_socket(live, account("alice"), "logs") as ws:
        assert close_code(ws) == POLICY_VIOLATION
    with open_socket(live, account("root", role="admin"), "logs") as ws:
        assert receive(ws)["type"] == "snapshot"


def test_logout_closes_open_sockets(live, account):
    token = account("alice")
    with open_socket(live, token) as ws:
        assert receive(ws)["type"] == "snapshot"
        assert live.http.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
        assert close_code(ws) == POLICY_VIOLATION


def test_disabling_an_account_closes_its_sockets(live, account):
    admin = account("root", role="admin")
    token = account("alice")
    with open_socket(live, token, "queue") as ws, open_socket(live, admin, "queue") as other:
        assert receive(ws)["type"] == "snapshot"
        assert receive(other)["type"] == "snapshot"
        users = live.http.get("/api/v1/users", headers=bearer(admin)).json()
        alice = next(user for user in users if user["username"] == "alice")
        answer = live.http.patch(f"/api/v1/users/{alice['id']}", json={"is_active": False},
                                 headers=bearer(admin))
        assert answer.status_code == 200, answer.text
        assert close_code(ws) == POLICY_VIOLATION
        other.send(json.dumps({"type": "ping"}))
        assert receive(other)["type"] == "pong"  # the admin's socket stays open


def test_one_account_holds_a_bounded_number_of_sockets(live, account):
    live.context.settings.realtime.max_sockets_per_user = 2
    token = account("alice")
    with open_socket(live, token) as one, open_socket(live, token) as two:
        assert receive(one)["type"] == receive(two)["type"] == "snapshot"
        with open_socket(live, token) as three:
            assert close_code(three) == 1013
