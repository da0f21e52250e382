"""A browser opens its socket on the /ws cookie and sends its ticket anyway (it cannot see
the HttpOnly cookie); that ticket must be spent, not left to pile up until the user's cap
on open tickets refuses new ones."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from websockets.sync.client import connect

from mediadl.db.models import WsTicket
from tests.realtime.conftest import WAIT, bearer, receive

pytestmark = pytest.mark.timeout(120)


def _open_tickets(live) -> int:
    with live.context.db.read() as session:
        return session.scalar(select(func.count()).select_from(WsTicket))


def _connect_like_a_browser(live, token: str) -> None:
    answer = live.http.post("/api/v1/auth/ws-ticket", headers=bearer(token))
    ticket, cookie = answer.json()["ticket"], answer.cookies["mediadl_ws"]
    with connect(live.ws_url("downloads"), open_timeout=WAIT,
                 additional_headers={"Cookie": f"mediadl_ws={cookie}"}) as ws:
        assert receive(ws)["type"] == "snapshot"
        ws.send(json.dumps({"type": "auth", "ticket": ticket}))
        ws.send(json.dumps({"type": "ping"}))  # answered after the ticket was handled
        while receive(ws)["type"] != "pong":
            pass


def test_a_ticket_sent_over_a_cookie_socket_is_spent(live, account):
    token = account("alice")
    _connect_like_a_browser(live, token)
    assert _open_tickets(live) == 0


def test_reconnecting_browsers_never_hit_the_ticket_cap(live, account):
    token = account("alice")
    for _ in range(30):  # more than the 20 open tickets one user may hold
        _connect_like_a_browser(live, token)
    assert _open_tickets(live) == 0
