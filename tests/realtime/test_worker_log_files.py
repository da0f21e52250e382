"""Worker hosts write their own log files next to the server's; the log query reads them
all, merged by time, and clearing reaches them too (a worker then writes a new file)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from mediadl.logs import query
from mediadl.logs.files import LOG_FILE_NAME
from mediadl.logs.setup import SharedLogFileHandler, worker_log_name


def _write(path: Path, *records: tuple[str, str]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for stamp, message in records:
            handle.write(json.dumps({"timestamp": stamp, "level": "INFO",
                                     "module": "mediadl.test", "message": message}) + "\n")


def test_server_and_worker_files_are_read_as_one_log_in_time_order(tmp_path):
    _write(tmp_path / f"{LOG_FILE_NAME}.1", ("2026-01-01T10:00:00", "server 1"))
    _write(tmp_path / LOG_FILE_NAME, ("2026-01-01T10:00:03", "server 2"))
    _write(tmp_path / worker_log_name("host-a"), ("2026-01-01T10:00:01", "worker a"),
           ("2026-01-01T10:00:04", "worker a again"))
    _write(tmp_path / worker_log_name("host-b"), ("2026-01-01T10:00:02", "worker b"))
    messages = [record["message"] for record in query.records(tmp_path, query.LogFilter())]
    assert messages == ["server 1", "worker a", "worker b", "server 2", "worker a again"]
    page, total = query.page_of(tmp_path, query.LogFilter(q="worker"), 1, 2)
    assert total == 3 and [r["message"] for r in page] == ["worker a again", "worker b"]


def test_clearing_empties_worker_files_and_the_worker_writes_on(tmp_path):
    handler = SharedLogFileHandler(tmp_path / worker_log_name("host-a"), 1 << 20, 3, 7)
    logger = logging.getLogger("mediadl.test.worker-file")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("before the clear")
        assert query.clear(tmp_path, None) == 1
        logger.warning("after the clear")
    finally:
        logger.removeHandler(handler)
        handler.close()
    messages = [record["message"] for record in query.records(tmp_path, query.LogFilter())]
    assert messages == ["after the clear"]


def test_worker_file_names_are_safe_and_match_the_query():
    name = worker_log_name("odd host/../name")
    assert "/" not in name and name.startswith("mediadl-worker-") and name.endswith(".log")
