"""Bodies read past h11 straight from the socket into buffers that go round."""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mediadl.engines.http import body
from mediadl.engines.http.body import body_pieces
from mediadl.engines.http.errors import TransferInterrupted

MIB = 1024 * 1024
BODY = os.urandom(3 * MIB + 777)


@contextmanager
def raw_server(answer: bytes, cut_after: int | None = None,
               tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """A one-shot HTTP server on loopback that sends ``answer`` (headers and all) in the
    pieces a real server might, then closes; ``cut_after`` stops after that many bytes."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        if tls is not None:
            connection = tls.wrap_socket(connection, server_side=True)
        with connection:
            connection.recv(65536)
            sent = answer if cut_after is None else answer[:cut_after]
            connection.sendall(sent[:1000])  # headers and the body's first bytes at once
            for start in range(1000, len(sent), 256 * 1024):
                connection.sendall(sent[start:start + 256 * 1024])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls is not None else "http"
        yield f"{scheme}://127.0.0.1:{listener.getsockname()[1]}/file"
    finally:
        thread.join(10)
        listener.close()


def http_answer(data: bytes, *, chunked: bool = False) -> bytes:
    if not chunked:
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + 70000]), data[i:i + 70000])
                      for i in range(0, len(data), 70000))
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"


def read_all(url: str, monkeypatch: pytest.MonkeyPatch, raw_from: int = MIB,
             verify: ssl.SSLContext | bool = True) -> tuple[bytes, list[bool]]:
    """The body as ``body_pieces`` gives it, and whether the socket was read directly."""
    monkeypatch.setattr(body, "RAW_BODY_MIN", raw_from)
    used: list[bool] = []
    original = body.raw_socket

    def spy(response: httpx.Response) -> socket.socket | None:
        found = original(response)
        used.append(found is not None)
        return found

    monkeypatch.setattr(body, "raw_socket", spy)
    received = bytearray()
    with httpx.Client(verify=verify) as client, client.stream("GET", url) as response:
        for piece in body_pieces(response, timeout=10):
            received += piece
    return bytes(received), used


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(the server's context, a client context that trusts it), for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=5))
                   .not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(
                       [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return server, ssl.create_default_context(cafile=str(folder / "cert.pem"))


def test_a_content_length_body_is_read_from_the_socket_byte_exact(monkeypatch):
    with raw_server(http_answer(BODY)) as url:
        received, used = read_all(url, monkeypatch)
    assert received == BODY  # including what h11 had buffered behind the headers
    assert used == [True]


def test_a_tls_body_is_read_from_the_tls_socket_byte_exact(monkeypatch, tls_pair):
    server, client = tls_pair
    with raw_server(http_answer(BODY), tls=server) as url:
        received, used = read_all(url, monkeypatch, verify=client)
    assert received == BODY  # decrypted bytes, whatever the TLS layer had buffered
    assert used == [True]


def test_a_small_body_stays_with_httpx_so_its_connection_is_kept(monkeypatch):
    with raw_server(http_answer(BODY)) as url:
        received, used = read_all(url, monkeypatch, raw_from=len(BODY) + 1)
    assert received == BODY
    assert used == []


def test_a_chunked_body_stays_with_httpx(monkeypatch):
    with raw_server(http_answer(BODY, chunked=True)) as url:
        received, used = read_all(url, monkeypatch)
    assert received == BODY
    assert used == []  # no length to read up to: the socket is never asked for


def test_a_body_cut_short_hands_over_what_came_then_fails(monkeypatch):
    answer = http_answer(BODY)
    cut = len(answer) - MIB
    received = bytearray()
    monkeypatch.setattr(body, "RAW_BODY_MIN", MIB)
    with raw_server(answer, cut_after=cut) as url, httpx.Client() as client, \
            client.stream("GET", url) as response:
        with pytest.raises(TransferInterrupted):
            for piece in body_pieces(response, timeout=10):
                received += piece
    assert BODY.startswith(bytes(received)) and len(received) == len(BODY) - MIB


def test_socket_pieces_reuse_one_buffer(monkeypatch):
    with raw_server(http_answer(BODY)) as url, httpx.Client() as client, \
            client.stream("GET", url) as response:
        monkeypatch.setattr(body, "RAW_BODY_MIN", MIB)
        buffers = {id(piece.obj) for piece in body_pieces(response, timeout=10)
                   if isinstance(piece, memoryview)}
    assert len(buffers) == 1  # refilled once written: no allocation per read


def write_zeros(path: Path, size: int) -> int:
    path.write_bytes(b"\0" * size)
    return os.open(path, os.O_RDWR)


def test_writer_writes_large_reads_at_once_and_gathers_small_ones(tmp_path):
    from mediadl.engines.http.worker import DIRECT_WRITE, Writer

    fd = write_zeros(tmp_path / "f", 2 * MIB)
    writer = Writer(fd, None, 0)
    large = bytearray(b"a" * DIRECT_WRITE)
    writer.add(memoryview(large))
    large[:] = b"x" * DIRECT_WRITE  # the caller reuses its buffer: already written
    small = bytearray(b"b" * 10)
    writer.add(memoryview(small))
    small[:] = b"y" * 10  # gathered: copied before the buffer is reused
    writer.flush()
    os.close(fd)
    assert (tmp_path / "f").read_bytes()[:DIRECT_WRITE + 10] == b"a" * DIRECT_WRITE + b"b" * 10


@pytest.mark.parametrize("lengths", [["²"], ["12", "13"], [" "], ["-5"], ["1e3"]])
def test_only_a_plain_single_length_is_read_up_to(lengths):
    headers = [(b"content-length", value.encode("latin-1")) for value in lengths]
    assert body._raw_length(httpx.Response(200, headers=headers), 0) == 0


def test_a_plain_length_counts_what_httpx_delivered():
    response = httpx.Response(206, headers={"content-length": "5000"})
    assert body._raw_length(response, 1200) == 3800
