"""The client address: X-Forwarded-For only from trusted proxies, read from the right."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from mediadl.core.settings import Settings
from mediadl.security.client import client_address


def _request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "client": (peer, 50000), "headers": headers,
                    "method": "GET", "path": "/"})


def _settings(*proxies: str) -> Settings:
    settings = Settings(secret_key="x" * 40)
    settings.security.trusted_proxies = list(proxies)
    return settings


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    request = _request("198.51.100.4", "203.0.113.9")
    assert client_address(request, _settings()) == "198.51.100.4"


def test_a_header_from_an_untrusted_peer_is_ignored() -> None:
    request = _request("198.51.100.4", "203.0.113.9")
    assert client_address(request, _settings("127.0.0.1")) == "198.51.100.4"


@pytest.mark.parametrize(("forwarded", "expected"), [
    ("203.0.113.9", "203.0.113.9"),
    # A client can send its own X-Forwarded-For; the proxy appends the real address.
    ("6.6.6.6, 203.0.113.9", "203.0.113.9"),
    # Two proxies of ours in a chain: skip every trusted hop from the right.
    ("6.6.6.6, 203.0.113.9, 10.1.2.3", "203.0.113.9"),
    ("", "127.0.0.1"),
    ("10.1.2.3", "127.0.0.1"),
])
def test_behind_trusted_proxies_the_first_untrusted_hop_from_the_right(
        forwarded: str, expected: str) -> None:
    request = _request("127.0.0.1", forwarded)
    assert client_address(request, _settings("127.0.0.1", "10.0.0.0/8")) == expected


def test_a_malformed_proxy_setting_is_named() -> None:
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        client_address(_request("127.0.0.1"), _settings("not-an-address"))
