"""Pages and answers: security headers, CORS closed by default (an explicit list, never a
reflected Origin), writes from other sites refused, settings that would open a hole
refused at start."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from mediadl.app_context import AppContext
from mediadl.core.settings import Settings
from mediadl.security.headers import APP_CSP

Headers = dict[str, str]


def _app_client(context: AppContext) -> TestClient:
    from mediadl.api.app import create_app

    return TestClient(create_app(context))


def test_every_answer_carries_the_security_headers(client: TestClient,
                                                   user_headers: Headers) -> None:
    for answer in (client.get("/health"), client.get("/api/v1/auth/me", headers=user_headers),
                   client.get("/api/v1/queue/999", headers=user_headers),
                   client.get("/no/such/page")):
        headers = answer.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "camera=()" in headers["Permissions-Policy"]
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert headers["Content-Security-Policy"] == APP_CSP


def test_the_app_csp_is_strict() -> None:
    directives = dict(part.strip().split(" ", 1) for part in APP_CSP.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in directives["script-src"]


def test_api_answers_are_not_cached(client: TestClient, user_headers: Headers) -> None:
    assert client.get("/api/v1/auth/me", headers=user_headers).headers[
        "Cache-Control"] == "no-store"


def test_the_docs_page_may_load_swagger_ui_only(client: TestClient) -> None:
    csp = client.get("/api/v1/docs").headers["Content-Security-Policy"]
    assert "https://cdn.jsdelivr.net" in csp and "frame-ancestors 'none'" in csp


def test_cors_is_closed_by_default(client: TestClient, user_headers: Headers) -> None:
    evil = {"Origin": "https://evil.example"}
    answer = client.get("/api/v1/auth/me", headers={**user_headers, **evil})
    assert "access-control-allow-origin" not in answer.headers
    preflight = client.options("/api/v1/queue", headers={
        **evil, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_exactly_the_listed_origins(context: AppContext,
                                                user_headers: Headers) -> None:
    context.settings.cors_origins = ["https://tools.example.org"]
    with _app_client(context) as client:
        allowed = client.get("/api/v1/auth/me", headers={
            **user_headers, "Origin": "https://tools.example.org"})
        assert allowed.headers["access-control-allow-origin"] == "https://tools.example.org"
        assert "access-control-allow-credentials" not in allowed.headers
        other = client.get("/api/v1/auth/me", headers={
            **user_headers, "Origin": "https://tools.example.org.evil.example",
            "Cookie": "mediadl_refresh=x"})
        assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("origins", [["*"], ["https://ok.example/path"], ["ok.example"],
                                     ["https://*.example.org"]])
def test_a_wildcard_or_malformed_cors_origin_refuses_to_start(context: AppContext,
                                                              origins: list[str]) -> None:
    context.settings.cors_origins = origins
    with pytest.raises(ValueError, match="MEDIADL_CORS_ORIGINS"):
        _app_client(context)


def test_a_malformed_allowed_network_refuses_to_start(context: AppContext) -> None:
    context.settings.security.allowed_networks = ["192.168.1.0/33"]
    with pytest.raises(ValueError, match="ALLOWED_NETWORKS"):
        _app_client(context)


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://testserver:1234"])
def test_writes_from_another_site_are_refused(client: TestClient, user_headers: Headers,
                                              origin: str) -> None:
    answer = client.post("/api/v1/queue", headers={**user_headers, "Origin": origin},
                         json={"url": "https://media.example.com/a.mp4"})
    assert answer.status_code == 403
    assert answer.json()["error"] == "Forbidden"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert client.get("/api/v1/queue", headers=user_headers).json()["total"] == 0


def test_login_from_another_site_is_refused(client: TestClient) -> None:
    answer = client.post("/api/v1/auth/login", headers={"Origin": "https://evil.example"},
                         json={"username": "a", "password": "b"})
    assert answer.status_code == 403


def test_writes_from_our_own_site_or_without_origin_pass(client: TestClient,
                                                         user_headers: Headers) -> None:
    for extra in ({}, {"Origin": "http://testserver"}, {"Origin": "http://TESTSERVER:80"}):
        answer = client.post("/api/v1/queue", headers={**user_headers, **extra},
                             json={"url": "https://media.example.com/a.mp4", "paused": True})
        assert answer.status_code == 201, (extra, answer.text)


def test_behind_a_tls_proxy_the_public_origin_matches_the_host(client: TestClient,
                                                               user_headers: Headers) -> None:
    answer = client.post("/api/v1/queue", headers={
        **user_headers, "Host": "media.example.org", "Origin": "https://media.example.org"},
        json={"url": "https://media.example.com/a.mp4", "paused": True})
    assert answer.status_code == 201


def test_allowed_origins_are_trusted_for_writes(context: AppContext,
                                                user_headers: Headers) -> None:
    context.settings.security.allowed_origins = ["https://media.example.org"]
    with _app_client(context) as client:
        answer = client.post("/api/v1/queue", headers={
            **user_headers, "Origin": "https://media.example.org"},
            json={"url": "https://media.example.com/a.mp4", "paused": True})
        assert answer.status_code == 201


def test_hsts_only_over_https_and_when_configured(context: AppContext,
                                                  settings: Settings) -> None:
    with _app_client(context) as plain:
        assert "strict-transport-security" not in plain.get("/health").headers
    settings.security.hsts_seconds = 31536000
    from mediadl.api.app import create_app

    with TestClient(create_app(context), base_url="https://testserver") as secure:
        assert secure.get("/health").headers["Strict-Transport-Security"] == "max-age=31536000"

