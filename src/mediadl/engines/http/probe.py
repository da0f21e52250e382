"""Look at a direct file without downloading it: a HEAD, or a one-byte GET where HEAD fails."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from mediadl.engines.base import EngineError, FetchOptions, ProbeResult
from mediadl.engines.http.client import make_client
from mediadl.engines.http.errors import describe, network_error, refused_by_guard, status_error
from mediadl.engines.http.naming import file_name, is_web_page, kind_for, split_name, title_for
from mediadl.engines.http.remote import RemoteFile, remote_from_response

# Servers that do not implement HEAD (or forbid it) answer one of these.
HEAD_REFUSED = frozenset({400, 403, 404, 405, 501})


def inspect(url: str, options: FetchOptions) -> RemoteFile:
    with make_client(1, options.socket_timeout, proxy=options.proxy,
                     cookie_file=options.cookie_file) as client:
        try:
            return _inspect(client, url)
        except httpx.TransportError as error:
            refusal = refused_by_guard(error)
            if refusal is not None:
                raise network_error(refusal) from error
            raise EngineError(f"The connection failed: {describe(error)}",
                              transient=True) from error


def _inspect(client: httpx.Client, url: str) -> RemoteFile:
    response = client.head(url)
    if response.status_code in HEAD_REFUSED:
        # Some servers only refuse HEAD; a one-byte GET tells the truth.
        response = client.get(url, headers={"Range": "bytes=0-0"})
    if response.status_code not in (200, 206):
        raise status_error(response.status_code, response.headers)
    return remote_from_response(str(response.url), response.status_code, response.headers)


def probe_result(url: str, remote: RemoteFile) -> ProbeResult:
    name = file_name(remote.url, remote.content_type, remote.disposition)
    kind = "file" if is_web_page(remote.content_type) else kind_for(split_name(name)[1],
                                                                     remote.content_type)
    return ProbeResult(
        url=url, kind=kind, title=title_for(name), source=urlsplit(url).hostname,
        qualities=["best", "audio"] if kind == "video" else ["best"],
        metadata={key: value for key, value in (
            ("content_type", remote.content_type), ("size", remote.size),
            ("resumable", remote.ranges)) if value is not None},
    )


def probe_from_link(url: str) -> ProbeResult:
    """What a link that names a media file says by itself. A job needs no request for it:
    its transfer's first answer brings the real name, the size, and the news when the
    link is a web page after all (the job then goes to yt-dlp)."""
    name = file_name(url, None, None)
    kind = kind_for(split_name(name)[1])
    return ProbeResult(url=url, kind=kind, title=title_for(name), source=urlsplit(url).hostname,
                       qualities=["best", "audio"] if kind == "video" else ["best"])
