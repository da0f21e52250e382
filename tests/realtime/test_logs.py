"""Structured logs: JSON lines with level, module, message, time and job id; the rotating
file with its size and age limits; job processes' records forwarded to the server; the
/ws/logs stream with per-socket filters."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from mediadl.logs.context import job_context
from mediadl.logs.files import DAY_SECONDS, LOG_FILE_NAME, JsonLinesFileHandler
from mediadl.logs.formatter import JsonLineFormatter
from mediadl.logs.jobs import configure_job_logging, reemit
from mediadl.logs.setup import install_logging
from tests.realtime.conftest import drain, open_socket, receive, receive_until


def _record(message: str = "hello", level: int = logging.INFO, **extra) -> logging.LogRecord:
    logger = logging.getLogger("mediadl.tests.logs")
    return logger.makeRecord(logger.name, level, __file__, 1, message, (), None, extra=extra)


def test_a_record_is_one_json_line():
    line = json.loads(JsonLineFormatter().format(_record("Saved “Clip” (3 MB)", job_id=12)))
    assert line["level"] == "INFO" and line["module"] == "mediadl.tests.logs"
    assert line["message"] == "Saved “Clip” (3 MB)" and line["job_id"] == 12
    assert line["timestamp"].endswith("Z") and line["process"] == os.getpid()


def test_the_job_id_comes_from_the_context_and_exceptions_are_kept():
    with job_context(5):
        plain = json.loads(JsonLineFormatter().format(_record()))
    try:
        raise ValueError("bad")
    except ValueError:
        record = _record(level=logging.ERROR)
        record.exc_info = __import__("sys").exc_info()
    failed = json.loads(JsonLineFormatter().format(record))
    assert plain["job_id"] == 5
    assert "job_id" not in failed and "ValueError: bad" in failed["exception"]


def test_the_file_rotates_at_its_size_and_keeps_backup_count(tmp_path):
    handler = JsonLinesFileHandler(tmp_path / LOG_FILE_NAME, max_bytes=2000, backup_count=2,
                                   max_age_days=7)
    for n in range(100):
        handler.emit(_record(f"line {n} " + "x" * 50))
    handler.close()
    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == [LOG_FILE_NAME, f"{LOG_FILE_NAME}.1", f"{LOG_FILE_NAME}.2"]
    for path in tmp_path.iterdir():
        assert path.stat().st_size <= 2000
        for text in path.read_text().splitlines():
            assert json.loads(text)["message"].startswith("line ")


def test_old_rotated_files_are_deleted_and_the_file_rolls_daily(tmp_path):
    old, young = tmp_path / f"{LOG_FILE_NAME}.3", tmp_path / f"{LOG_FILE_NAME}.1"
    for path in (old, young):
        path.write_text("{}\n")
    ten_days_ago = time.time() - 10 * DAY_SECONDS
    os.utime(old, (ten_days_ago, ten_days_ago))
    handler = JsonLinesFileHandler(tmp_path / LOG_FILE_NAME, max_bytes=10**6, backup_count=5,
                                   max_age_days=7)
    assert not old.exists() and young.exists()
    handler.emit(_record("yesterday"))
    handler._opened_at -= DAY_SECONDS + 1
    handler.emit(_record("today"))
    handler.close()
    assert json.loads((tmp_path / LOG_FILE_NAME).read_text())["message"] == "today"
    assert json.loads(young.read_text())["message"] == "yesterday"


def test_installed_handlers_write_the_file_and_go_away_again(settings):
    root = logging.getLogger()
    before = list(root.handlers)
    published = []
    installed = install_logging(settings, published.append)
    logging.getLogger("mediadl.tests").info("queued %s", "clip", extra={"job_id": 3})
    logging.getLogger("mediadl.realtime.redis_hub").warning("Redis is away")
    installed.remove()
    assert root.handlers == before
    lines = [json.loads(text) for text in
             (settings.log_dir / LOG_FILE_NAME).read_text().splitlines()]
    assert {"message": "queued clip", "job_id": 3}.items() <= lines[0].items()
    assert [fields["message"] for fields in published] == ["queued clip"]


def _job_process(conn) -> None:
    send = configure_job_logging(41, conn.send)
    logging.getLogger("mediadl.engines.ytdlp").info("fetching %s", "clip")
    logging.getLogger("mediadl.jobs.runner").debug("not at INFO")
    send(("done", "completed"))
    conn.close()


def test_job_process_records_reach_the_server_with_their_job_id(caplog):
    caplog.set_level(logging.INFO)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=False)
    process = context.Process(target=_job_process, args=(theirs,))
    process.start()
    theirs.close()
    messages = []
    while (message := ours.recv())[0] != "done":
        messages.append(message)
    process.join(30)
    assert [kind for kind, _ in messages] == ["log"]
    fields = messages[0][1]
    assert fields["job_id"] == 41 and fields["process"] == process.pid
    reemit(fields)
    record = next(r for r in caplog.records if r.name == "mediadl.engines.ytdlp")
    assert record.getMessage() == "fetching clip" and record.job_id == 41


# -- /ws/logs on a live server -----------------------------------------------------------


def _is_log(text):
    return lambda m: m["type"] == "log" and m["data"]["message"] == text


@pytest.mark.timeout(120)
def test_the_log_stream_follows_each_sockets_filter(live, account):
    admin = account("root", role="admin")
    logging.getLogger("mediadl.tests").warning("before anyone listened")
    with open_socket(live, admin, "logs") as ws:
        snapshot = receive(ws)["data"]
        assert "before anyone listened" in [line["message"] for line in snapshot["items"]]
        logging.getLogger("mediadl.jobs.runner").info("job info", extra={"job_id": 9})
        line = receive_until(ws, _is_log("job info"))[-1]["data"]
        assert {"level": "INFO", "module": "mediadl.jobs.runner", "job_id": 9}.items() \
            <= line.items()

        ws.send(json.dumps({"type": "filter", "level": "WARNING", "module": "mediadl.jobs"}))
        filtered = receive_until(ws, lambda m: m["type"] == "snapshot")[-1]["data"]
        assert filtered["filter"]["level"] == "WARNING"
        assert all(item["level"] != "INFO" for item in filtered["items"])
        logging.getLogger("mediadl.jobs.runner").info("too quiet")
        logging.getLogger("mediadl.queue").warning("other module")
        logging.getLogger("mediadl.jobsearch").warning("only a prefix")
        logging.getLogger("mediadl.jobs.dispatcher").warning("wanted")
        assert [m["data"]["message"] for m in receive_until(ws, _is_log("wanted"))] \
            == ["wanted"]
        ws.send(json.dumps({"type": "filter", "level": "LOUD"}))
        assert receive(ws)["type"] == "error"
        assert drain(ws) == []
    log_file = Path(live.context.settings.log_dir) / LOG_FILE_NAME
    assert any(json.loads(text).get("job_id") == 9
               for text in log_file.read_text().splitlines())
