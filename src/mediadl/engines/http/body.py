"""A response body as large buffers, read straight from the socket once it is safe to.

httpx hands a body over in pieces that went through h11 in Python: each read is copied into
h11's buffer, copied out again as ``bytes`` and lands in freshly allocated memory whose
pages the kernel has to fault in. On a gigabyte that was most of the client's CPU (measured
over loopback: 1.8 s against 0.7 s for the same bytes read with ``recv_into`` into reused
buffers), and the CPU is what the hashing thread needs.

So the first piece comes through httpx as usual (with it h11 hands over everything it had
buffered past the headers), and the rest of a ``Content-Length`` body is read from the
connection's socket into one buffer that is used again and again. Answers this cannot
be sure of (chunked, no length, a TLS stream inside a proxy's TLS tunnel) and bodies under
16 MiB stay with httpx.
The connection is not reused afterwards: h11 never saw the end of the body, so httpcore
closes it when the response is closed.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator

import httpx

from mediadl.engines.http.errors import TransferInterrupted

BUFFER_SIZE = 1024 * 1024
# Below this, keeping the connection for the next request (a CDN's next chunk, without a
# new TLS handshake) is worth more than the copies saved.
RAW_BODY_MIN = 16 * 1024 * 1024
HAND_OVER_SECONDS = 0.25  # a slow server's bytes are handed over at least this often


def body_pieces(response: httpx.Response, timeout: float) -> Iterator[bytes | memoryview]:
    """The body of a streamed ``response``, in order, until it ends. A piece read from the
    socket is a view of one buffer that the next read fills again (its pages stay mapped
    and warm): use it, or copy it, before asking for the next."""
    chunks = response.iter_raw()
    first = next(chunks, b"")
    if first:
        yield first
    rest = _raw_length(response, len(first))
    sock = raw_socket(response) if rest >= RAW_BODY_MIN else None
    if sock is None:
        yield from chunks
        return
    yield from _socket_pieces(sock, rest, timeout)


def _raw_length(response: httpx.Response, delivered: int) -> int:
    """Bytes of the body still to come, when its framing is a plain Content-Length."""
    headers = response.headers
    if "transfer-encoding" in headers or response.http_version not in ("HTTP/1.1", "HTTP/1.0"):
        return 0
    values = headers.get_list("content-length")
    length = values[0].strip() if len(set(values)) == 1 else ""
    if not (length.isascii() and length.isdigit()):
        return 0
    return max(0, int(length) - delivered)


def raw_socket(response: httpx.Response) -> socket.socket | None:
    """The socket the body arrives on, when reading it yields the body's bytes: a plain
    connection, or TLS terminated by this very socket (not TLS inside a proxy's tunnel)."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    sock = stream.get_extra_info("socket")
    if not isinstance(sock, socket.socket):
        return None
    if stream.get_extra_info("ssl_object") is not None and not isinstance(sock, ssl.SSLSocket):
        return None
    return sock


def _socket_pieces(sock: socket.socket, rest: int, timeout: float) -> Iterator[memoryview]:
    sock.settimeout(timeout)
    buffer = memoryview(bytearray(min(rest, BUFFER_SIZE)))
    while rest > 0:
        filled, broken = _fill(sock, buffer, min(rest, len(buffer)))
        if filled:
            rest -= filled
            yield buffer[:filled]
        if broken is not None:
            raise broken  # after the bytes that did arrive, so a retry starts past them


def _fill(sock: socket.socket, view: memoryview,
          wanted: int) -> tuple[int, TransferInterrupted | None]:
    """Read until ``wanted`` bytes are in ``view`` or HAND_OVER_SECONDS have passed; how
    many arrived, and what broke the connection, if something did."""
    filled, started = 0, time.monotonic()
    while filled < wanted:
        try:
            received = sock.recv_into(view[filled:wanted])
        except TimeoutError:
            return filled, TransferInterrupted("the server stopped sending")
        except OSError as error:
            return filled, TransferInterrupted(f"the connection broke: {error}")
        if not received:
            return filled, TransferInterrupted("the server closed the connection early")
        filled += received
        if time.monotonic() - started >= HAND_OVER_SECONDS:
            break
    return filled, None
