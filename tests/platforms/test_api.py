"""/api/v1/platforms and /api/v1/settings/platforms over HTTP (no dispatcher)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mediadl.core.clock import utcnow
from mediadl.db.models.platforms import PlatformSetting, PlatformStatus
from tests.fixtures.forum_pages import thread_path

LISTED = {"youtube", "bilibili", "tiktok", "instagram", "forum", "imagehost", "generic"}
COOKIES = (b"# Netscape HTTP Cookie File\n"
           b".instagram.com\tTRUE\t/\tTRUE\t1893456000\tsessionid\ttop-secret-value\n"
           b".instagram.com\tTRUE\t/\tTRUE\t1893456000\tcsrftoken\tabc\n")


def test_the_registry_lists_every_platform_with_its_health(client, user_headers):
    answer = client.get("/api/v1/platforms", headers=user_headers)
    assert answer.status_code == 200
    platforms = {item["name"]: item for item in answer.json()}
    assert set(platforms) == LISTED
    instagram = platforms["instagram"]
    assert instagram["label"] == "Instagram" and instagram["engine"] == "gallerydl"
    assert set(instagram["content_types"]) >= {"posts", "stories", "reels", "highlights"}
    assert instagram["needs_cookies"] is True and instagram["enabled"] is True
    assert instagram["status"] == {
        "state": "ok", "last_success_at": None, "last_failure_at": None, "last_error": None,
        "error_count": 0, "success_count": 0, "failure_count": 0, "throttled": False,
        "throttled_until": None, "throttle_level": 0, "throttle_reason": None}
    assert set(platforms["tiktok"]["engines"]) == {"ytdlp", "gallerydl"}


def test_a_throttled_platform_shows_it(client, user_headers, database):
    until = utcnow() + timedelta(minutes=5)
    with database.session() as session:
        session.add(PlatformStatus(name="youtube", throttled_until=until, throttle_level=1,
                                   throttle_reason="HTTP Error 429: Too Many Requests",
                                   error_count=1, success_total=4, failure_total=1,
                                   last_error="HTTP Error 429: Too Many Requests",
                                   last_success_at=utcnow()))
    status = client.get("/api/v1/platforms/youtube", headers=user_headers).json()["status"]
    assert status["state"] == "warning" and status["throttled"] is True
    assert status["throttle_reason"].startswith("HTTP Error 429")
    assert status["success_count"] == 4 and status["last_success_at"].endswith("Z")


def test_unknown_and_hidden_platforms_are_404(client, user_headers):
    for name in ("myspace", "fake"):
        answer = client.get(f"/api/v1/platforms/{name}", headers=user_headers)
        assert answer.status_code == 404 and answer.json()["error"] == "NotFound"


def test_platforms_need_a_login(client):
    assert client.get("/api/v1/platforms").status_code == 401
    assert client.get("/api/v1/settings/platforms").status_code == 401


# -- settings ----------------------------------------------------------------------------
def test_an_admin_changes_a_platforms_settings(client, admin_headers):
    answer = client.patch("/api/v1/settings/platforms/youtube", headers=admin_headers, json={
        "default_quality": "720", "min_request_interval_s": 1.5, "max_concurrent_jobs": 2,
        "proxy": "http://bob:hunter2@proxy.example:3128"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["default_quality"], body["min_request_interval_s"],
            body["max_concurrent_jobs"]) == ("720", 1.5, 2)
    assert body["proxy"] == "http://bob:***@proxy.example:3128" and body["has_proxy"]
    assert "hunter2" not in answer.text
    reset = client.patch("/api/v1/settings/platforms/youtube", headers=admin_headers,
                         json={"proxy": None, "min_request_interval_s": None}).json()
    assert reset["proxy"] is None and reset["min_request_interval_s"] == 0.0
    assert reset["default_quality"] == "720"  # untouched: not named in the request


def test_the_settings_say_which_limits_count_per_site(client, admin_headers):
    rows = client.get("/api/v1/settings/platforms", headers=admin_headers).json()
    per_site = {row["name"] for row in rows if row["limit_per_site"]}
    assert per_site == {"generic", "forum", "imagehost"}


def test_platform_defaults_show_before_any_change(client, user_headers):
    answer = client.get("/api/v1/settings/platforms/instagram", headers=user_headers).json()
    assert answer["min_request_interval_s"] == 3.0 and answer["enabled"] is True
    assert answer["has_cookies"] is False and answer["needs_cookies"] is True


def test_only_admins_change_platform_settings_and_users_never_see_the_proxy(
        client, admin_headers, user_headers):
    client.patch("/api/v1/settings/platforms/tiktok", headers=admin_headers,
                 json={"proxy": "socks5h://proxy.example:1080"})
    answer = client.patch("/api/v1/settings/platforms/tiktok", headers=user_headers,
                          json={"enabled": False})
    assert answer.status_code == 403 and answer.json()["error"] == "Forbidden"
    seen = {item["name"]: item for item in
            client.get("/api/v1/settings/platforms", headers=user_headers).json()}
    assert seen["tiktok"]["proxy"] is None and seen["tiktok"]["has_proxy"] is True
    upload = client.put("/api/v1/settings/platforms/tiktok/cookies", headers=user_headers,
                        content=COOKIES)
    assert upload.status_code == 403


@pytest.mark.parametrize("body", [
    {"proxy": "proxy.example:3128"}, {"min_request_interval_s": -1},
    {"max_concurrent_jobs": 0}, {"default_quality": "8k"}, {"colour": "blue"},
])
def test_bad_settings_are_422_with_a_sentence(client, admin_headers, body):
    answer = client.patch("/api/v1/settings/platforms/youtube", headers=admin_headers,
                          json=body)
    assert answer.status_code == 422 and answer.json()["error"] == "InvalidPayload"
    assert answer.json()["detail"].endswith(".")


def test_cookies_are_uploaded_summarised_and_never_served_back(client, admin_headers,
                                                               database):
    answer = client.put("/api/v1/settings/platforms/instagram/cookies",
                        headers={**admin_headers, "Content-Type": "text/plain"},
                        content=COOKIES)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["cookie_count"], body["cookie_domains"], body["matches_platform"]) == (
        2, ["instagram.com"], True)
    everything = [client.get(path, headers=admin_headers).text for path in (
        "/api/v1/settings/platforms", "/api/v1/settings/platforms/instagram",
        "/api/v1/platforms/instagram")]
    assert not any("top-secret-value" in text for text in everything)
    with database.read() as session:
        stored = session.get(PlatformSetting, "instagram").cookies_sealed
    assert stored and "top-secret-value" not in stored
    assert client.get("/api/v1/platforms/instagram",
                      headers=admin_headers).json()["has_cookies"] is True
    assert client.delete("/api/v1/settings/platforms/instagram/cookies",
                         headers=admin_headers).status_code == 204
    assert client.get("/api/v1/settings/platforms/instagram",
                      headers=admin_headers).json()["has_cookies"] is False


def test_cookies_can_come_as_a_form_upload(client, admin_headers):
    answer = client.put("/api/v1/settings/platforms/instagram/cookies", headers=admin_headers,
                        files={"file": ("cookies.txt", COOKIES, "text/plain")})
    assert answer.status_code == 200 and answer.json()["cookie_count"] == 2


def test_cookies_for_another_site_are_flagged(client, admin_headers):
    answer = client.put("/api/v1/settings/platforms/instagram/cookies", headers=admin_headers,
                        content=b".example.com\tTRUE\t/\tFALSE\t0\tid\t1\n")
    assert answer.json()["matches_platform"] is False


def test_bad_or_huge_cookie_files_are_refused(client, admin_headers, settings):
    bad = client.put("/api/v1/settings/platforms/instagram/cookies", headers=admin_headers,
                     content=b"not a cookie file")
    assert bad.status_code == 400 and "Netscape" in bad.json()["detail"]
    huge = b"# x\n" * (settings.platforms.max_cookie_bytes // 4 + 1)
    too_big = client.put("/api/v1/settings/platforms/instagram/cookies",
                         headers=admin_headers, content=huge)
    assert too_big.status_code == 413 and too_big.json()["error"] == "PayloadTooLarge"


# -- downloads ---------------------------------------------------------------------------
def test_a_disabled_platform_refuses_new_links_with_409(client, admin_headers, user_headers):
    client.patch("/api/v1/settings/platforms/tiktok", headers=admin_headers,
                 json={"enabled": False})
    answer = client.post("/api/v1/queue", headers=user_headers,
                         json={"url": "https://www.tiktok.com/@some.user"})
    assert answer.status_code == 409 and "TikTok is disabled" in answer.json()["detail"]
    listed = client.get("/api/v1/platforms/tiktok", headers=user_headers).json()
    assert listed["enabled"] is False


def test_the_queue_uses_the_platform_route_and_default_quality(client, admin_headers,
                                                               user_headers):
    client.patch("/api/v1/settings/platforms/youtube", headers=admin_headers,
                 json={"default_quality": "480"})
    job = client.post("/api/v1/queue", headers=user_headers,
                      json={"url": "https://www.instagram.com/p/C0ffeeBean12/"}).json()
    assert (job["platform"], job["engine"]) == ("instagram", "gallerydl")
    video = client.post("/api/v1/queue", headers=user_headers,
                        json={"url": "https://youtu.be/dQw4w9WgXcQ"}).json()
    assert (video["platform"], video["engine"], video["quality"]) == ("youtube", "ytdlp", "480")
    chosen = client.post("/api/v1/queue", headers=user_headers,
                         json={"url": "https://youtu.be/dQw4w9WgXcQ", "quality": "1080"})
    assert chosen.json()["quality"] == "1080"


@pytest.mark.parametrize(("path", "body", "url"), [
    ("/api/v1/platforms/instagram/posts", {"username": "natgeo", "max_items": 12},
     "https://www.instagram.com/natgeo/posts/"),
    ("/api/v1/platforms/instagram/stories", {"username": "@natgeo"},
     "https://www.instagram.com/stories/natgeo/"),
    ("/api/v1/platforms/tiktok/user", {"username": "scout2015", "date_from": "2024-01-01",
                                       "date_to": "2024-03-31"},
     "https://www.tiktok.com/@scout2015"),
    ("/api/v1/platforms/instagram/posts", {"url": "https://www.instagram.com/natgeo/"},
     "https://www.instagram.com/natgeo/"),
    ("/api/v1/platforms/forum/thread", {"url": "https://forum.example.org/threads/a.1/",
                                        "max_items": 40, "date_from": "2024-02-01",
                                        "date_to": "2024-05-31"},
     "https://forum.example.org/threads/a.1/"),
])
def test_seed_shortcuts_queue_the_right_link(client, user_headers, path, body, url):
    answer = client.post(path, headers=user_headers, json=body)
    assert answer.status_code == 201, answer.text
    job = answer.json()
    assert job["url"] == url and job["status"] == "queued"
    for key in ("max_items", "date_from", "date_to"):
        if key in body:
            assert job["options"][key] == body[key]


def test_forum_thread_shortcut_forces_the_forum_engine(client, user_headers):
    answer = client.post("/api/v1/platforms/forum/thread", headers=user_headers,
                         json={"url": "https://board.example.net/forum/123-summer-pictures"})
    assert answer.status_code == 201
    assert (answer.json()["platform"], answer.json()["engine"]) == ("forum", "forum")


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/platforms/instagram/posts", {}),
    ("/api/v1/platforms/instagram/posts", {"username": "a", "url": "https://x.com/"}),
    ("/api/v1/platforms/instagram/posts", {"username": "../../etc"}),
    ("/api/v1/platforms/tiktok/user", {"username": "x", "date_from": "2024-05-01",
                                       "date_to": "2024-01-01"}),
    ("/api/v1/platforms/forum/thread", {"url": "ftp://board.example.net/t/1"}),
    ("/api/v1/platforms/forum/thread", {"url": "https://board.example.net/t/x/1",
                                        "date_from": "2024-05-01", "date_to": "2024-01-01"}),
    ("/api/v1/platforms/forum/thread", {"url": "https://board.example.net/t/x/1",
                                        "username": "bob"}),
    ("/api/v1/platforms/youtube/download", {"url": "https://youtu.be/x", "flags": "--exec"}),
])
def test_bad_shortcut_requests_are_422(client, user_headers, path, body):
    answer = client.post(path, headers=user_headers, json=body)
    assert answer.status_code == 422, answer.text


def test_a_link_of_another_platform_is_a_400(client, user_headers):
    answer = client.post("/api/v1/platforms/instagram/posts", headers=user_headers,
                         json={"url": "https://www.tiktok.com/@scout2015"})
    assert answer.status_code == 400 and "TikTok" in answer.json()["detail"]
    download = client.post("/api/v1/platforms/youtube/download", headers=user_headers,
                           json={"url": "https://vimeo.com/76979871"})
    assert download.status_code == 400


def test_download_sends_any_page_to_a_platform_that_takes_any(client, user_headers, site):
    answer = client.post("/api/v1/platforms/forum/download", headers=user_headers,
                         json={"url": site.url("/gallery"), "priority": "high"})
    assert answer.status_code == 201
    assert (answer.json()["engine"], answer.json()["priority"]) == ("forum", "high")


# -- test --------------------------------------------------------------------------------
def test_testing_a_platform_reads_a_link_now(client, user_headers, site):
    answer = client.post("/api/v1/platforms/forum/test", headers=user_headers,
                         json={"url": site.url(thread_path(1))})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ok"] is True and body["kind"] == "thread" and body["entry_count"] == 7
    assert body["engine"] == "forum" and body["duration_ms"] >= 0


def test_a_failing_test_says_why(client, user_headers, site):
    body = client.post("/api/v1/platforms/generic/test", headers=user_headers,
                       json={"url": site.url("/status/404")}).json()
    assert body["ok"] is False and "404" in body["detail"]


def test_a_platform_without_a_test_link_asks_for_one(client, user_headers):
    answer = client.post("/api/v1/platforms/forum/test", headers=user_headers)
    assert answer.status_code == 400 and "Give a link" in answer.json()["detail"]
