"""/metrics is for the scrape token or an admin login; the schema and docs stay public."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import SecretStr

from mediadl.core.settings import Settings

Headers = dict[str, str]
TOKEN = "a scrape token of enough length"


def test_metrics_need_a_login_when_no_token_is_set(client: TestClient) -> None:
    answer = client.get("/metrics")
    assert answer.status_code == 401
    assert answer.json()["error"] == "NotAuthenticated"
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert "mediadl_" not in answer.text


def test_an_admin_reads_the_metrics_and_a_user_does_not(client: TestClient,
                                                        admin_headers: Headers,
                                                        user_headers: Headers) -> None:
    admin = client.get("/metrics", headers=admin_headers)
    assert admin.status_code == 200 and "mediadl_up" in admin.text
    user = client.get("/metrics", headers=user_headers)
    assert user.status_code == 403 and user.json()["error"] == "Forbidden"


def test_an_admins_api_token_reads_the_metrics(client: TestClient,
                                               admin_headers: Headers) -> None:
    made = client.post("/api/v1/auth/tokens", headers=admin_headers, json={"name": "grafana"})
    assert made.status_code == 201, made.text
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {made.json()['token']}"})
    assert answer.status_code == 200


def test_the_scrape_token_works_and_a_wrong_one_does_not(client: TestClient,
                                                         settings: Settings,
                                                         admin_headers: Headers) -> None:
    settings.monitoring.metrics_token = SecretStr(TOKEN)
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}
                      ).status_code == 401
    assert client.get("/metrics").status_code == 401
    # An admin login still works next to the token.
    assert client.get("/metrics", headers=admin_headers).status_code == 200


def test_the_schema_and_its_docs_stay_public(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and "/api/v1/queue" in schema.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200
