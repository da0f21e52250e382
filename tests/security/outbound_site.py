"""A tiny site on 127.0.0.1 that sends clients elsewhere: redirects and HLS playlists
whose segments live at an address the test chooses. Serves only on loopback."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
SEGMENT = b"\x47" + b"\x00" * 187  # one MPEG-TS packet's worth of bytes


def playlist(segment_url: str) -> bytes:
    return ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
            f"#EXTINF:2.0,\n{segment_url}\n#EXT-X-ENDLIST\n").encode()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if parts.path == "/redirect":
            self._answer(302, b"", {"Location": query["to"]})
        elif parts.path == "/playlist.m3u8":
            self._answer(200, playlist(query["segment"]),
                         {"Content-Type": "application/vnd.apple.mpegurl"})
        elif parts.path == "/segment.ts":
            self._answer(200, SEGMENT, {"Content-Type": "video/mp2t"})
        elif parts.path == "/ok":
            self._answer(200, b"ok", {"Content-Type": "text/plain"})
        else:
            self._answer(404, b"", {})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


class OutboundSite:
    def __init__(self) -> None:
        self._server = ThreadingHTTPServer((HOST, 0), _Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str, host: str = HOST) -> str:
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> OutboundSite:
        self._thread.start()
        return self

    def __exit__(self, _type: type[BaseException] | None, _value: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
