"""Which addresses engines may reach (the SSRF rules), as pure functions.

Only globally routable unicast addresses are fair game. The tables are spelled out rather
than taken from ``ipaddress.is_global``, whose answers changed between Python releases.
IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by the
IPv4 address inside them, so ``[::ffff:127.0.0.1]`` is loopback.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from mediadl.core.hosts import host_of

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

_BLOCKED: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "an unspecified address"),  # 0.0.0.0 reaches this very host
    ("10.0.0.0/8", "a private network address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),  # the cloud metadata service lives here
    ("172.16.0.0/12", "a private network address"),
    ("192.0.0.0/24", "a reserved address"),
    ("192.0.2.0/24", "a reserved address"),
    ("192.88.99.0/24", "a reserved address"),
    ("192.168.0.0/16", "a private network address"),
    ("198.18.0.0/15", "a reserved address"),
    ("198.51.100.0/24", "a reserved address"),
    ("203.0.113.0/24", "a reserved address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("::/96", "a reserved address"),  # deprecated IPv4-compatible form
    ("::ffff:0:0:0/96", "a reserved address"),  # IPv4-translated (SIIT)
    ("64:ff9b:1::/48", "a private network address"),  # local-use NAT64
    ("100::/64", "a reserved address"),
    ("2001::/23", "a reserved address"),  # Teredo, benchmarking, ORCHID, ...
    ("2001:db8::/32", "a reserved address"),
    ("fc00::/7", "a private network address"),  # unique local addresses
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a private network address"),  # old site-local
    ("ff00::/8", "a multicast address"),
)
BLOCKED_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ip_network(network), reason) for network, reason in _BLOCKED)
_NAT64 = ip_network("64:ff9b::/96")
_COMPATIBLE = ip_network("::/96")
# Names that always mean "this machine" or a cloud's metadata service, refused before any
# lookup; whatever else resolves to a private address is caught when connecting.
BLOCKED_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost",
                           "ip6-loopback", "metadata", "metadata.google.internal",
                           "metadata.goog", "instance-data"})


def parse_address(text: str) -> IPAddress:
    """An address from its text, without a zone id (``fe80::1%eth0``)."""
    return ip_address(text.split("%", 1)[0])


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 form carries, if it is one of those forms."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _COMPATIBLE and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why ``address`` may not be reached ("a loopback address"), or None when it may."""
    if isinstance(address, IPv6Address):
        inner = embedded_ipv4(address)
        inner_reason = blocked_reason(inner) if inner is not None else None
        if inner_reason is not None:
            return inner_reason
    for network, reason in BLOCKED_NETWORKS:
        if address.version == network.version and address in network:
            return reason
    return None


# Pure and asked once per URL: a batch of 10,000 links to one site asks 10,000 times.
@functools.lru_cache(maxsize=4096)
def literal_address(host: str) -> IPAddress | None:
    """The address a host name spells, in any form a resolver accepts: ``[::1]``, dotted
    quads, and the old inet_aton forms (``2130706433``, ``0177.0.0.1``, ``0x7f.1``,
    ``127.1``) that name 127.0.0.1 to the C library."""
    bare = host.strip("[]")
    try:
        return parse_address(bare)
    except ValueError:
        pass
    if not bare or not bare[0].isdigit():
        return None
    try:
        return IPv4Address(socket.inet_aton(bare))
    except OSError:
        return None


@dataclass(frozen=True)
class OutboundPolicy:
    """The guard's rules: blocked ranges, minus the networks an admin allowed and the
    exact endpoints (address, port) of our own services, such as the database server."""

    allowed_networks: tuple[IPNetwork, ...] = ()
    allowed_endpoints: frozenset[tuple[IPAddress, int]] = frozenset()

    @classmethod
    def from_strings(cls, networks: Iterable[str]) -> OutboundPolicy:
        """From ``security.allowed_networks``; ValueError names a malformed entry."""
        parsed = []
        for text in networks:
            try:
                parsed.append(ip_network(text.strip(), strict=False))
            except ValueError:
                raise ValueError(f"'{text}' in MEDIADL_SECURITY__ALLOWED_NETWORKS is not an "
                                 "address or network (like 192.168.1.0/24)") from None
        return cls(tuple(parsed))

    def refusal(self, address: IPAddress, port: int | None = None) -> str | None:
        """Why connecting to ``address`` is refused, or None when it is allowed."""
        if port is not None and (address, port) in self.allowed_endpoints:
            return None
        if any(address.version == net.version and address in net
               for net in self.allowed_networks):
            return None
        return blocked_reason(address)

    def with_endpoints(self, endpoints: Iterable[tuple[IPAddress, int]]) -> OutboundPolicy:
        return OutboundPolicy(self.allowed_networks, self.allowed_endpoints | set(endpoints))

    def url_refusal(self, url: str) -> str | None:
        """Early check of a URL's host name; a name that needs a lookup passes here and is
        judged at connect time."""
        host = host_of(url)
        if host in BLOCKED_NAMES or host.endswith(".localhost"):
            return "a name of this machine or of a metadata service"
        address = literal_address(host)
        return self.refusal(address) if address is not None else None

    def as_strings(self) -> list[str]:
        return [str(network) for network in self.allowed_networks]
