"""How `mediadl serve` hands out the built UI: caching, client routes, never for the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mediadl.api.static import IMMUTABLE, install_static_ui

INDEX = ('<!doctype html><html><head>'
         '<script type="module" src="/assets/index-abc123.js"></script></head></html>')


@pytest.fixture
def built(tmp_path: Path) -> Path:
    folder = tmp_path / "static"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text(INDEX)
    (folder / "assets" / "index-abc123.js").write_text("console.log('ui')")
    (folder / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (folder / "manifest.webmanifest").write_text('{"name": "mediadl"}')
    (folder / ".secret").write_text("never served")
    return folder


@pytest.fixture
def ui_client(app, built: Path):  # type: ignore[no-untyped-def]
    install_static_ui(app, built)
    with TestClient(app) as test_client:
        yield test_client


def test_client_routes_get_the_page_and_revalidate_it(ui_client):
    for path in ("/", "/queue", "/history", "/settings/security", "/share?url=x"):
        answer = ui_client.get(path)
        assert answer.status_code == 200, path
        assert answer.text == INDEX
        assert answer.headers["cache-control"] == "no-cache"
        assert answer.headers["content-type"].startswith("text/html")


def test_hashed_assets_are_cached_for_a_year(ui_client):
    answer = ui_client.get("/assets/index-abc123.js")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == IMMUTABLE
    assert answer.headers["content-type"].startswith("text/javascript")


def test_the_service_worker_and_manifest_are_revalidated(ui_client):
    assert ui_client.get("/sw.js").headers["cache-control"] == "no-cache"
    manifest = ui_client.get("/manifest.webmanifest")
    assert manifest.headers["cache-control"] == "no-cache"
    assert manifest.headers["content-type"].startswith("application/manifest+json")


def test_an_unchanged_page_answers_304(ui_client):
    etag = ui_client.get("/").headers["etag"]
    again = ui_client.get("/queue", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_api_paths_never_get_the_page(ui_client, admin_headers):
    missing = ui_client.get("/api/v1/no-such-thing", headers=admin_headers)
    assert missing.status_code == 404
    assert missing.json() == {"error": "NotFound",
                              "detail": "There is no such API endpoint on this server."}
    for path in ("/api", "/api/", "/ws", "/ws/nothing", "/metrics"):
        assert "<html" not in ui_client.get(path).text, path
    assert ui_client.get("/health").json()["status"] in ("ok", "degraded")
    # A wrong method on a real route stays a 405, not a page.
    assert ui_client.put("/api/v1/queue", headers=admin_headers, json={}).status_code == 405


def test_missing_files_and_hidden_or_outside_paths_are_404(ui_client):
    assert ui_client.get("/assets/index-old999.js").status_code == 404
    assert ui_client.get("/favicon.ico").status_code == 404
    assert ui_client.get("/.secret").status_code == 404  # dotfiles are never served
    assert ui_client.get("/%2e%2e/%2e%2e/etc/passwd").status_code in (200, 404)
    assert "root:" not in ui_client.get("/..%2f..%2fetc/passwd").text


def test_pages_cannot_be_written_to(ui_client):
    answer = ui_client.post("/queue")
    assert answer.status_code in (403, 405)


def test_without_a_build_pages_explain_how_to_build(app, tmp_path: Path):
    install_static_ui(app, tmp_path / "empty")
    with TestClient(app) as client:
        answer = client.get("/history")
    assert answer.status_code == 503
    assert "make install" in answer.text and "/api/v1/docs" in answer.text
