"""The outbound guard (SSRF), tested without a single packet to a non-loopback address.

Test host names resolve through a stub resolver to private addresses; the real
``connect`` is replaced by a recorder that only lets 127.0.0.1 through. Every refusal
must happen before the recorder is reached: ``foreign`` stays empty.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
from yt_dlp import YoutubeDL
from yt_dlp.utils import DownloadError, YoutubeDLError

from mediadl.security import outbound
from mediadl.security.addresses import OutboundPolicy, blocked_reason, literal_address
from mediadl.security.outbound import OutboundRefused
from tests.security.outbound_site import OutboundSite

LOOPBACK_ONLY = OutboundPolicy.from_strings(["127.0.0.1/32"])
# Test names and what the stub resolver says they are. None of these is ever contacted.
STUB_NAMES: dict[str, list[str]] = {
    "internal.test": ["10.0.0.5"],
    "corp.test": ["172.16.4.4"],
    "home.test": ["192.168.1.10"],
    "metadata.test": ["169.254.169.254"],
    "cgnat.test": ["100.64.0.1"],
    "ula.test": ["fd00::5"],
    "mapped.test": ["::ffff:10.0.0.5"],
    "nat64.test": ["64:ff9b::a00:5"],
    "linklocal6.test": ["fe80::1"],
    "multicast.test": ["224.0.0.251"],
    "zero.test": ["0.0.0.0"],
    "loop.test": ["127.0.0.1"],
    "other-loop.test": ["127.0.0.2"],
}
PRIVATE_NAMES = [name for name in STUB_NAMES if not name.startswith(("loop", "other"))]


class Recorder:
    """Stands in for the real socket calls: records every address; lets only 127.0.0.1
    through (the test's own local site)."""

    def __init__(self, real_connect: Callable[..., Any], real_connect_ex: Callable[..., Any],
                 real_sendto: Callable[..., Any]) -> None:
        self.seen: list[Any] = []
        self._connect, self._connect_ex, self._sendto = real_connect, real_connect_ex, real_sendto

    @property
    def foreign(self) -> list[Any]:
        return [address for address in self.seen
                if isinstance(address, tuple) and address[0] != "127.0.0.1"]

    def _allow(self, address: Any) -> None:
        self.seen.append(address)
        if isinstance(address, tuple) and address[0] != "127.0.0.1":
            raise ConnectionRefusedError(f"test recorder: {address} would leave loopback")

    def connect(self, sock: socket.socket, address: Any) -> None:
        self._allow(address)
        self._connect(sock, address)

    def connect_ex(self, sock: socket.socket, address: Any) -> int:
        self._allow(address)
        return int(self._connect_ex(sock, address))

    def sendto(self, sock: socket.socket, data: bytes, *rest: Any) -> int:
        self._allow(rest[-1])
        return int(self._sendto(sock, data, *rest))


def stub_getaddrinfo(rebind: list[str]) -> Callable[..., list[Any]]:
    """Answers for test names and literal addresses only: the real resolver (and DNS) is
    never asked. ``rebind.test`` answers with the next address of ``rebind`` each time."""

    def resolve(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0,
                flags: int = 0) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.lower() == "rebind.test":
            addresses = [rebind.pop(0)]
        elif name.lower() in STUB_NAMES:
            addresses = STUB_NAMES[name.lower()]
        else:
            literal = literal_address(name)
            if literal is None:
                raise socket.gaierror(socket.EAI_NONAME, f"stub resolver: {name} is unknown")
            addresses = [str(literal)]
        return [_entry(address, int(port or 0)) for address in addresses]

    return resolve


def _entry(address: str, port: int) -> tuple[Any, ...]:
    if ip_address(address).version == 6:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


@pytest.fixture
def rebind_answers() -> list[str]:
    return ["127.0.0.1", "10.0.0.5"]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch, rebind_answers: list[str]) -> Recorder:
    recording = Recorder(socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto)
    monkeypatch.setattr(socket.socket, "connect", recording.connect)
    monkeypatch.setattr(socket.socket, "connect_ex", recording.connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", recording.sendto)
    monkeypatch.setattr(socket, "getaddrinfo", stub_getaddrinfo(rebind_answers))
    return recording


@pytest.fixture
def guard(recorder: Recorder) -> Iterator[Callable[[OutboundPolicy], None]]:
    """Install the guard over the recorder; removed before the recorder is."""
    yield outbound.install
    outbound.uninstall()


@pytest.fixture(scope="module")
def local_site() -> Iterator[OutboundSite]:
    with OutboundSite() as site:
        yield site


def _ytdlp(url: str, tmp_path: Path, **params: Any) -> Any:
    options = {"quiet": True, "no_warnings": True, "retries": 0, "fragment_retries": 0,
               "extractor_retries": 0, "skip_unavailable_fragments": False, "cachedir": False,
               "fixup": "never", "outtmpl": str(tmp_path / "%(id)s.%(ext)s"), **params}
    with YoutubeDL(options) as ydl:
        return ydl.extract_info(url, download=True)


# --- which addresses are refused (pure) ----------------------------------------------------


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("::1", "loopback"),
    ("10.0.0.5", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"),
    ("192.168.1.1", "private"), ("fd00::1", "private"), ("fc00::1", "private"),
    ("100.64.0.1", "shared"), ("100.100.100.200", "shared"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("255.255.255.255", "reserved"),
    ("240.0.0.1", "reserved"), ("192.0.0.192", "reserved"), ("198.18.0.1", "reserved"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.5", "private"),
    ("::ffff:169.254.169.254", "link-local"), ("::127.0.0.1", "loopback"),
    ("64:ff9b::7f00:1", "loopback"), ("64:ff9b::a9fe:a9fe", "link-local"),
    ("2002:7f00:1::", "loopback"), ("2002:a00:5::1", "private"),
    ("2001:db8::1", "reserved"), ("2001::1", "reserved"), ("::ffff:0:7f00:1", "reserved"),
])
def test_blocked_addresses(address: str, reason: str) -> None:
    found = blocked_reason(ip_address(address.split("%")[0]))
    assert found is not None and reason in found


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "8.8.8.8", "2606:4700::1111",
                                     "2a00:1450:4001::1", "::ffff:8.8.8.8", "100.63.255.255",
                                     "172.32.0.1", "192.169.0.1", "64:ff9b::808:808"])
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(ip_address(address)) is None


@pytest.mark.parametrize(("host", "address"), [
    ("2130706433", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"), ("017700000001", "127.0.0.1"), ("0x7f000001", "127.0.0.1"),
    ("0x7F.0.0.1", "127.0.0.1"), ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
    ("::ffff:7f00:1", "::ffff:7f00:1"), ("::1", "::1"), ("167772165", "10.0.0.5"),
    ("0251.0376.0251.0376", "169.254.169.254"),
])
def test_every_spelling_of_an_address_is_read_as_the_resolver_reads_it(host: str,
                                                                       address: str) -> None:
    found = literal_address(host)
    assert found is not None and str(found) == str(ip_address(address))


@pytest.mark.parametrize("host", ["example.com", "1.2.3.4.5", "08.0.0.1", "1e3", "x127.0.0.1"])
def test_names_are_not_addresses(host: str) -> None:
    assert literal_address(host) is None


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://2130706433/", "http://0177.0.0.1:8000/x", "http://0x7f.1/",
    "http://127.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
    "http://localhost/", "http://LOCALHOST./", "http://app.localhost/",
    "http://metadata.google.internal/computeMetadata/v1/", "http://169.254.169.254/latest/",
    "http://[fd00:ec2::254]/", "http://0/", "http://[::]/", "http://[fe80::1%25eth0]/",
])
def test_urls_naming_blocked_addresses_are_refused_early(url: str) -> None:
    assert OutboundPolicy().url_refusal(url) is not None


@pytest.mark.parametrize("url", ["https://www.youtube.com/watch?v=x", "http://93.184.215.14/",
                                 "https://media.example.com:8443/a.mp4", "http://[2606:4700::1]/"])
def test_public_urls_pass_the_early_check(url: str) -> None:
    assert OutboundPolicy().url_refusal(url) is None


def test_an_allowed_network_is_let_through() -> None:
    policy = OutboundPolicy.from_strings(["192.168.1.0/24"])
    assert policy.refusal(ip_address("192.168.1.7")) is None
    assert policy.refusal(ip_address("192.168.2.7")) is not None
    endpoint = policy.with_endpoints({(ip_address("10.0.0.3"), 5432)})
    assert endpoint.refusal(ip_address("10.0.0.3"), 5432) is None
    assert endpoint.refusal(ip_address("10.0.0.3"), 80) is not None


# --- at connect time ----------------------------------------------------------------------


@pytest.mark.parametrize("name", PRIVATE_NAMES)
def test_connections_to_private_names_are_refused_before_connect(
        guard: Callable[[OutboundPolicy], None], recorder: Recorder, name: str) -> None:
    guard(OutboundPolicy())
    with pytest.raises(OutboundRefused, match="mediadl does not connect to"):
        socket.create_connection((name, 80), timeout=1)
    family = socket.AF_INET6 if ":" in STUB_NAMES[name][0] else socket.AF_INET
    with socket.socket(family) as sock, pytest.raises(OutboundRefused):
        sock.connect((name, 443))
    with socket.socket(family) as sock, pytest.raises(OutboundRefused):
        sock.connect_ex((name, 443))
    assert recorder.seen == []


def test_the_refusal_does_not_reveal_the_resolved_address(
        guard: Callable[[OutboundPolicy], None], recorder: Recorder) -> None:
    guard(OutboundPolicy())
    with pytest.raises(OutboundRefused) as refused:
        socket.create_connection(("internal.test", 80))
    assert "10.0.0.5" not in str(refused.value)
    assert "MEDIADL_ALLOW_PRIVATE_NETWORKS" in str(refused.value)


def test_udp_datagrams_to_private_names_are_refused(guard: Callable[[OutboundPolicy], None],
                                                    recorder: Recorder) -> None:
    guard(OutboundPolicy())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(OutboundRefused):
            sock.sendto(b"x", ("metadata.test", 53))
        with pytest.raises(OutboundRefused):
            sock.sendto(b"x", 0, ("internal.test", 53))
    assert recorder.seen == []


def test_unix_sockets_are_not_touched(guard: Callable[[OutboundPolicy], None],
                                      tmp_path: Path) -> None:
    guard(OutboundPolicy())
    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as client:
        server.bind(path)
        server.listen()
        client.connect(path)


@pytest.mark.parametrize("host", ["2130706433", "0177.0.0.1", "0x7f.1", "127.1",
                                  "[::ffff:127.0.0.1]", "[::1]", "loop.test"])
def test_loopback_in_any_spelling_is_refused_at_connect(
        guard: Callable[[OutboundPolicy], None], recorder: Recorder,
        local_site: OutboundSite, host: str) -> None:
    guard(OutboundPolicy())
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(f"http://{host}:{local_site.port}/ok", timeout=5)
    assert isinstance(refused.value.reason, OutboundRefused)
    assert recorder.seen == []


def test_an_allowed_network_reaches_the_local_site(guard: Callable[[OutboundPolicy], None],
                                                   recorder: Recorder,
                                                   local_site: OutboundSite) -> None:
    guard(LOOPBACK_ONLY)
    with urllib.request.urlopen(local_site.url("/ok"), timeout=5) as answer:
        assert answer.read() == b"ok"
    assert recorder.seen and recorder.foreign == []


def test_a_redirect_to_a_private_name_is_refused(guard: Callable[[OutboundPolicy], None],
                                                 recorder: Recorder, local_site: OutboundSite,
                                                 tmp_path: Path) -> None:
    guard(LOOPBACK_ONLY)
    url = local_site.url("/redirect?to=http://internal.test/video.mp4")
    with pytest.raises(DownloadError, match="does not connect to a private network address"):
        _ytdlp(url, tmp_path)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)
    assert recorder.seen and recorder.foreign == []


@pytest.mark.parametrize("target", ["http://metadata.test/latest/meta-data/",
                                    "http://mapped.test/", "http://[::ffff:7f00:2]/",
                                    "http://2130706434/"])
def test_redirects_to_other_forbidden_places_are_refused(
        guard: Callable[[OutboundPolicy], None], recorder: Recorder,
        local_site: OutboundSite, tmp_path: Path, target: str) -> None:
    guard(LOOPBACK_ONLY)
    with pytest.raises(DownloadError, match="mediadl does not connect to"):
        _ytdlp(local_site.url(f"/redirect?to={target}"), tmp_path)
    assert recorder.foreign == []


def test_an_hls_fragment_at_a_private_name_is_refused(guard: Callable[[OutboundPolicy], None],
                                                      recorder: Recorder,
                                                      local_site: OutboundSite,
                                                      tmp_path: Path) -> None:
    guard(LOOPBACK_ONLY)
    url = local_site.url("/playlist.m3u8?segment=http://internal.test/segment0.ts")
    with pytest.raises(DownloadError, match="does not connect to a private network address"):
        _ytdlp(url, tmp_path)
    assert recorder.seen and recorder.foreign == []
    # Only yt-dlp's resume notes are left, without a byte of media.
    for path in tmp_path.iterdir():
        assert path.suffix == ".ytdl" or (path.suffix == ".part" and path.stat().st_size == 0)


def test_an_hls_fragment_on_an_allowed_address_downloads(
        guard: Callable[[OutboundPolicy], None], recorder: Recorder,
        local_site: OutboundSite, tmp_path: Path) -> None:
    guard(LOOPBACK_ONLY)
    segment = local_site.url("/segment.ts")
    info = _ytdlp(local_site.url(f"/playlist.m3u8?segment={segment}"), tmp_path)
    assert info["requested_downloads"][0]["filepath"]
    assert recorder.foreign == []


def test_dns_rebinding_is_caught_at_the_second_connection(
        guard: Callable[[OutboundPolicy], None], recorder: Recorder,
        local_site: OutboundSite) -> None:
    guard(LOOPBACK_ONLY)
    url = f"http://rebind.test:{local_site.port}/ok"
    with urllib.request.urlopen(url, timeout=5) as answer:
        assert answer.read() == b"ok"
    with pytest.raises(urllib.error.URLError) as refused:  # the same name, now 10.0.0.5
        urllib.request.urlopen(url, timeout=5)
    assert isinstance(refused.value.reason, OutboundRefused)
    assert recorder.foreign == []


# --- programs started from a guarded process ---------------------------------------------


def test_ytdlp_cannot_hand_a_network_download_to_ffmpeg(
        guard: Callable[[OutboundPolicy], None], recorder: Recorder,
        local_site: OutboundSite, tmp_path: Path) -> None:
    guard(LOOPBACK_ONLY)
    segment = local_site.url("/segment.ts")
    with pytest.raises(YoutubeDLError, match="does not let ffmpeg open network addresses"):
        _ytdlp(local_site.url(f"/playlist.m3u8?segment={segment}"), tmp_path,
               hls_prefer_native=False)


def test_local_ffmpeg_work_still_runs(guard: Callable[[OutboundPolicy], None]) -> None:
    guard(OutboundPolicy())
    done = subprocess.run(["ffmpeg", "-hide_banner", "-version"], capture_output=True,
                          check=False)
    assert done.returncode == 0
    with pytest.raises(OutboundRefused):
        subprocess.run(["ffprobe", "http://internal.test/x.mp4"], check=False)
    with pytest.raises(OutboundRefused):
        subprocess.run("curl http://metadata.test/", shell=True, check=False)


@pytest.mark.parametrize(("argv", "refused"), [
    (["ffmpeg", "-i", "https://cdn.example/a.m3u8", "out.mp4"], True),
    (["/usr/bin/ffmpeg", "-headers", "X: y", "-i", "tcp://10.0.0.5:80", "o"], True),
    (["ffmpeg", "-i", "concat:http://a.example/1.ts|http://a.example/2.ts", "o"], True),
    (["ffmpeg", "-i", "file:/data/work/job-1/a.webm", "-metadata",
      "purl=https://www.youtube.com/watch?v=x", "file:/data/work/job-1/a.mkv"], False),
    (["ffprobe", "-show_format", "file:/data/a.mp4"], False),
    (["ffprobe", "-of", "json", "https://cdn.example/a.mp4"], True),
    (["aria2c", "https://cdn.example/a.bin"], True),
    (["gallery-dl", "--dump-json", "https://example.com/gallery"], True),
    ([sys.executable, "-m", "gallery_dl", "https://example.com/g"], True),
    ([sys.executable, "-m", "mediadl.security.guarded_run", "--", "gallery_dl",
      "https://example.com/g"], False),
    (["ffmpeg", "-version"], False), (["deno", "run", "x.js"], False),
])
def test_program_rules(argv: list[str], refused: bool) -> None:
    if refused:
        with pytest.raises(OutboundRefused):
            outbound.check_program(argv, None)
    else:
        outbound.check_program(argv, None)


PROBE_MODULE = """
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5).close()
    print("connected")
except PermissionError as error:
    print("refused:", error)
"""


def test_guarded_run_guards_a_separate_python_program(local_site: OutboundSite,
                                                      tmp_path: Path) -> None:
    (tmp_path / "probe_connect.py").write_text(PROBE_MODULE)
    env = {"PYTHONPATH": f"{tmp_path}:{Path(outbound.__file__).parents[2]}"}

    def run(policy: OutboundPolicy) -> str:
        command = outbound.guarded_command(policy, "probe_connect", [str(local_site.port)])
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        return done.stdout.strip()

    assert run(OutboundPolicy()).startswith("refused: mediadl does not connect to a loopback")
    assert run(LOOPBACK_ONLY) == "connected"
