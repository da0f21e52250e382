"""The outbound policy as settings make it, the early URL check of the queue, and the
guard of a job process."""

from __future__ import annotations

import functools
import logging
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from mediadl.core.errors import InvalidPayload
from mediadl.core.settings import Settings
from mediadl.security import outbound
from mediadl.security.addresses import IPAddress, OutboundPolicy, parse_address

log = logging.getLogger(__name__)

DEFAULT_SERVICE_PORTS = {"postgresql": 5432, "redis": 6379, "rediss": 6379}


def outbound_policy(settings: Settings) -> OutboundPolicy | None:
    """The policy engines run under, or None when private networks are allowed."""
    if settings.allow_private_networks:
        return None
    return _policy_for(tuple(settings.security.allowed_networks))


@functools.lru_cache(maxsize=16)
def _policy_for(allowed_networks: tuple[str, ...]) -> OutboundPolicy:
    return OutboundPolicy.from_strings(allowed_networks)


def refuse_unsafe_url(settings: Settings, url: str) -> None:
    """InvalidPayload for a URL whose host is a blocked address written out (in any
    spelling) or a name of this machine. Other names are checked when connecting."""
    policy = outbound_policy(settings)
    reason = policy.url_refusal(url) if policy is not None else None
    if reason is not None:
        raise InvalidPayload(f"url: mediadl does not download from {reason}; an admin can "
                             "allow private networks with MEDIADL_ALLOW_PRIVATE_NETWORKS=true.")


def guard_job_process(settings: Settings) -> None:
    """Install the guard in a job process: engines reach only public addresses, the
    process itself still reaches its database and broker."""
    policy = outbound_policy(settings)
    if policy is None:
        return
    outbound.install(policy.with_endpoints(service_endpoints(settings)))


def service_endpoints(settings: Settings) -> set[tuple[IPAddress, int]]:
    """(address, port) of the database and broker servers, resolved now."""
    endpoints: set[tuple[IPAddress, int]] = set()
    for host, port in _service_hosts(settings):
        endpoints.update(_resolve(host, port))
    return endpoints


def _service_hosts(settings: Settings) -> Iterator[tuple[str, int]]:
    database = make_url(settings.resolved_database_url)
    backend = database.get_backend_name()
    if database.host and backend in DEFAULT_SERVICE_PORTS:
        yield database.host, database.port or DEFAULT_SERVICE_PORTS[backend]
    if settings.broker_url:
        broker = urlsplit(settings.broker_url)
        if broker.hostname:
            yield broker.hostname, broker.port or DEFAULT_SERVICE_PORTS.get(broker.scheme, 6379)


def _resolve(host: str, port: int) -> set[tuple[IPAddress, int]]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        log.warning("cannot resolve %s to let job processes reach it", host)
        return set()
    return {(parse_address(str(info[4][0])), port) for info in found}
