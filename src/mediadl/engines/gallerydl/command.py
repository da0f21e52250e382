"""The gallery-dl command line and the config file it reads, built from FetchOptions only.

Nothing from a request reaches gallery-dl: the URL was validated and routed, and every
option below is the server's. The config file may name a cookie file and a proxy with a
password, so it is written 0600 into a folder of the job and removed after the run.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from mediadl.engines.base import FetchOptions

MODULE = "gallery_dl"
CONFIG_NAME = ".gallery-dl.json"
META_DIR = ".meta"
# Markers at the start of the lines this engine reads back (an ASCII record separator
# cannot appear in a path gallery-dl prints, nor in a log line it would start with).
MARK = "\x1e"
OUTPUT_MODE = {
    "start": "",
    "success": MARK + "F {}\n",
    "skip": MARK + "S {}\n",
    "progress": MARK + "P - - {0} {1}\n",
    "progress-total": MARK + "P {3} {2} {0} {1}\n",
}
LOG_FORMAT = MARK + "L {levelname} {name} {message}"
PROGRESS_EVERY_S = 0.5


def program(options: FetchOptions) -> list[str]:
    """How to start gallery-dl: under the outbound guard when it is on, else the script
    installed next to this Python (or ``python -m gallery_dl`` when there is none)."""
    if options.guarded_python is not None:
        return [*options.guarded_python, MODULE]
    script = Path(sys.executable).parent / "gallery-dl"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", MODULE]


def selection_args(options: FetchOptions) -> list[str]:
    """Which posts: the first ``max_items``, within the dates (validated dates, never text)."""
    args: list[str] = []
    if options.max_items:
        args += ["--post-range", f"1-{options.max_items}"]
    if options.date_from:
        args += ["--date-after", options.date_from.isoformat()]
    if options.date_to:
        args += ["--date-before", options.date_to.isoformat()]
    return args


def probe_command(options: FetchOptions, config: Path, url: str) -> list[str]:
    return [*program(options), "--config-ignore", "--config-json", str(config),
            "--dump-json", *selection_args(options), "--", url]


def fetch_command(options: FetchOptions, config: Path, url: str) -> list[str]:
    return [*program(options), "--config-ignore", "--config-json", str(config),
            *selection_args(options), "--", url]


def config_for(options: FetchOptions, files_dir: Path) -> dict[str, Any]:
    return {
        "extractor": extractor_config(options, files_dir),
        "downloader": downloader_config(options),
        "output": {"mode": OUTPUT_MODE, "shorten": False, "progress": True, "ansi": False,
                   "log": {"level": "info", "format": LOG_FORMAT}},
        "cache": {"file": None},
    }


def extractor_config(options: FetchOptions, files_dir: Path) -> dict[str, Any]:
    config: dict[str, Any] = {
        "base-directory": str(files_dir),
        "directory": [],
        "path-restrict": "auto",
        "skip": True,
        "retries": options.retries,
        "timeout": options.socket_timeout,
        "postprocessors": [{"name": "metadata", "mode": "json", "event": "file",
                            "directory": META_DIR}],
    }
    if options.cookie_file is not None:
        config["cookies"] = str(options.cookie_file)
    if options.proxy:
        config["proxy"] = options.proxy
    return {**config, **pacing_config(options.min_request_interval_s)}


def pacing_config(interval_s: float) -> dict[str, Any]:
    """gallery-dl waits before each request of an extractor and before each file; within
    its own process only: the job layer spaces job starts across processes."""
    if not interval_s:
        return {}
    return {"sleep-request": interval_s, "sleep": interval_s}


def downloader_config(options: FetchOptions) -> dict[str, Any]:
    config: dict[str, Any] = {"part": True, "mtime": False, "progress": PROGRESS_EVERY_S,
                              "retries": options.retries, "timeout": options.socket_timeout}
    if options.speed_limit_bps:
        config["rate"] = options.speed_limit_bps
    return config


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(config, handle)
    return path
