"""CORS follows the allowlist as it is changed at run time (no restart, never a reflected
Origin), and one cap on request bodies answers 413 in the API's error shape."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from mediadl.app_context import AppContext
from mediadl.core.settings import PlatformSettings, SecuritySettings, Settings
from mediadl.queue.schemas import MAX_BATCH
from mediadl.settings.overrides import OverrideTracker

Headers = dict[str, str]
SETTINGS = "/api/v1/settings"
TOOLS = "https://tools.example.org"
STRANGER = "https://stranger.example"
COOKIES = "/api/v1/settings/platforms/generic/cookies"


def _preflight(client: TestClient, origin: str, method: str = "POST",
               path: str = "/api/v1/queue", headers: str = "authorization, content-type"):
    return client.options(path, headers={"Origin": origin,
                                         "Access-Control-Request-Method": method,
                                         "Access-Control-Request-Headers": headers})


def _has_no_cors(answer) -> bool:
    return not any(name.lower().startswith("access-control-") for name in answer.headers)


def _set_origins(client: TestClient, admin_headers: Headers, origins: list[str]) -> None:
    answer = client.patch(SETTINGS, headers=admin_headers, json={"cors_origins": origins})
    assert answer.status_code == 200, answer.text


# --- CORS ------------------------------------------------------------------------------


def test_a_patched_allowlist_takes_effect_without_a_restart(client: TestClient,
                                                            admin_headers: Headers) -> None:
    refused = _preflight(client, TOOLS)
    assert refused.status_code == 403 and _has_no_cors(refused)
    assert refused.json()["error"] == "Forbidden"

    _set_origins(client, admin_headers, [TOOLS])
    allowed = _preflight(client, TOOLS)
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == TOOLS
    assert "PUT" in allowed.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in allowed.headers
    assert "Origin" in allowed.headers["vary"]
    answer = client.get("/api/v1/auth/me", headers={**admin_headers, "Origin": TOOLS})
    assert answer.headers["access-control-allow-origin"] == TOOLS

    _set_origins(client, admin_headers, [])
    again = _preflight(client, TOOLS)
    assert again.status_code == 403 and _has_no_cors(again)


def test_the_cookie_upload_may_be_preflighted_with_put(client: TestClient,
                                                       admin_headers: Headers) -> None:
    _set_origins(client, admin_headers, [TOOLS])
    answer = _preflight(client, TOOLS, method="PUT", path=COOKIES)
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == TOOLS


@pytest.mark.parametrize("origin", [STRANGER, "https://tools.example.org.evil.example",
                                    "http://tools.example.org", "null", "*"])
def test_an_origin_off_the_list_gets_no_cors_headers(client: TestClient,
                                                     admin_headers: Headers,
                                                     origin: str) -> None:
    _set_origins(client, admin_headers, [TOOLS])
    preflight = _preflight(client, origin)
    assert preflight.status_code == 403 and _has_no_cors(preflight)
    answer = client.get("/api/v1/auth/me", headers={**admin_headers, "Origin": origin})
    assert answer.status_code == 200 and _has_no_cors(answer)


def test_a_preflight_for_a_method_or_header_we_never_allow_is_refused(
        client: TestClient, admin_headers: Headers) -> None:
    _set_origins(client, admin_headers, [TOOLS])
    assert _preflight(client, TOOLS, method="TRACE").status_code == 403
    odd_header = _preflight(client, TOOLS, headers="x-forwarded-for")
    assert odd_header.status_code == 403 and _has_no_cors(odd_header)


def test_a_wildcard_stored_by_hand_matches_nothing(client: TestClient,
                                                   context: AppContext) -> None:
    # The API refuses '*'; a value edited into the table must not open CORS either.
    context.settings.cors_origins = ["*"]
    answer = _preflight(client, STRANGER)
    assert answer.status_code == 403 and _has_no_cors(answer)


def test_another_server_process_follows_the_change_at_its_next_refresh(
        client: TestClient, admin_headers: Headers, context: AppContext) -> None:
    from mediadl.api.app import create_app

    other = AppContext(settings=context.settings.model_copy(deep=True), db=context.db)
    with TestClient(create_app(other)) as other_client:
        assert _preflight(other_client, TOOLS).status_code == 403
        _set_origins(client, admin_headers, [TOOLS])
        OverrideTracker().refresh(other.db, other.settings)  # what its refresh loop does
        allowed = _preflight(other_client, TOOLS)
        assert allowed.status_code == 204
        assert allowed.headers["access-control-allow-origin"] == TOOLS


# --- the body cap ------------------------------------------------------------------------


@pytest.fixture
def small_cap(context: AppContext) -> Iterator[int]:
    context.settings.security.max_body_bytes = 64 * 1024
    yield 64 * 1024


def _batch(count: int, url_length: int = 100) -> bytes:
    url = "https://media.example.com/watch?v=" + "x" * (url_length - 34)
    return json.dumps({"urls": [url] * count}).encode()


def _assert_too_large(answer, limit: int) -> None:
    assert answer.status_code == 413, answer.text
    body = answer.json()
    assert body["error"] == "PayloadTooLarge" and str(limit) in body["detail"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_declared_length_over_the_cap_is_refused_unread(client: TestClient,
                                                          user_headers: Headers,
                                                          small_cap: int) -> None:
    body = _batch(1000)
    assert len(body) > small_cap
    answer = client.post("/api/v1/queue/batch", content=body,
                         headers={**user_headers, "Content-Type": "application/json"})
    _assert_too_large(answer, small_cap)


def test_a_streamed_body_is_counted_and_cut_off(client: TestClient, user_headers: Headers,
                                                small_cap: int) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):  # 40 chunks of 4 KiB: well past a 64 KiB cap
            yield b" " * 4096

    answer = client.post("/api/v1/queue/batch", content=chunks(),
                         headers={**user_headers, "Content-Type": "application/json"})
    _assert_too_large(answer, small_cap)
    assert "content-length" not in answer.request.headers  # it really was streamed


def test_a_body_under_the_cap_goes_through(client: TestClient, user_headers: Headers,
                                           small_cap: int) -> None:
    body = _batch(20)
    assert len(body) < small_cap
    answer = client.post("/api/v1/queue/batch", content=body,
                         headers={**user_headers, "Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text


def test_a_cross_origin_client_can_read_the_413(client: TestClient, admin_headers: Headers,
                                                small_cap: int) -> None:
    _set_origins(client, admin_headers, [TOOLS])
    answer = client.post("/api/v1/queue/batch", content=_batch(1000),
                         headers={**admin_headers, "Origin": TOOLS,
                                  "Content-Type": "application/json"})
    _assert_too_large(answer, small_cap)
    assert answer.headers["access-control-allow-origin"] == TOOLS


def test_the_default_cap_fits_a_full_batch_and_a_cookie_upload() -> None:
    default = SecuritySettings().max_body_bytes
    # A full batch of long-ish links (300 characters each) is about 3 MiB.
    assert len(_batch(MAX_BATCH, url_length=300)) < default
    # The cookies route has its own, smaller cap; a form adds a little around the file.
    assert PlatformSettings().max_cookie_bytes + 64 * 1024 < default
    assert Settings().security.max_body_bytes == default
