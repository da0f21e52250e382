"""Input PostgreSQL cannot take - a NUL in text, an id wider than its INTEGER - is refused
with a readable error on both databases, never a 500 (Schemathesis found both)."""

from __future__ import annotations


def test_a_nul_in_a_query_string_is_refused(client, user_headers):
    answer = client.get("/api/v1/queue?q=a%00b", headers=user_headers)
    assert answer.status_code == 400
    assert answer.json() == {"error": "BadRequest",
                             "detail": "Text must not contain NUL characters."}


def test_a_nul_in_a_body_is_refused(client):
    answer = client.post("/api/v1/auth/login", json={"username": "al\x00ice",
                                                     "password": "whatever it is"})
    assert answer.status_code == 422
    assert "NUL" in answer.json()["detail"]


def test_ids_beyond_a_database_integer_are_refused(client, admin_headers):
    too_wide = 2**31
    for path in (f"/api/v1/queue/{too_wide}", f"/api/v1/downloads/{too_wide}",
                 f"/api/v1/scheduler/jobs/{too_wide}", f"/api/v1/users/{too_wide}"):
        method = client.patch if path.startswith("/api/v1/users") else client.get
        kwargs = {"json": {}} if method == client.patch else {}
        assert method(path, headers=admin_headers, **kwargs).status_code == 422, path
    assert client.get(f"/api/v1/queue/{too_wide - 1}", headers=admin_headers).status_code == 404
