"""Netscape cookies.txt: checked on upload, stored sealed, copied into each job's folder.

The file is normalised on upload (one header, only valid cookie lines), because Python's
and yt-dlp's readers refuse a file without the ``# Netscape HTTP Cookie File`` header that
some browser extensions leave out. It is never served back. A job gets its own copy,
0600, deleted when the job process is done: yt-dlp and gallery-dl write cookies back into
the file they were given, and two jobs must not share one.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from mediadl.core.errors import BadRequest
from mediadl.core.settings import Settings
from mediadl.security.sealing import open_sealed, seal

HEADER = "# Netscape HTTP Cookie File"
HTTP_ONLY_PREFIX = "#HttpOnly_"
FLAGS = frozenset({"TRUE", "FALSE"})
_DOMAIN = re.compile(r"^\.?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
MAX_SHOWN_DOMAINS = 50


@dataclass(frozen=True)
class CookieFile:
    text: str  # normalised
    count: int
    domains: tuple[str, ...]


def purpose(platform: str) -> str:
    """Sealed per platform: one platform's cookies cannot be opened as another's."""
    return f"platform-cookies:{platform}"


def parse_cookies_txt(raw: bytes) -> CookieFile:
    """A cookies.txt upload, checked line by line; BadRequest names the first bad line."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("The cookies file is not UTF-8 text; export it as cookies.txt "
                         "(Netscape format).") from None
    lines, domains = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        cookie = _cookie_line(line, number)
        if cookie is not None:
            lines.append(cookie)
            domains.add(_bare_domain(cookie.split("\t", 1)[0]))
    if not lines:
        raise BadRequest("The file holds no cookies; export cookies.txt (Netscape format) "
                         "while logged in to the site.")
    normalised = "\n".join([HEADER, *lines]) + "\n"
    return CookieFile(normalised, len(lines), tuple(sorted(domains))[:MAX_SHOWN_DOMAINS])


def _cookie_line(line: str, number: int) -> str | None:
    stripped = line.strip("\r\n")
    if not stripped.strip() or (stripped.startswith("#")
                                and not stripped.startswith(HTTP_ONLY_PREFIX)):
        return None
    fields = stripped.split("\t")
    if len(fields) == 6:  # a cookie without a value: some exporters drop the last tab
        fields.append("")
    if len(fields) != 7 or not _valid(fields):
        raise BadRequest(f"Line {number} of the cookies file is not a Netscape cookie line "
                         "(seven fields separated by tabs).")
    if fields[4] == "0":
        # A session cookie. Browsers' exporters write 0, which Python's reader takes for
        # "expired in 1970"; yt-dlp and gallery-dl read an empty field the same way.
        fields[4] = ""
    return "\t".join(fields)


def _valid(fields: list[str]) -> bool:
    domain, subdomains, path, secure, expires, name, _value = fields
    return (bool(_DOMAIN.match(_bare_domain(domain))) and subdomains.upper() in FLAGS
            and path.startswith("/") and secure.upper() in FLAGS
            and expires.lstrip("-").isdigit() and bool(name))


def _bare_domain(domain: str) -> str:
    return domain.removeprefix(HTTP_ONLY_PREFIX).lstrip(".").lower()


def seal_cookies(settings: Settings, platform: str, cookies: CookieFile) -> str:
    return seal(settings, cookies.text.encode(), purpose(platform))


def open_cookies(settings: Settings, platform: str, sealed: str) -> bytes:
    return open_sealed(settings, sealed, purpose(platform))


def write_job_copy(folder: Path, data: bytes) -> Path:
    """A private copy for one job; the caller deletes it when the job is done."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".cookies-{secrets.token_hex(6)}.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path
