"""yt-dlp extracts, mediadl fetches.

yt-dlp's own HTTP downloader reads one connection in small blocks: on a fast link it reaches
a fraction of curl's speed, and a server that caps each connection caps it. When yt-dlp has
resolved a format to a plain file over http(s), the transfer goes to the http engine's
downloader instead (several Range connections, resume, speed limits); yt-dlp keeps
everything else: extraction, format choice, HLS/DASH fragments, merging and post-processing.

The seam is ``YoutubeDL.dl``, the one method through which yt-dlp starts every download:
``MediadlYoutubeDL`` picks our downloader where yt-dlp would pick its ``HttpFD``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from yt_dlp import YoutubeDL
from yt_dlp.downloader import get_suitable_downloader
from yt_dlp.downloader.common import FileDownloader
from yt_dlp.downloader.http import HttpFD

from mediadl.engines.base import FetchOptions
from mediadl.engines.http.options import transfer_request
from mediadl.engines.http.transfer import TransferStatus, download

Info = dict[str, Any]


class MediadlYoutubeDL(YoutubeDL):
    """YoutubeDL whose direct-file transfers run through the http engine's downloader."""

    def __init__(self, params: dict[str, Any], options: FetchOptions) -> None:
        super().__init__(params)
        self.fetch_options = options

    def dl(self, name: str, info: Info, subtitle: bool = False,
           test: bool = False) -> Any:
        if not self._hand_over(name, info, subtitle, test):
            return super().dl(name, info, subtitle=subtitle, test=test)
        downloader = HandoffDownloader(self, self.params)
        for hook in self._progress_hooks:
            downloader.add_progress_hook(hook)
        copied = self._copy_infodict(info)
        if copied.get("http_headers") is None:
            copied["http_headers"] = self._calc_headers(copied)
        return downloader.download(name, copied, subtitle)

    def _hand_over(self, name: str, info: Info, subtitle: bool, test: bool) -> bool:
        if test or subtitle or name == "-" or info.get("is_live") or not info.get("url"):
            return False
        chosen = get_suitable_downloader(info, self.params, to_stdout=False)
        return chosen is HttpFD


class HandoffDownloader(FileDownloader):
    """A yt-dlp downloader (same file names, hooks and resume rules) that transfers with
    the http engine. Failures leave as EngineError, which yt-dlp lets through."""

    ydl: MediadlYoutubeDL

    def real_download(self, filename: str, info_dict: Info) -> bool:
        partial = self.temp_name(filename)
        started = time.monotonic()
        request = transfer_request(
            info_dict["url"], Path(partial), self.ydl.fetch_options,
            headers=request_headers(self.ydl, info_dict),
            max_request_bytes=(info_dict.get("downloader_options") or {}).get("http_chunk_size"),
            with_cookie_file=False)

        def report(status: TransferStatus) -> None:
            self._hook_progress(progress_status(status, filename, partial, started), info_dict)

        result = download(request, report)
        self.try_rename(partial, filename)
        self._hook_progress({"status": "finished", "filename": filename,
                             "downloaded_bytes": result.size, "total_bytes": result.size,
                             "elapsed": time.monotonic() - started}, info_dict)
        return True


def request_headers(ydl: YoutubeDL, info: Info) -> dict[str, str]:
    """The headers yt-dlp would send: the format's own, plus the cookies for its URL."""
    headers = {str(k): str(v) for k, v in (info.get("http_headers") or {}).items()}
    cookie = ydl.cookiejar.get_cookie_header(info["url"])
    if cookie:
        headers["Cookie"] = cookie
    return headers


def progress_status(status: TransferStatus, filename: str, partial: str,
                    started: float) -> dict[str, Any]:
    return {"status": "downloading", "filename": filename, "tmpfilename": partial,
            "downloaded_bytes": status.downloaded, "total_bytes": status.total,
            "speed": status.speed, "eta": status.eta, "elapsed": time.monotonic() - started}
