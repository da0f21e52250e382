"""Files are served by id after an ownership check, as sandboxed attachments, and never
from outside the library (the secret key and cookies live next to it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from mediadl.core.settings import Settings
from mediadl.db.models import Download
from mediadl.db.session import Database

Headers = dict[str, str]


def _add_file(database: Database, settings: Settings, owner_id: int, filename: str,
              mime: str, content: bytes = b"<script>alert(1)</script>") -> int:
    target = (settings.library_dir / filename).resolve()
    # Only ever write inside the test's own library: a hostile stored name like
    # "/etc/passwd" must be recorded, never created.
    if target.is_relative_to(settings.library_dir.resolve()):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    with database.session() as session:
        row = Download(owner_id=owner_id, item_key=filename, url="https://media.example.com/x",
                       filename=filename, size=len(content), sha256="0" * 64, mime=mime,
                       kind="file", extra={})
        session.add(row)
        session.flush()
        return row.id


@pytest.fixture
def alice_id(make_user: Callable[..., int]) -> int:
    return make_user("alice")


def test_the_owner_gets_a_sandboxed_attachment(client: TestClient, database: Database,
                                               settings: Settings, alice_id: int,
                                               login: Callable[..., Headers]) -> None:
    file_id = _add_file(database, settings, alice_id, "page.html", "text/html")
    answer = client.get(f"/api/v1/downloads/{file_id}/file", headers=login("alice"))
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    # The route's own sandbox policy wins over the app's policy.
    assert answer.headers["Content-Security-Policy"].startswith("sandbox")


def test_html_is_never_shown_inline(client: TestClient, database: Database,
                                    settings: Settings, alice_id: int,
                                    login: Callable[..., Headers]) -> None:
    headers = login("alice")
    for name, mime in (("page.html", "text/html"), ("pic.svg", "image/svg+xml")):
        file_id = _add_file(database, settings, alice_id, name, mime)
        answer = client.get(f"/api/v1/downloads/{file_id}/file?inline=true", headers=headers)
        assert answer.status_code == 400, name
    video = _add_file(database, settings, alice_id, "clip.mp4", "video/mp4", b"\0" * 16)
    inline = client.get(f"/api/v1/downloads/{video}/file?inline=true", headers=headers)
    assert inline.status_code == 200
    assert inline.headers["Content-Disposition"].startswith("inline;")
    assert inline.headers["Content-Security-Policy"].startswith("sandbox")


def test_another_users_file_is_404_and_anonymous_is_401(
        client: TestClient, database: Database, settings: Settings, alice_id: int,
        make_user: Callable[..., int], login: Callable[..., Headers]) -> None:
    file_id = _add_file(database, settings, alice_id, "clip.mp4", "video/mp4")
    make_user("bob")
    for path in ("", "/file", "/thumbnail"):
        assert client.get(f"/api/v1/downloads/{file_id}{path}",
                          headers=login("bob")).status_code == 404, path
        client.cookies.clear()  # login set bob's media cookie; anonymous has none
        assert client.get(f"/api/v1/downloads/{file_id}{path}").status_code == 401, path
    assert client.delete(f"/api/v1/downloads/{file_id}", headers=login("bob")).status_code == 404
    assert client.get(f"/api/v1/downloads/{file_id}/file",
                      headers=login("alice")).status_code == 200


@pytest.mark.parametrize("stored_name", ["../secret.key", "../../etc/passwd", "/etc/passwd",
                                         "a/../../secret.key"])
def test_a_stored_path_outside_the_library_is_never_served(
        client: TestClient, database: Database, settings: Settings, alice_id: int,
        login: Callable[..., Headers], stored_name: str) -> None:
    file_id = _add_file(database, settings, alice_id, stored_name, "text/plain")
    answer = client.get(f"/api/v1/downloads/{file_id}/file", headers=login("alice"))
    assert answer.status_code == 404
    assert settings.secret().encode() not in answer.content
