"""/api/v1/logs: the JSON-lines log files read back - filtered, paged newest first,
downloaded, cleared - including while the server's own handler keeps writing."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mediadl.core.settings import Settings
from mediadl.db.session import Database
from mediadl.logs.files import LOG_FILE_NAME, JsonLinesFileHandler
from tests.stats.support import add_job, cheap

API = "/api/v1/logs"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return cheap(settings)


def _record(minute: int, level: str = "INFO", module: str = "mediadl.jobs.runner",
            message: str = "working", job_id: int | None = None) -> dict:  # type: ignore[type-arg]
    record = {"timestamp": f"2026-11-20T10:{minute:02d}:00.000Z", "level": level,
              "module": module, "message": message, "process": 1}
    if job_id is not None:
        record["job_id"] = job_id
    return record


def _write(path: Path, records: list[dict]) -> None:  # type: ignore[type-arg]
    path.write_text("".join(json.dumps(record) + "\n" for record in records) + "not json\n")


@pytest.fixture
def logs(settings: Settings, database: Database, make_user) -> dict:  # type: ignore[no-untyped-def]
    """mediadl.log.1 (older) and mediadl.log (current); alice owns job A, bob job B."""
    alice, bob = make_user("alice"), make_user("bob")
    mine, theirs = add_job(database, alice).id, add_job(database, bob).id
    _write(settings.log_dir / f"{LOG_FILE_NAME}.1", [
        _record(0, message="server started", module="mediadl.main"),
        _record(1, level="WARNING", message="slow answer", job_id=mine),
        _record(2, level="ERROR", message="Download FAILED badly", job_id=theirs)])
    _write(settings.log_dir / LOG_FILE_NAME, [
        _record(3, level="DEBUG", message="noise", module="mediadl.engines.ytdlp"),
        _record(4, message="finished", job_id=mine),
        _record(5, level="CRITICAL", message="disk gone", module="mediadl.storage.guard")])
    return {"mine": mine, "theirs": theirs}


def _messages(answer) -> list[str]:  # type: ignore[no-untyped-def]
    assert answer.status_code == 200, answer.text
    return [item["message"] for item in answer.json()["items"]]


def test_admins_see_everything_newest_first(client: TestClient, admin_headers: dict[str, str],
                                            logs: dict) -> None:
    answer = client.get(API, headers=admin_headers)
    assert _messages(answer) == ["disk gone", "finished", "noise", "Download FAILED badly",
                                 "slow answer", "server started"]
    assert answer.json()["total"] == 6


def test_filters(client: TestClient, admin_headers: dict[str, str], logs: dict) -> None:
    def messages(**params: object) -> list[str]:
        return _messages(client.get(API, params=params, headers=admin_headers))

    assert messages(level="WARNING") == ["disk gone", "Download FAILED badly", "slow answer"]
    assert messages(module="mediadl.jobs") == ["finished", "Download FAILED badly",
                                               "slow answer"]
    assert messages(module="mediadl.job") == []  # a logger name, not a text prefix
    assert messages(job_id=logs["mine"]) == ["finished", "slow answer"]
    assert messages(q="failed") == ["Download FAILED badly"]
    assert messages(since="2026-11-20T10:02:00Z", until="2026-11-20T10:04:00Z") == [
        "finished", "noise", "Download FAILED badly"]
    page = client.get(API, params={"page": 2, "page_size": 4}, headers=admin_headers).json()
    assert [item["message"] for item in page["items"]] == ["slow answer", "server started"]
    assert (page["total"], page["page"], page["page_size"]) == (6, 2, 4)


def test_a_user_sees_only_records_of_their_jobs(client: TestClient, login, logs: dict) -> None:  # type: ignore[no-untyped-def]
    alice = login("alice")
    assert _messages(client.get(API, headers=alice)) == ["finished", "slow answer"]
    assert _messages(client.get(API, params={"job_id": logs["theirs"]}, headers=alice)) == []


def test_bad_parameters_are_422(client: TestClient, admin_headers: dict[str, str]) -> None:
    for params in ({"level": "LOUD"}, {"since": "last tuesday"}, {"page_size": 5000},
                   {"page": 1000, "page_size": 1000}):
        answer = client.get(API, params=params, headers=admin_headers)
        assert answer.status_code == 422, params
        assert answer.json()["error"] == "InvalidPayload"
    assert client.get(API).status_code == 401


def test_download_is_json_lines_oldest_first(client: TestClient, admin_headers: dict[str, str],
                                             logs: dict) -> None:
    answer = client.get(f"{API}/download", params={"level": "WARNING"}, headers=admin_headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in answer.headers["content-disposition"]
    lines = [json.loads(line) for line in answer.text.splitlines()]
    assert [line["message"] for line in lines] == ["slow answer", "Download FAILED badly",
                                                   "disk gone"]


@pytest.fixture
def live_handler(settings: Settings) -> Iterator[logging.Logger]:
    """The server's own file handler, writing into the same folder."""
    handler = JsonLinesFileHandler(settings.log_dir / LOG_FILE_NAME, 10 * 1024 * 1024, 3, 14)
    logger = logging.getLogger("mediadl.testwriter")
    root = logging.getLogger()
    root.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger
    root.removeHandler(handler)
    handler.close()


def test_clearing_is_for_admins_and_keeps_newer_records(
        client: TestClient, admin_headers: dict[str, str], login, logs: dict,  # type: ignore[no-untyped-def]
        settings: Settings, live_handler: logging.Logger) -> None:
    assert client.delete(API, headers=login("bob")).status_code == 403
    live_handler.info("written before clearing")
    answer = client.delete(API, params={"before": "2026-11-20T10:03:30Z"},
                           headers=admin_headers)
    assert answer.status_code == 200 and answer.json()["removed"] >= 4
    assert not (settings.log_dir / f"{LOG_FILE_NAME}.1").exists()  # nothing left in it
    live_handler.info("written after clearing")
    remaining = _messages(client.get(API, headers=admin_headers))
    assert remaining[:2] == ["written after clearing", "written before clearing"]
    assert remaining[2:] == ["disk gone", "finished"]
    client.delete(API, headers=admin_headers)
    live_handler.info("a fresh start")
    assert _messages(client.get(API, headers=admin_headers)) == ["a fresh start"]
