"""How settings become the guard's policy, in the job process and at enqueue."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from mediadl.core.errors import InvalidPayload
from mediadl.core.settings import Settings
from mediadl.engines.base import FetchOptions
from mediadl.jobs.isolated import default_guard
from mediadl.security import outbound
from mediadl.security.addresses import OutboundPolicy
from mediadl.security.guarded_run import split_arguments
from mediadl.security.policy import (
    guard_job_process,
    outbound_policy,
    refuse_unsafe_url,
    service_endpoints,
)


def test_allowing_private_networks_turns_the_guard_off() -> None:
    assert outbound_policy(Settings(allow_private_networks=True)) is None
    refuse_unsafe_url(Settings(allow_private_networks=True), "http://127.0.0.1/")


def test_the_guard_is_on_by_default() -> None:
    policy = outbound_policy(Settings())
    assert policy == OutboundPolicy()
    with pytest.raises(InvalidPayload, match="MEDIADL_ALLOW_PRIVATE_NETWORKS"):
        refuse_unsafe_url(Settings(), "http://2130706433/")


def test_the_database_and_broker_stay_reachable_from_a_job_process() -> None:
    settings = Settings(database_url="postgresql+psycopg://u@127.0.0.1:5433/db",
                        broker_url="redis://127.0.0.1/0")
    assert service_endpoints(settings) == {(ip_address("127.0.0.1"), 5433),
                                           (ip_address("127.0.0.1"), 6379)}
    try:
        guard_job_process(settings)
        assert outbound.is_installed()
    finally:
        outbound.uninstall()


def test_sqlite_needs_no_endpoint(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert service_endpoints(Settings(data_dir=tmp_path)) == set()


def test_a_probe_is_guarded_unless_its_options_allow_private_networks() -> None:
    assert default_guard(("url", FetchOptions())) == OutboundPolicy()
    assert default_guard(("url",)) == OutboundPolicy()
    assert default_guard(("url", FetchOptions(allow_private_networks=True))) is None


def test_guarded_run_reads_its_command_line() -> None:
    assert split_arguments(["--allow", "10.1.0.0/16", "--", "mod", "-x"]) == (
        ["10.1.0.0/16"], "mod", ["-x"])
    for bad in (["mod"], ["--"], ["--allow", "--", "mod"], ["--deny", "x", "--", "m"]):
        with pytest.raises(ValueError, match="usage"):
            split_arguments(bad)
