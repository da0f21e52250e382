"""Who is on the other end of a request: the client address, proxy-aware.

``X-Forwarded-For`` is believed only when the peer is a proxy listed in
``security.trusted_proxies``; otherwise anyone could pick the address their failed logins
are counted against.
"""

from __future__ import annotations

from functools import lru_cache

from starlette.requests import HTTPConnection

from mediadl.core.settings import Settings
from mediadl.security.addresses import IPAddress, IPNetwork, OutboundPolicy, parse_address

MAX_ADDRESS_LENGTH = 64
UNKNOWN = "unknown"


@lru_cache(maxsize=32)
def _trusted(networks: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return OutboundPolicy.from_strings(networks).allowed_networks


def trusted_networks(settings: Settings) -> tuple[IPNetwork, ...]:
    try:
        return _trusted(tuple(settings.security.trusted_proxies))
    except ValueError as error:
        raise ValueError(str(error).replace("ALLOWED_NETWORKS", "TRUSTED_PROXIES")) from None


def client_address(request: HTTPConnection, settings: Settings) -> str:
    """The address of the client; behind trusted proxies, the first untrusted hop of
    ``X-Forwarded-For`` read from the right."""
    peer = request.client.host if request.client else UNKNOWN
    proxies = trusted_networks(settings)
    if not proxies or not _is_trusted(peer, proxies):
        return peer[:MAX_ADDRESS_LENGTH]
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _is_trusted(hop, proxies):
            return hop[:MAX_ADDRESS_LENGTH]
    return peer[:MAX_ADDRESS_LENGTH]


def _is_trusted(text: str, proxies: tuple[IPNetwork, ...]) -> bool:
    address = _address(text)
    return address is not None and any(
        address.version == network.version and address in network for network in proxies)


def _address(text: str) -> IPAddress | None:
    try:
        return parse_address(text)
    except ValueError:
        return None
