"""Authorisation of every route, generated from the app's own OpenAPI schema, so a route
added later is covered without anyone remembering to list it:

- anonymous: 401 on every route but /health, login and refresh;
- a user on admin routes: 403, and on no other route;
- a user on another user's objects: 404 (never 403, never 2xx), and the objects unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mediadl.core.settings import Settings
from mediadl.db.models import Download, Job
from mediadl.db.session import Database
from tests.conftest import TEST_PASSWORD
from tests.security.conftest import bearer

PUBLIC = {("GET", "/health"), ("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/refresh")}
# What only an admin may do. A new admin route belongs here; the test tells when one is
# missing (a 403 for a user on a route not listed) or a listed one lets a user in.
ADMIN_ONLY_PREFIXES = ("/api/v1/users", "/api/v1/activity", "/api/v1/storage/cleanup")
# /metrics: an admin login or the scrape token (none is set here, so only a login works).
ADMIN_ONLY_OPERATIONS = {("GET", "/api/v1/settings"), ("PATCH", "/api/v1/settings"),
                         ("DELETE", "/api/v1/logs"), ("GET", "/metrics")}
# Platform settings may be read by every user; changing them is for admins.
ADMIN_ONLY_WRITES_UNDER = ("/api/v1/settings/platforms",)
# Operations that reach the network or start processes are called with bodies that fail
# validation after the auth checks; ownership is what is checked here, not downloading.
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
LOOPBACK_URL = "http://127.0.0.1:9/bob.mp4"
Operation = tuple[str, str, dict[str, Any]]


def operations(schema: dict[str, Any]) -> Iterator[Operation]:
    for path, item in schema["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def is_admin_only(method: str, path: str) -> bool:
    return (path.startswith(ADMIN_ONLY_PREFIXES) or (method, path) in ADMIN_ONLY_OPERATIONS
            or (method != "GET" and path.startswith(ADMIN_ONLY_WRITES_UNDER)))


def example(schema: dict[str, Any], root: dict[str, Any], depth: int = 0) -> Any:
    """A small value that satisfies ``schema`` (required fields only)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example(root["components"]["schemas"][name], root, depth + 1)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            options = [s for s in schema[combined] if s.get("type") != "null"]
            return example(options[0], root, depth + 1) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: example(schema["properties"][name], root, depth + 1)
                for name in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items", {}), root, depth + 1)
                for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "uri" or "url" in str(schema.get("title", "")).lower():
        return "https://media.example.com/a.mp4"
    return "x" * max(1, int(schema.get("minLength", 1)))


def request_body(operation: dict[str, Any], root: dict[str, Any]) -> Any:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return example(content["application/json"]["schema"], root)


def fill(path: str, ids: dict[str, int]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", str(value))
    return path.replace("{name}", "x").replace("{user_id}", "1")


@pytest.fixture
def schema(client: TestClient) -> dict[str, Any]:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return answer.json()  # type: ignore[no-any-return]


def test_anonymous_gets_401_everywhere_but_the_public_routes(
        client: TestClient, schema: dict[str, Any]) -> None:
    wrong: list[str] = []
    checked = 0
    for method, path, operation in operations(schema):
        if (method, path) in PUBLIC:
            continue
        checked += 1
        for headers in ({}, {"Authorization": "Bearer not-a-token"},
                        {"Authorization": "Bearer mdl_" + "x" * 43}):
            answer = client.request(method, fill(path, {}), headers=headers,
                                    json=request_body(operation, schema))
            if answer.status_code != 401 or answer.json()["error"] != "NotAuthenticated":
                wrong.append(f"{method} {path} {headers}: {answer.status_code}")
    assert checked > 30
    assert wrong == [], "\n".join(wrong)


def test_every_protected_operation_declares_the_bearer_scheme(schema: dict[str, Any]) -> None:
    missing = [f"{method} {path}" for method, path, operation in operations(schema)
               if (method, path) not in PUBLIC and not operation.get("security")]
    assert missing == []


def test_users_get_403_on_admin_routes_and_only_there(
        client: TestClient, schema: dict[str, Any], user_headers: dict[str, str]) -> None:
    wrong: list[str] = []
    for method, path, operation in operations(schema):
        if (method, path) in PUBLIC or path.endswith(("/logout", "/password")):
            continue  # logout and password change would end the test user's own session
        answer = client.request(method, fill(path, {}), headers=user_headers,
                                json=request_body(operation, schema))
        expected_forbidden = is_admin_only(method, path)
        if (answer.status_code == 403) != expected_forbidden:
            wrong.append(f"{method} {path}: {answer.status_code} {answer.text[:120]}")
    assert wrong == [], "\n".join(wrong)


@pytest.fixture
def bobs_objects(client: TestClient, make_user: Callable[..., int], database: Database,
                 settings: Settings) -> dict[str, int]:
    """One of everything, owned by bob."""
    bob_id = make_user("bob")
    pair = client.post("/api/v1/auth/login",
                       json={"username": "bob", "password": TEST_PASSWORD}).json()
    headers = bearer(pair["access_token"])
    # Loopback URLs with nothing listening: should an ownership check ever fail open, a
    # probe or a download goes nowhere beyond this machine.
    job = client.post("/api/v1/queue", headers=headers,
                      json={"url": LOOPBACK_URL, "paused": True}).json()
    schedule = client.post("/api/v1/scheduler/jobs", headers=headers,
                           json={"url": LOOPBACK_URL, "enabled": False})
    assert schedule.status_code == 201, schedule.text
    token = client.post("/api/v1/auth/tokens", headers=headers, json={"name": "bob's"}).json()
    session_id = client.get("/api/v1/auth/sessions", headers=headers).json()[0]["id"]
    (settings.library_dir / "bob.mp4").write_bytes(b"\0" * 32)
    with database.session() as session:
        download = Download(owner_id=bob_id, job_id=job["id"], item_key="k",
                            url="https://media.example.com/bob.mp4", filename="bob.mp4",
                            size=32, sha256="0" * 64, mime="video/mp4", kind="video", extra={})
        session.add(download)
        session.flush()
        download_id = download.id
    client.cookies.clear()
    return {"job_id": job["id"], "download_id": download_id, "token_id": token["id"],
            "session_id": session_id, "schedule_id": schedule.json()["id"], "bob_id": bob_id}


def test_a_user_gets_404_for_another_users_objects(
        client: TestClient, schema: dict[str, Any], bobs_objects: dict[str, int],
        user_headers: dict[str, str], database: Database) -> None:
    known = {"job_id", "download_id", "token_id", "session_id", "schedule_id"}
    wrong: list[str] = []
    unknown: list[tuple[str, str]] = []
    for method, path, operation in operations(schema):
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        if not names or is_admin_only(method, path):
            continue
        if not names <= known:
            unknown.append((method, path))
            continue
        answer = client.request(method, fill(path, bobs_objects), headers=user_headers,
                                json=request_body(operation, schema))
        if answer.status_code != 404:
            wrong.append(f"{method} {path}: {answer.status_code} {answer.text[:120]}")
    assert wrong == [], "\n".join(wrong)
    # Routes with ids of kinds this test cannot create yet must at least hide unknown ids.
    for method, path in unknown:
        answer = client.request(method, re.sub(r"\{[^}]+\}", "999999", path),
                                headers=user_headers)
        assert answer.status_code in (404, 422), (method, path, answer.status_code)


def test_bulk_routes_leave_another_users_objects_alone(
        client: TestClient, bobs_objects: dict[str, int], user_headers: dict[str, str],
        database: Database) -> None:
    job_id, download_id = bobs_objects["job_id"], bobs_objects["download_id"]
    for path, body in (
            ("/api/v1/queue/bulk", {"action": "delete", "ids": [job_id]}),
            ("/api/v1/queue/bulk", {"action": "priority", "ids": [job_id], "priority": "high"}),
            ("/api/v1/queue/clear", {"statuses": ["completed", "failed", "canceled"]}),
            ("/api/v1/queue/pause-all", None), ("/api/v1/queue/resume-all", None),
            ("/api/v1/downloads/bulk", {"action": "delete", "ids": [download_id]})):
        answer = client.post(path, headers=user_headers, json=body)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.json().get("affected", 0) == 0, path
    listed = client.get("/api/v1/queue", headers=user_headers).json()
    assert listed["total"] == 0
    assert client.get("/api/v1/downloads", headers=user_headers).json()["total"] == 0
    with database.read() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.priority == "normal" and job.status == "paused"
        assert session.scalar(select(func.count()).select_from(Download)) == 1
