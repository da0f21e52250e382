"""The media cookie: library files and thumbnails stream without a token in the URL, and
the cookie opens nothing else."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from mediadl.auth.tokens import decode_access_token
from mediadl.core.settings import Settings
from mediadl.db.models import Download, User
from mediadl.db.session import Database
from tests.conftest import TEST_PASSWORD

API = "/api/v1/downloads"
MEDIA = "mediadl_media"
CONTENT = bytes(range(256)) * 4


@pytest.fixture
def add_file(database: Database, settings: Settings) -> Callable[..., int]:
    def _add(owner: str, name: str = "clip") -> int:
        path = settings.library_dir / "src" / f"{name}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(CONTENT)
        with database.session() as session:
            owner_id = session.scalars(select(User.id).where(User.username == owner)).one()
            row = Download(owner_id=owner_id, item_key=name, url="https://fake.invalid/video/x",
                           platform="youtube", source="src", title=name, kind="video",
                           filename=f"src/{name}.mp4", size=len(CONTENT), mime="video/mp4",
                           sha256=hashlib.sha256(CONTENT).hexdigest(), extra={})
            session.add(row)
            session.flush()
            return row.id

    return _add


def _log_in(client: TestClient, username: str) -> Any:
    answer = client.post("/api/v1/auth/login",
                         json={"username": username, "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer


def _media_cookie(answer: Any) -> SimpleCookie:
    for header in answer.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        if MEDIA in parsed:
            return parsed
    raise AssertionError(f"no {MEDIA} cookie in {answer.headers.get_list('set-cookie')}")


def _with_cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{MEDIA}={value}"}


def _fresh(app: Any) -> TestClient:
    """A browser with an empty cookie jar, so only the cookie a test sends counts."""
    return TestClient(app)


def test_login_and_refresh_set_the_media_cookie(client, make_user, settings):
    make_user("alice")
    login = _log_in(client, "alice")
    cookie = _media_cookie(login)[MEDIA]
    assert cookie["path"] == "/api/v1/downloads"
    assert cookie["httponly"] is True and cookie["samesite"].lower() == "strict"
    assert cookie["max-age"] == str(12 * 3600)
    assert not cookie["secure"]  # plain http in tests; https gets Secure
    claims = decode_access_token(settings, cookie.value, "media")
    assert claims.user_id == decode_access_token(settings, login.json()["access_token"]).user_id
    refreshed = client.post("/api/v1/auth/refresh",
                            json={"refresh_token": login.json()["refresh_token"]})
    assert refreshed.status_code == 200
    assert _media_cookie(refreshed)[MEDIA].value


def test_media_cookie_is_secure_over_https(app, make_user):
    make_user("alice")
    with TestClient(app, base_url="https://testserver") as secure:
        cookie = _media_cookie(_log_in(secure, "alice"))[MEDIA]
    assert cookie["secure"] is True


def test_cookie_streams_files_with_ranges_and_thumbnails(client, make_user, add_file):
    make_user("alice")
    _log_in(client, "alice")
    download_id = add_file("alice")
    # The client's jar now holds the cookie for the library path, as a browser would.
    whole = client.get(f"{API}/{download_id}/file?inline=true")
    assert whole.status_code == 200 and whole.content == CONTENT
    part = client.get(f"{API}/{download_id}/file", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == CONTENT[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(CONTENT)}"
    thumbnail = client.get(f"{API}/{download_id}/thumbnail")
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"].startswith("image/")


def test_cookie_opens_nothing_but_the_file_routes(app, client, make_user, add_file):
    make_user("alice")
    value = _media_cookie(_log_in(client, "alice"))[MEDIA].value
    download_id = add_file("alice")
    browser = _fresh(app)
    assert browser.get(f"{API}/{download_id}/file", headers=_with_cookie(value)).status_code == 200
    for method, path in (("GET", API), ("GET", f"{API}/{download_id}"), ("GET", f"{API}/stats"),
                         ("DELETE", f"{API}/{download_id}"), ("GET", "/api/v1/queue"),
                         ("GET", "/api/v1/auth/me")):
        answer = browser.request(method, path, headers=_with_cookie(value))
        assert answer.status_code == 401, (method, path, answer.text)
    # Nor does the media token work as a bearer token.
    as_bearer = browser.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {value}"})
    assert as_bearer.status_code == 401


def test_a_bad_bearer_is_not_rescued_by_the_cookie(app, client, make_user, add_file):
    make_user("alice")
    value = _media_cookie(_log_in(client, "alice"))[MEDIA].value
    download_id = add_file("alice")
    answer = _fresh(app).get(f"{API}/{download_id}/file",
                             headers={**_with_cookie(value), "Authorization": "Bearer nonsense"})
    assert answer.status_code == 401


def test_someone_elses_file_is_404_with_the_cookie(app, client, make_user, add_file):
    make_user("alice")
    make_user("bob")
    bobs = add_file("bob", "bobs-clip")
    value = _media_cookie(_log_in(client, "alice"))[MEDIA].value
    browser = _fresh(app)
    for path in (f"{API}/{bobs}/file", f"{API}/{bobs}/thumbnail"):
        answer = browser.get(path, headers=_with_cookie(value))
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"] == "NotFound"


def test_logout_clears_and_revokes_the_cookie(app, client, make_user, add_file):
    make_user("alice")
    login = _log_in(client, "alice")
    value = _media_cookie(login)[MEDIA].value
    download_id = add_file("alice")
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    logout = client.post("/api/v1/auth/logout", headers=headers)
    assert logout.status_code == 204
    cleared = _media_cookie(logout)[MEDIA]
    assert cleared.value in ("", '""') and cleared["path"] == "/api/v1/downloads"
    answer = _fresh(app).get(f"{API}/{download_id}/file", headers=_with_cookie(value))
    assert answer.status_code == 401


def test_password_change_revokes_the_old_cookie(app, client, make_user, add_file):
    make_user("alice")
    login = _log_in(client, "alice")
    old = _media_cookie(login)[MEDIA].value
    download_id = add_file("alice")
    changed = client.post("/api/v1/auth/password", json={
        "current_password": TEST_PASSWORD, "new_password": "another long passphrase"},
        headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert changed.status_code == 200, changed.text
    new = _media_cookie(changed)[MEDIA].value
    browser = _fresh(app)
    assert browser.get(f"{API}/{download_id}/file", headers=_with_cookie(old)).status_code == 401
    assert browser.get(f"{API}/{download_id}/file", headers=_with_cookie(new)).status_code == 200


def test_a_revoked_session_ends_its_cookie(app, client, make_user, add_file, database):
    """A replayed refresh token revokes its family without a version bump; the cookie of
    that session stops at once all the same."""
    make_user("alice")
    login = _log_in(client, "alice")
    value = _media_cookie(login)[MEDIA].value
    download_id = add_file("alice")
    refresh = {"refresh_token": login.json()["refresh_token"]}
    assert client.post("/api/v1/auth/refresh", json=refresh).status_code == 200
    assert client.post("/api/v1/auth/refresh", json=refresh).status_code == 401  # replay
    answer = _fresh(app).get(f"{API}/{download_id}/file", headers=_with_cookie(value))
    assert answer.status_code == 401


def test_a_disabled_user_loses_the_cookie(app, client, make_user, add_file, database):
    make_user("alice")
    value = _media_cookie(_log_in(client, "alice"))[MEDIA].value
    download_id = add_file("alice")
    with database.session() as session:
        session.execute(update(User).where(User.username == "alice").values(is_active=False))
    answer = _fresh(app).get(f"{API}/{download_id}/file", headers=_with_cookie(value))
    assert answer.status_code == 401


def test_openapi_declares_the_cookie_on_the_two_file_routes(client):
    schema = client.get("/api/v1/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["MediaCookie"]
    assert scheme == {**scheme, "type": "apiKey", "in": "cookie", "name": MEDIA}
    using = {(method, path) for path, item in schema["paths"].items()
             for method, operation in item.items()
             if isinstance(operation, dict)
             and any("MediaCookie" in option for option in operation.get("security", []))}
    assert using == {("get", f"{API}/{{download_id}}/file"),
                     ("get", f"{API}/{{download_id}}/thumbnail")}
    file_security = schema["paths"][f"{API}/{{download_id}}/file"]["get"]["security"]
    assert {"HTTPBearer": []} in file_security and {"MediaCookie": []} in file_security
