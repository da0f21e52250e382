"""The forum engine against the fixture site's thread, image-host pages and gallery."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediadl.engines.base import EngineError, FetchOptions, FileWritten, Finished, Progress
from mediadl.engines.forum.engine import ForumEngine
from mediadl.engines.ratelimit import pacer_for
from tests.fixtures.forum_pages import Item, default_forum_posts, full_image_names, thread_path
from tests.fixtures.site import FixtureSite

ENGINE = ForumEngine()
OPTIONS = FetchOptions(allow_private_networks=True, socket_timeout=5, retries=1)
ENTRY = OPTIONS.model_copy(update={"collection_entry": True})


def thread_url(site: FixtureSite, page: int = 1) -> str:
    return site.url(thread_path(page))


def fetch(url: str, dest: Path, options: FetchOptions = ENTRY) -> list[object]:
    events: list[object] = []
    ENGINE.fetch(url, dest, options, events.append)
    return events


def written(events: list[object]) -> list[FileWritten]:
    return [event for event in events if isinstance(event, FileWritten)]


def test_a_thread_lists_every_posted_image_once_and_nothing_else(site: FixtureSite):
    probe = ENGINE.probe(thread_url(site), OPTIONS)
    assert (probe.kind, probe.title, probe.entry_count) == ("thread", "Fixture photos", 7)
    assert [entry.url.removeprefix(site.base_url) for entry in probe.entries] == [
        "/host/img/1", "/host/img/2", "/host/img/3", "/files/full4.jpg", "/host/img/5",
        "/files/full6.jpg", "/host/img/7"]
    assert all(entry.key == entry.url for entry in probe.entries)
    assert probe.metadata["last_page_url"] == thread_url(site, 3)
    assert (probe.metadata["pages_read"], probe.metadata["last_post_id"]) == (3, "6")
    # Only the three thread pages were read: no thumbnail, avatar or host page.
    assert [request.path for request in site.requests] == [
        thread_path(1), thread_path(2), thread_path(3)]


def test_an_entry_is_probed_without_a_request(site: FixtureSite):
    probe = ENGINE.probe(site.url("/host/img/1"), ENTRY)
    assert (probe.kind, probe.media_id) == ("image", site.url("/host/img/1"))
    assert site.requests == []


@pytest.mark.parametrize(("link", "full"), [
    ("/host/img/1", "full1.jpg"),   # og:image
    ("/host/img/2", "full2.jpg"),   # no og:image: the page's main image
    ("/files/full4.jpg", "full4.jpg"),  # a direct link
])
def test_each_link_gives_exactly_its_full_size_image(site: FixtureSite, fixture_media,
                                                     tmp_path: Path, link: str, full: str):
    events = fetch(site.url(link), tmp_path)
    [file] = written(events)
    assert file.path.read_bytes() == (fixture_media.root / full).read_bytes()
    assert file.media_id == site.url(link)
    assert file.metadata["image_url"] == site.url(f"/files/{full}")
    assert isinstance(events[-1], Finished) and any(isinstance(e, Progress) for e in events)
    fetched = [request.path for request in site.requests if request.path.startswith("/files/")]
    assert fetched == [f"/files/{full}"]  # never the thumbnail, the logo or the ad


def test_a_re_run_from_the_last_page_reads_one_page(site: FixtureSite):
    resumed = OPTIONS.model_copy(update={"resume_from_url": thread_url(site, 3)})
    probe = ENGINE.probe(thread_url(site), resumed)
    assert [entry.url for entry in probe.entries] == [site.url("/host/img/7")]
    assert [request.path for request in site.requests] == [thread_path(3)]


def test_a_new_post_after_the_last_page_is_found_from_there(site: FixtureSite):
    site.forum_posts = [*default_forum_posts(), [Item("host", 8)]]
    resumed = OPTIONS.model_copy(update={"resume_from_url": thread_url(site, 3)})
    probe = ENGINE.probe(thread_url(site), resumed)
    assert [entry.url for entry in probe.entries] == [site.url("/host/img/7"),
                                                      site.url("/host/img/8")]
    assert probe.metadata["last_page_url"] == thread_url(site, 4)


def test_a_vanished_last_page_means_reading_from_the_start(site: FixtureSite):
    resumed = OPTIONS.model_copy(update={"resume_from_url": thread_url(site, 9)})
    probe = ENGINE.probe(thread_url(site), resumed)
    assert probe.entry_count == 7
    assert [r.path for r in site.requests][:2] == [thread_path(9), thread_path(1)]


def test_max_items_stops_the_listing_early(site: FixtureSite):
    limited = OPTIONS.model_copy(update={"max_items": 2})
    probe = ENGINE.probe(thread_url(site), limited)
    assert probe.entry_count == 2 and len(site.requests) == 1


def test_a_gallery_page_gives_its_full_size_images(site: FixtureSite):
    probe = ENGINE.probe(site.url("/gallery"), OPTIONS)
    assert probe.kind == "gallery"
    assert [entry.url for entry in probe.entries] == [site.url("/files/image.jpg"),
                                                      site.url("/files/image2.png")]


def test_an_image_host_page_given_on_its_own_is_one_image(site: FixtureSite, tmp_path: Path):
    probe = ENGINE.probe(site.url("/host/img/3"), OPTIONS)
    assert (probe.kind, probe.media_id) == ("image", site.url("/host/img/3"))
    assert probe.thumbnail == site.url("/files/full3.jpg")


def test_a_direct_image_link_on_its_own(site: FixtureSite, tmp_path: Path):
    probe = ENGINE.probe(site.url("/files/full5.jpg"), OPTIONS)
    assert (probe.kind, probe.media_id) == ("image", site.url("/files/full5.jpg"))
    [file] = written(fetch(site.url("/files/full5.jpg"), tmp_path, OPTIONS))
    assert file.path.name == "full5.jpg"


def test_a_page_without_images_says_so(site: FixtureSite):
    with pytest.raises(EngineError) as caught:
        ENGINE.probe(site.url("/page/html5"), OPTIONS)
    assert not caught.value.transient and "No image links" in caught.value.message


def test_too_many_requests_is_transient_with_retry_after(site: FixtureSite):
    with pytest.raises(EngineError) as caught:
        ENGINE.probe(site.url("/status/429?retry_after=7"), OPTIONS)
    error = caught.value
    assert error.transient and error.retry_after == 7 and "429" in error.message


def test_a_missing_image_is_permanent(site: FixtureSite, tmp_path: Path):
    with pytest.raises(EngineError) as caught:
        fetch(site.url("/files/nothing-here.jpg"), tmp_path)
    assert not caught.value.transient and "404" in caught.value.message


def test_every_fixture_image_is_distinct(fixture_media):
    names = full_image_names(default_forum_posts())
    digests = {fixture_media.sha256[name] for name in names}
    assert len(digests) == len(names) == 7


def test_the_pacer_keeps_the_least_interval_between_requests():
    slept: list[float] = []
    pacer = pacer_for(FetchOptions(min_request_interval_s=2.0), sleep=slept.append)
    pacer.wait()
    pacer.wait()
    pacer.wait()
    assert slept[0] == pytest.approx(2.0, abs=0.1) and len(slept) == 2
    assert slept[1] == pytest.approx(4.0, abs=0.2)


def test_the_pacer_is_shared_between_processes_through_a_file(tmp_path: Path):
    options = FetchOptions(min_request_interval_s=5.0, shared_state_dir=tmp_path,
                           platform="forum")
    first, second = [], []
    pacer_for(options, sleep=first.append).wait()
    pacer_for(options, sleep=second.append).wait()  # another job process, same platform
    assert first == [] and second and second[0] == pytest.approx(5.0, abs=0.2)
