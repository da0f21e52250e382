"""The library page's large-library rules, shown on a small library by shrinking the limits:
relevance over a window of the newest matches, common words matched as themselves, totals
from the roll-up or counted up to a limit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from mediadl.core.settings import Settings
from mediadl.db.session import Database
from mediadl.library import listing, search
from tests.conftest import ON_POSTGRES
from tests.stats.support import add_download, cheap

API = "/api/v1/downloads"
START = datetime(2026, 5, 1, 9, 0)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return cheap(settings)


@pytest.fixture
def alice(make_user) -> int:  # type: ignore[no-untyped-def]
    return make_user("alice")


@pytest.fixture
def headers(alice: int, login) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return login("alice")


def _add(database: Database, owner: int, minutes: int, **fields: object):  # type: ignore[no-untyped-def]
    return add_download(database, None, owner, created_at=START + timedelta(minutes=minutes),
                        **fields)


def _page(client: TestClient, headers: dict[str, str], **params: object) -> dict:  # type: ignore[type-arg]
    answer = client.get(API, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_relevance_ranks_the_newest_matches_then_continues_by_date(
        client: TestClient, headers: dict[str, str], database: Database, alice: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "RANK_WINDOW", 3)
    oldest = _add(database, alice, 0, title="Penguin march")
    older = _add(database, alice, 1, title="Birds", description="a penguin")
    in_description = _add(database, alice, 2, title="Ice", description="penguin colony")
    in_title = _add(database, alice, 3, title="Penguin documentary")
    tagged = _add(database, alice, 4, title="Antarctica", tags="penguin")
    _add(database, alice, 5, title="Unrelated")
    first = _page(client, headers, q="penguin", page_size=2)
    second = _page(client, headers, q="penguin", page_size=2, page=2)
    third = _page(client, headers, q="penguin", page_size=2, page=3)
    order = [item["id"] for page in (first, second, third) for item in page["items"]]
    # The window (three newest matches) best first, then the older ones newest first.
    assert order == [in_title.id, tagged.id, in_description.id, older.id, oldest.id]
    assert first["total_exact"] is False and first["total"] >= 3


def test_a_small_result_is_ranked_completely_and_counted_exactly(
        client: TestClient, headers: dict[str, str], database: Database, alice: int) -> None:
    weak = _add(database, alice, 0, title="Ice", description="penguin")
    strong = _add(database, alice, 1, title="Penguin")
    page = _page(client, headers, q="penguin")
    assert [item["id"] for item in page["items"]] == [strong.id, weak.id]
    assert (page["total"], page["total_exact"]) == (2, True)
    by_date = _page(client, headers, q="penguin", sort="created_at", order="asc")
    assert [item["id"] for item in by_date["items"]] == [weak.id, strong.id]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite only: PostgreSQL's GIN index matches every "
                    "word as a prefix without the common-word fallback")
def test_a_common_word_is_matched_as_itself(client: TestClient, headers: dict[str, str],
                                            database: Database, alice: int,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "COMMON_WORD_MATCHES", 2)
    plain = [_add(database, alice, minute, title=f"Cook night {minute}") for minute in range(2)]
    book = _add(database, alice, 5, title="Cookbook review")
    assert {item["id"] for item in _page(client, headers, q="cook")["items"]} == {
        row.id for row in plain}
    assert [item["id"] for item in _page(client, headers, q="cookb")["items"]] == [book.id]
    # A rare word still finds its longer forms while a person is typing.
    assert [item["id"] for item in _page(client, headers, q="revi")["items"]] == [book.id]


def test_totals_come_from_the_rollup_for_its_filters(client: TestClient,
                                                     headers: dict[str, str],
                                                     database: Database, alice: int,
                                                     make_user,  # type: ignore[no-untyped-def]
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # A tiny count limit proves these totals were not counted row by row.
    monkeypatch.setattr(listing, "COUNT_LIMIT", 1)
    bob = make_user("bob")
    for minute, platform, kind in ((0, "youtube", "video"), (1, "youtube", "audio"),
                                   (2, "tiktok", "video"), (60 * 24 * 3, "youtube", "video")):
        _add(database, alice, minute, platform=platform, kind=kind)
    _add(database, bob, 0, platform="youtube", kind="video")
    cases = [({}, 4), ({"platform": "youtube"}, 3), ({"kind": "video"}, 3),
             ({"platform": "youtube", "kind": "video"}, 2),
             ({"date_from": "2026-05-01", "date_to": "2026-05-01"}, 3),
             ({"platform": "youtube", "date_from": "2026-05-02"}, 1)]
    for params, expected in cases:
        page = _page(client, headers, **params)
        assert (page["total"], page["total_exact"]) == (expected, True), params
        assert len(page["items"]) == expected, params


def test_other_totals_are_counted_up_to_a_limit(client: TestClient, headers: dict[str, str],
                                                database: Database, alice: int,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listing, "COUNT_LIMIT", 3)
    for minute in range(5):
        _add(database, alice, minute, size=100 + minute, kind="video")
    capped = _page(client, headers, min_size=100)
    assert (capped["total"], capped["total_exact"]) == (3, False)
    assert len(capped["items"]) == 5  # the page itself is complete
    exact = _page(client, headers, min_size=103)
    assert (exact["total"], exact["total_exact"]) == (2, True)
    # A kind with a time of day is not a whole-day range: counted, and right.
    timed = _page(client, headers, kind="video", date_from="2026-05-01T09:02:00Z")
    assert (timed["total"], timed["total_exact"]) == (3, False)
    assert len(timed["items"]) == 3
