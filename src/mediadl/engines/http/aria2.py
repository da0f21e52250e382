"""aria2c for large files, when it is installed. mediadl never requires it.

aria2c is a native program: on a fast link it writes a big file with less CPU than a
Python process, which matters on a small machine that is also serving the web UI. For
small files its start-up and the extra HEAD request cost more than they save, and it
cannot share the speed-limit buckets of the other job processes, so it only takes files
of ``MIN_SIZE`` or more when no speed limit is set. It resumes with its own control file
(``<part>.aria2``).

Where the outbound guard is on, it refuses to start programs that open network addresses
themselves (it cannot check where they connect): the transfer then stays in Python.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from mediadl.engines.base import EngineError, FetchOptions
from mediadl.engines.http.client import default_headers, make_client
from mediadl.engines.http.digest import file_matches
from mediadl.engines.http.naming import is_web_page
from mediadl.engines.http.remote import RemoteFile, remote_from_response
from mediadl.engines.http.state import state_path
from mediadl.engines.http.transfer import (
    OnProgress,
    OnStart,
    TransferRequest,
    TransferResult,
    TransferStatus,
    discard,
)
from mediadl.engines.http.transfer import download as native_download

PROGRAM = "aria2c"
MIN_SIZE = 256 * 1024 * 1024
CONTROL_SUFFIX = ".aria2"
UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}
_READOUT = re.compile(
    r"\[#\w+ (?P<done>[\d.]+)(?P<done_unit>[KMGT]?i?B)/(?P<total>[\d.]+)(?P<total_unit>[KMGT]?i?B)"
    r"\(\d+%\) CN:(?P<connections>\d+)"
    r"(?: DL:(?P<speed>[\d.]+)(?P<speed_unit>[KMGT]?i?B))?")
# aria2c's exit codes that another attempt will not change.
PERMANENT_EXITS = {3: "The server has no such file.", 9: "There is not enough disk space.",
                   24: "The server refused the credentials.",
                   16: "The file could not be created."}


def program() -> str | None:
    return shutil.which(PROGRAM)


def wanted(options: FetchOptions, part: Path) -> bool:
    """Whether aria2c may take this download (its size is checked once it is known)."""
    if not options.use_aria2c or program() is None:
        return False
    if options.speed_limit_bps or options.global_speed_limit_bps:
        return False
    if options.proxy or options.cookie_file or options.min_request_interval_s:
        return False  # a platform's proxy, cookies and pace stay with the Python transfer
    return not state_path(part).exists()  # a partial file of our own resumes in Python


def download(request: TransferRequest, on_progress: OnProgress,
             on_start: OnStart | None = None) -> TransferResult:
    remote = head(request)
    if remote is None or not worthwhile(remote):
        return native_download(request, on_progress, on_start)
    try:
        process = start(request, remote)
    except PermissionError:  # the outbound guard: no separate downloaders
        return native_download(request, on_progress, on_start)
    if on_start is not None:
        on_start(remote)
    return finish(process, request, remote, on_progress)


def head(request: TransferRequest) -> RemoteFile | None:
    """The file as a HEAD describes it; None when HEAD gives nothing to decide on."""
    with make_client(1, request.timeout, request.headers) as client:
        try:
            response = client.head(request.url)
        except Exception:  # the Python transfer will report the failure properly
            return None
    if response.status_code != 200:
        return None
    return remote_from_response(str(response.url), 200, response.headers)


def worthwhile(remote: RemoteFile) -> bool:
    return (remote.ranges and remote.size is not None and remote.size >= MIN_SIZE
            and not is_web_page(remote.content_type))


def command(request: TransferRequest, remote: RemoteFile) -> list[str]:
    part = request.part
    headers = default_headers(request.headers)
    headers.pop("User-Agent", None)
    return [
        program() or PROGRAM, f"--dir={part.parent}", f"--out={part.name}",
        "--continue=true", "--allow-overwrite=false", "--auto-file-renaming=false",
        f"--max-connection-per-server={request.connections}", f"--split={request.connections}",
        "--min-split-size=1M", "--file-allocation=falloc", "--remote-time=false",
        f"--timeout={int(request.timeout)}", f"--connect-timeout={int(request.timeout)}",
        f"--max-tries={request.retries + 1}", "--retry-wait=1",
        f"--stop-with-process={os.getpid()}", "--summary-interval=1",
        "--console-log-level=error", "--download-result=hide", "--enable-rpc=false",
        "--follow-torrent=false", "--follow-metalink=false", "--no-conf=true",
        f"--user-agent={default_headers(request.headers)['User-Agent']}",
        *(f"--header={name}: {value}" for name, value in headers.items()),
        "--", remote.url,
    ]


def start(request: TransferRequest, remote: RemoteFile) -> subprocess.Popen[str]:
    part = request.part
    if part.exists() and not Path(f"{part}{CONTROL_SUFFIX}").exists():
        discard(part)  # bytes of unknown origin: aria2c would take them as valid
    return subprocess.Popen(command(request, remote), stdout=subprocess.PIPE,  # noqa: S603
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def finish(process: subprocess.Popen[str], request: TransferRequest, remote: RemoteFile,
           on_progress: OnProgress) -> TransferResult:
    assert process.stdout is not None and remote.size is not None
    most = 1
    for status in readouts(process.stdout, remote.size):
        most = max(most, status.connections)
        on_progress(status)
    errors = process.stderr.read() if process.stderr is not None else ""
    if process.wait() != 0:
        raise exit_error(process.returncode, errors)
    verify(request, remote)
    on_progress(TransferStatus(remote.size, remote.size, None, 0.0, most))
    return TransferResult(remote, remote.size, most)


def readouts(lines: Iterator[str], total: int) -> Iterator[TransferStatus]:
    for line in lines:
        match = _READOUT.search(line)
        if match is None:
            continue
        done = int(float(match["done"]) * UNITS[match["done_unit"]])
        speed = (float(match["speed"]) * UNITS[match["speed_unit"]]
                 if match["speed"] else None)
        eta = (total - done) / speed if speed else None
        yield TransferStatus(min(done, total), total, speed, eta, int(match["connections"]))


def exit_error(code: int, errors: str) -> EngineError:
    if code in PERMANENT_EXITS:
        return EngineError(PERMANENT_EXITS[code])
    last = next((line.strip() for line in reversed(errors.splitlines()) if line.strip()), "")
    return EngineError(f"aria2c stopped (exit code {code}): {last[:200] or 'no reason given'}",
                       transient=True)


def verify(request: TransferRequest, remote: RemoteFile) -> None:
    size = request.part.stat().st_size
    checksum = request.checksum or remote.checksum
    if size != remote.size or (checksum is not None and not file_matches(request.part,
                                                                         checksum)):
        discard(request.part)
        with contextlib.suppress(FileNotFoundError):
            Path(f"{request.part}{CONTROL_SUFFIX}").unlink()
        raise EngineError("aria2c delivered a file of the wrong size or checksum.",
                          transient=True)
