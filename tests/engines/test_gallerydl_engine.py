"""The gallery-dl engine: the program it runs (with the config it writes), what it reads
back, and real gallery-dl runs against the fixture site (its ``directlink`` extractor takes
any URL ending in an image extension, so no library is patched)."""

from __future__ import annotations

import json
import stat
from datetime import date
from pathlib import Path

import pytest

from mediadl.engines.base import EngineError, FetchOptions, FileWritten, Finished
from mediadl.engines.gallerydl import command
from mediadl.engines.gallerydl.engine import GalleryDlEngine
from mediadl.engines.gallerydl.errors import engine_error, error_messages
from mediadl.engines.gallerydl.messages import parse_dump, probe_result
from mediadl.engines.gallerydl.stream import FileDone, FileProgress, parse_line, parse_size
from mediadl.security.addresses import OutboundPolicy
from mediadl.security.outbound import guarded_command
from tests.fixtures.site import FixtureSite

ENGINE = GalleryDlEngine()
OPTIONS = FetchOptions(allow_private_networks=True, socket_timeout=5, retries=1)
M = command.MARK


# -- the command and its config --------------------------------------------------------------
def test_the_command_takes_nothing_but_the_servers_choices(tmp_path: Path):
    options = OPTIONS.model_copy(update={"max_items": 20, "date_from": date(2024, 1, 1),
                                         "date_to": date(2024, 6, 30)})
    argv = command.fetch_command(options, tmp_path / "c.json", "https://imgbox.com/AbCdEfGh")
    assert argv[-2:] == ["--", "https://imgbox.com/AbCdEfGh"]
    assert "--config-ignore" in argv
    assert argv[argv.index("--post-range") + 1] == "1-20"
    assert argv[argv.index("--date-after") + 1] == "2024-01-01"
    assert argv[argv.index("--date-before") + 1] == "2024-06-30"


def test_the_config_carries_cookies_proxy_pace_and_is_private(tmp_path: Path):
    options = OPTIONS.model_copy(update={"cookie_file": tmp_path / "cookies.txt",
                                         "proxy": "http://u:p@proxy.example:3128",
                                         "min_request_interval_s": 3.0})
    path = command.write_config(tmp_path / ".cfg.json",
                                command.config_for(options, tmp_path / "files"))
    config = json.loads(path.read_text())
    extractor = config["extractor"]
    assert extractor["cookies"] == str(tmp_path / "cookies.txt")
    assert extractor["proxy"] == "http://u:p@proxy.example:3128"
    assert extractor["sleep-request"] == 3.0 and extractor["sleep"] == 3.0
    assert extractor["base-directory"] == str(tmp_path / "files")
    assert config["cache"] == {"file": None}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_with_the_outbound_guard_gallery_dl_starts_under_it():
    prefix = tuple(guarded_command(OutboundPolicy(), "", [])[:-1])
    argv = command.program(OPTIONS.model_copy(update={"guarded_python": prefix}))
    assert argv[:3] == [prefix[0], "-m", "mediadl.security.guarded_run"]
    assert argv[-2:] == ["--", "gallery_dl"]


# -- what comes back -------------------------------------------------------------------------
def test_output_lines_become_files_and_progress():
    assert parse_line(f"{M}F /work/job-1/gallery-dl/a.jpg") == FileDone(
        Path("/work/job-1/gallery-dl/a.jpg"), skipped=False)
    assert parse_line(f"{M}S /work/x.jpg") == FileDone(Path("/work/x.jpg"), skipped=True)
    assert parse_line(f"{M}P 42 2.00M 840.00k 1.20M") == FileProgress(840_000, 2_000_000,
                                                                       1_200_000)
    assert parse_line(f"{M}P - - 512 0") == FileProgress(512, None, 0)
    assert parse_line("[1/2] https://example.com/a.jpg") is None


@pytest.mark.parametrize(("text", "size"), [("512", 512), ("30.29K", 30_290),
                                            ("1.50MiB", 1_572_864), ("2.5G", 2_500_000_000),
                                            ("junk", None)])
def test_short_sizes_are_read_back(text, size):
    assert parse_size(text) == size


INSTAGRAM_PROFILE_DUMP = [
    [2, {"category": "instagram", "username": "natgeo", "fullname": "National Geographic"}],
    [3, "https://cdn.example/1.jpg", {
        "category": "instagram", "subcategory": "posts", "post_id": "301",
        "post_shortcode": "C0ffee1", "post_url": "https://www.instagram.com/p/C0ffee1/",
        "username": "natgeo", "description": "Sunrise over the ridge\n#nature",
        "date": "2024-05-01 06:00:00", "num": 1, "extension": "jpg"}],
    [3, "https://cdn.example/2.jpg", {
        "category": "instagram", "post_id": "301", "post_shortcode": "C0ffee1",
        "post_url": "https://www.instagram.com/p/C0ffee1/", "username": "natgeo",
        "num": 2, "extension": "jpg"}],
    [3, "https://cdn.example/3.mp4", {
        "category": "instagram", "post_id": "302", "post_shortcode": "C0ffee2",
        "post_url": "https://www.instagram.com/p/C0ffee2/", "username": "natgeo",
        "description": "A reel", "num": 1, "extension": "mp4"}],
]


def test_a_profile_becomes_one_entry_per_post_keyed_like_the_post_itself():
    dump = parse_dump(json.dumps(INSTAGRAM_PROFILE_DUMP))
    probe = probe_result("https://www.instagram.com/natgeo/", dump, limit=100)
    assert probe.kind == "gallery" and probe.source == "natgeo"
    assert [(entry.url, entry.key, entry.title) for entry in probe.entries] == [
        ("https://www.instagram.com/p/C0ffee1/", "instagram:C0ffee1", "Sunrise over the ridge"),
        ("https://www.instagram.com/p/C0ffee2/", "instagram:C0ffee2", "A reel")]
    # The post on its own has the same archive key as its entry in the profile.
    single = parse_dump(json.dumps(INSTAGRAM_PROFILE_DUMP[:3]))
    post = probe_result("https://www.instagram.com/p/C0ffee1/", single, limit=100)
    assert (post.kind, post.media_id) == ("image", "instagram:C0ffee1")
    assert post.metadata["file_count"] == 2 and post.metadata["author"] == "natgeo"
    assert post.metadata["date"] == "2024-05-01 06:00:00"


def test_queued_links_become_entries():
    dump = parse_dump(json.dumps([
        [6, "https://www.instagram.com/natgeo/posts/", {"category": "instagram"}],
        [6, "https://www.instagram.com/natgeo/reels/", {"category": "instagram"}]]))
    probe = probe_result("https://www.instagram.com/natgeo/", dump, limit=100)
    assert [entry.url for entry in probe.entries] == [
        "https://www.instagram.com/natgeo/posts/", "https://www.instagram.com/natgeo/reels/"]


def test_an_error_in_the_dump_is_reported():
    dump = parse_dump(json.dumps([[-1, {"error": "AuthorizationError",
                                        "message": "Login required"}]]))
    with pytest.raises(EngineError) as caught:
        probe_result("https://www.instagram.com/stories/natgeo/", dump, limit=10)
    assert "Login required" in caught.value.message


def test_log_lines_give_the_reason_and_the_verdict():
    stderr = [f"{M}L warning downloader.http '429 Too Many Requests' for 'https://x/a.jpg'",
              f"{M}L error download Failed to download a.jpg"]
    assert error_messages(stderr) == [
        "Failed to download a.jpg: '429 Too Many Requests' for 'https://x/a.jpg'"]
    assert engine_error(4, stderr).transient
    missing = [f"{M}L error instagram NotFoundError: Requested post could not be found"]
    assert not engine_error(8, missing).transient
    login = [f"{M}L error instagram AuthRequired: cookies needed"]
    assert "upload its cookies.txt" in engine_error(16, login).message
    assert not engine_error(64, [f"{M}L error gallery-dl Unsupported URL 'x'"]).transient


def test_a_listed_post_is_probed_without_asking_instagram_again():
    entry = OPTIONS.model_copy(update={"collection_entry": True})
    probe = ENGINE.probe("https://www.instagram.com/p/C0ffee1/", entry)
    assert probe.kind == "image" and probe.media_id is None


# -- gallery-dl itself, against the fixture site ---------------------------------------------
def test_probe_of_a_direct_image(site: FixtureSite):
    probe = ENGINE.probe(site.url("/files/full1.jpg"), OPTIONS)
    assert probe.kind == "image" and probe.media_id.startswith("directlink:")
    assert probe.metadata["extractor"] == "gallery-dl"


def test_fetch_reports_each_file_with_metadata(site: FixtureSite, fixture_media, tmp_path):
    events: list[object] = []
    ENGINE.fetch(site.url("/files/full2.jpg"), tmp_path, OPTIONS, events.append)
    [file] = [event for event in events if isinstance(event, FileWritten)]
    assert file.path.is_relative_to(tmp_path)
    assert file.path.read_bytes() == fixture_media.full_images[1].read_bytes()
    assert file.metadata["webpage_url"] == site.url("/files/full2.jpg")
    assert events[-1] == Finished(files=1)
    assert not (tmp_path / command.CONFIG_NAME).exists()  # the config is gone


def test_a_page_gallery_dl_does_not_know_is_a_permanent_error(site: FixtureSite):
    with pytest.raises(EngineError) as caught:
        ENGINE.probe(site.url("/page/video"), OPTIONS)
    assert not caught.value.transient and "cannot read this link" in caught.value.message


def test_too_many_requests_is_transient_and_says_429(site: FixtureSite, tmp_path: Path):
    with pytest.raises(EngineError) as caught:
        ENGINE.fetch(site.url("/status/429.jpg"), tmp_path,
                     OPTIONS.model_copy(update={"retries": 0}), lambda _event: None)
    assert caught.value.transient and "429" in caught.value.message


def test_under_the_outbound_guard_gallery_dl_cannot_reach_private_addresses(
        site: FixtureSite, tmp_path: Path):
    prefix = tuple(guarded_command(OutboundPolicy(), "", [])[:-1])
    guarded = OPTIONS.model_copy(update={"guarded_python": prefix, "retries": 0})
    with pytest.raises(EngineError):
        ENGINE.fetch(site.url("/files/full3.jpg"), tmp_path, guarded, lambda _event: None)
    assert not any(request.path == "/files/full3.jpg" for request in site.requests)
    allowed = tuple(guarded_command(OutboundPolicy.from_strings(["127.0.0.0/8"]), "",
                                    [])[:-1])
    events: list[object] = []
    ENGINE.fetch(site.url("/files/full3.jpg"), tmp_path,
                 guarded.model_copy(update={"guarded_python": allowed}), events.append)
    assert any(isinstance(event, FileWritten) for event in events)


def test_mediadl_never_imports_gallery_dl():
    """gallery-dl is GPL-2.0-only: it must stay a separate program (ADR 0008)."""
    source = Path(__file__).resolve().parents[2] / "src" / "mediadl"
    offenders = [str(path) for path in source.rglob("*.py")
                 if "import gallery_dl" in path.read_text()
                 or "from gallery_dl" in path.read_text()]
    assert offenders == []
