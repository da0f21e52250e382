"""A socket opened with an API token lives no longer than the token: deleting the token,
or its expiry, closes the socket (1008) at the next session check."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update
from websockets.sync.client import connect

from mediadl.core.clock import utcnow
from mediadl.db.models.security import ApiToken
from tests.realtime.conftest import WAIT, bearer, close_code, receive

pytestmark = pytest.mark.timeout(120)
POLICY_VIOLATION = 1008


def _api_token(live, access_token: str, name: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    answer = live.http.post("/api/v1/auth/tokens", json={"name": name},
                            headers=bearer(access_token))
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], answer.json()["token"]


def test_deleting_an_api_token_closes_the_sockets_opened_with_it(live, account):
    access = account("alice")
    doomed_id, doomed = _api_token(live, access, "doomed")
    _, kept = _api_token(live, access, "kept")
    with connect(live.ws_url("queue"), open_timeout=WAIT,
                 additional_headers=bearer(doomed)) as ws, \
            connect(live.ws_url("queue"), open_timeout=WAIT,
                    additional_headers=bearer(kept)) as other:
        assert receive(ws)["type"] == "snapshot"
        assert receive(other)["type"] == "snapshot"
        deleted = live.http.delete(f"/api/v1/auth/tokens/{doomed_id}", headers=bearer(access))
        assert deleted.status_code == 204, deleted.text
        assert close_code(ws) == POLICY_VIOLATION
        other.send(json.dumps({"type": "ping"}))
        assert receive(other)["type"] == "pong"  # the other token's socket stays open


def test_a_socket_does_not_outlive_its_api_tokens_expiry(live, account):
    token_id, token = _api_token(live, account("alice"), "short-lived")
    with connect(live.ws_url("downloads"), open_timeout=WAIT,
                 additional_headers=bearer(token)) as ws:
        assert receive(ws)["type"] == "snapshot"
        with live.context.db.session() as session:
            session.execute(update(ApiToken).where(ApiToken.id == token_id)
                            .values(expires_at=utcnow() - timedelta(seconds=1)))
        assert close_code(ws) == POLICY_VIOLATION
