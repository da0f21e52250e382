"""cookies.txt checks, sealing, the per-job copy; proxy checks and masking."""

from __future__ import annotations

import http.cookiejar
import stat

import pytest

from mediadl.core.errors import BadRequest
from mediadl.platforms.cookies import (
    HEADER,
    open_cookies,
    parse_cookies_txt,
    seal_cookies,
    write_job_copy,
)
from mediadl.platforms.proxies import check_proxy, masked
from mediadl.security.sealing import SealError

EXPORTED = (
    "# Netscape HTTP Cookie File\n"
    "# This is a generated file! Do not edit.\n"
    "\n"
    ".instagram.com\tTRUE\t/\tTRUE\t1893456000\tsessionid\tabc%3A123\n"
    "#HttpOnly_.instagram.com\tTRUE\t/\tTRUE\t1893456000\tcsrftoken\tXyZ\n"
    "www.instagram.com\tFALSE\t/\tFALSE\t0\tig_nrcb\t1\n"
)


def test_an_exported_cookies_file_is_read_and_normalised():
    cookies = parse_cookies_txt(EXPORTED.encode())
    assert cookies.count == 3
    assert cookies.domains == ("instagram.com", "www.instagram.com")
    assert cookies.text.startswith(HEADER + "\n")
    assert "This is a generated file" not in cookies.text
    assert "#HttpOnly_.instagram.com" in cookies.text


def test_a_file_without_the_header_gets_one_so_python_and_ytdlp_can_read_it(tmp_path):
    raw = ".tiktok.com\tTRUE\t/\tTRUE\t1893456000\tsessionid\tabc\r\n"
    path = tmp_path / "c.txt"
    path.write_text(parse_cookies_txt(raw.encode()).text)
    jar = http.cookiejar.MozillaCookieJar()
    jar.load(str(path), ignore_discard=True, ignore_expires=True)
    assert [(c.domain, c.name, c.value) for c in jar] == [(".tiktok.com", "sessionid", "abc")]


def test_a_cookie_without_value_keeps_its_seventh_field():
    cookies = parse_cookies_txt(b".x.com\tTRUE\t/\tFALSE\t0\tempty\n")
    assert cookies.text.splitlines()[1].split("\t") == [".x.com", "TRUE", "/", "FALSE", "",
                                                        "empty", ""]


def test_session_cookies_stay_session_cookies_for_every_reader(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(parse_cookies_txt(b"127.0.0.1\tFALSE\t/\tFALSE\t0\ts\tv\n").text)
    jar = http.cookiejar.MozillaCookieJar()
    jar.load(str(path), ignore_discard=True, ignore_expires=True)
    [cookie] = list(jar)
    assert cookie.expires is None and not cookie.is_expired()


@pytest.mark.parametrize(("raw", "words"), [
    (b"", "no cookies"),
    (b"# only comments\n\n", "no cookies"),
    (b'{"cookies": []}', "Line 1"),
    (b".x.com TRUE / FALSE 0 name value\n", "Line 1"),
    (b".x.com\tMAYBE\t/\tFALSE\t0\tname\tvalue\n", "Line 1"),
    (b"# ok\n.x.com\tTRUE\t/\tFALSE\tsoon\tname\tvalue\n", "Line 2"),
    (b"bad domain!\tTRUE\t/\tFALSE\t0\tname\tvalue\n", "Line 1"),
    (b"\xff\xfe\x00binary", "UTF-8"),
])
def test_a_bad_cookies_file_is_a_readable_400(raw, words):
    with pytest.raises(BadRequest) as caught:
        parse_cookies_txt(raw)
    assert words in caught.value.detail


def test_cookies_are_sealed_per_platform(settings):
    cookies = parse_cookies_txt(EXPORTED.encode())
    sealed = seal_cookies(settings, "instagram", cookies)
    assert "sessionid" not in sealed and "abc" not in sealed
    assert open_cookies(settings, "instagram", sealed).decode() == cookies.text
    with pytest.raises(SealError):
        open_cookies(settings, "tiktok", sealed)


def test_each_job_gets_a_private_copy(tmp_path):
    first = write_job_copy(tmp_path / "job-1", b"data")
    second = write_job_copy(tmp_path / "job-1", b"data")
    assert first != second and first.read_bytes() == b"data"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600


@pytest.mark.parametrize("proxy", ["http://proxy.example:3128", "socks5h://10.0.0.2:1080",
                                   "https://user:p%40ss@proxy.example:443"])
def test_good_proxies_pass(proxy):
    assert check_proxy(proxy) == proxy


@pytest.mark.parametrize(("proxy", "words"), [
    ("proxy.example:3128", "must start with"),
    ("ftp://proxy.example:21", "must start with"),
    ("http://proxy.example", "port"),
    ("http://proxy.example:99999", "port"),
    ("http://:8080", "no host"),
    ("http://proxy.example:8080/path?x=1", "no more"),
])
def test_bad_proxies_say_why(proxy, words):
    with pytest.raises(ValueError, match=words):
        check_proxy(proxy)


def test_a_proxy_is_shown_without_its_password():
    assert masked("http://bob:secret@proxy.example:3128") == "http://bob:***@proxy.example:3128"
    assert masked("http://proxy.example:3128") == "http://proxy.example:3128"
    assert masked(None) is None
