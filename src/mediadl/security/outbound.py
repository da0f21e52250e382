"""The outbound guard: engines may only connect to public addresses (SSRF protection).

Installed at the start of every job and probe process (never in the web server), it wraps
the socket layer of that process: every ``connect``/``sendto`` is checked against the
*actual* peer address after name resolution. One check point covers the first request,
every redirect, every HLS/DASH fragment and DNS rebinding (a name that resolves to a
public address for the check and to a private one for the connection cannot exist: the
address checked is the address connected to).

Programs started from a guarded process are outside its socket layer, so they are checked
at start instead: ffmpeg/ffprobe may only read local files, known downloaders may not be
given a URL, and a Python program with a URL must run under ``guarded_run``.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any

from mediadl.security.addresses import IPAddress, OutboundPolicy, parse_address

log = logging.getLogger(__name__)

GUARDED_RUN_MODULE = "mediadl.security.guarded_run"
HINT = ("an admin can allow it with MEDIADL_ALLOW_PRIVATE_NETWORKS=true or "
        "MEDIADL_SECURITY__ALLOWED_NETWORKS")
MEDIA_TOOLS = frozenset({"ffmpeg", "ffprobe", "avconv", "avprobe"})
NETWORK_PROGRAMS = frozenset({"aria2c", "curl", "wget", "axel", "http", "https", "rtmpdump",
                              "mplayer", "mpv", "phantomjs", "streamlink", "gallery-dl",
                              "yt-dlp", "youtube-dl"})
_URL = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_PYTHON = re.compile(r"python[0-9.]*")
_INET_FAMILIES = (socket.AF_INET, socket.AF_INET6)


class OutboundRefused(PermissionError):
    """A connection or program the guard refused. A PermissionError, so network code
    reports it as a failed connection and nothing treats it as a passing hiccup."""


@dataclass
class _Installed:
    policy: OutboundPolicy
    connect: Callable[..., Any]
    connect_ex: Callable[..., Any]
    sendto: Callable[..., Any]
    execute_child: Callable[..., Any]


_installed: _Installed | None = None


def install(policy: OutboundPolicy) -> None:
    """Guard this process from now on (a second call only replaces the policy)."""
    global _installed
    if _installed is not None:
        _installed.policy = policy
        return
    _installed = _Installed(policy, socket.socket.connect, socket.socket.connect_ex,
                            socket.socket.sendto,
                            subprocess.Popen._execute_child)  # type: ignore[attr-defined]
    _patch(_installed)


def uninstall() -> None:
    global _installed
    if _installed is None:
        return
    socket.socket.connect = _installed.connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _installed.connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _installed.sendto  # type: ignore[method-assign]
    subprocess.Popen._execute_child = _installed.execute_child  # type: ignore[attr-defined]
    _installed = None


def is_installed() -> bool:
    return _installed is not None


@contextmanager
def guarded(policy: OutboundPolicy | None = None) -> Iterator[None]:
    """The guard for the length of a block (tests, one-off calls)."""
    install(policy or OutboundPolicy())
    try:
        yield
    finally:
        uninstall()


# --- sockets -------------------------------------------------------------------------------


def _patch(installed: _Installed) -> None:
    def connect(sock: socket.socket, address: Any) -> None:
        installed.connect(sock, checked_address(sock, address, installed.policy))

    def connect_ex(sock: socket.socket, address: Any) -> int:
        result: int = installed.connect_ex(sock, checked_address(sock, address,
                                                                 installed.policy))
        return result

    def sendto(sock: socket.socket, data: Any, *rest: Any) -> int:
        if rest:  # sendto(data, address) or sendto(data, flags, address)
            rest = (*rest[:-1], checked_address(sock, rest[-1], installed.policy))
        result: int = installed.sendto(sock, data, *rest)
        return result

    def execute_child(popen: subprocess.Popen[Any], args: Any, executable: Any,
                      *rest: Any) -> None:
        check_program(args, executable)
        installed.execute_child(popen, args, executable, *rest)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = sendto  # type: ignore[method-assign,assignment]
    subprocess.Popen._execute_child = execute_child  # type: ignore[attr-defined]


def checked_address(sock: socket.socket, address: Any, policy: OutboundPolicy) -> Any:
    """``address`` with its host replaced by the checked IP it resolves to, so the
    connection goes exactly where the check looked; OutboundRefused otherwise."""
    if sock.family not in _INET_FAMILIES or not isinstance(address, tuple):
        return address  # Unix sockets and the like stay on this machine
    host, port, *rest = address
    peer = _resolve(str(host), int(port), sock.family)
    reason = policy.refusal(peer, int(port))
    if reason is not None:
        log.warning("outbound guard refused %s:%s (%s)", peer, port, reason)
        # The address stays in the log: a person who sent the link should not learn how
        # our internal names resolve.
        raise OutboundRefused(f"mediadl does not connect to {reason}; {HINT}.")
    return (str(peer), port, *rest)


def _resolve(host: str, port: int, family: int) -> IPAddress:
    if host in ("", "<broadcast>"):
        # What the C library would connect to: INADDR_ANY (this host) or broadcast.
        return IPv4Address(0) if host == "" else IPv4Address(0xFFFFFFFF)
    try:
        return parse_address(host)
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OutboundRefused(f"The host name {host} cannot be resolved: {error}") from None
    return parse_address(str(found[0][4][0]))


# --- programs ------------------------------------------------------------------------------


def check_program(args: Any, executable: Any) -> None:
    """Refuse to start a program that would open network connections unguarded."""
    argv = _argv(args)
    program = program_name(os.fsdecode(executable) if executable else argv[0] if argv else "")
    urls = network_arguments(program, argv[1:])
    if not urls:
        return
    if _PYTHON.fullmatch(program) and argv[1:3] == ["-m", GUARDED_RUN_MODULE]:
        return
    log.warning("outbound guard refused to start %s with %s", program, urls[0][:200])
    raise OutboundRefused(
        f"mediadl does not let {program} open network addresses while the outbound guard "
        "is on (it cannot check where a separate program connects); an admin can allow it "
        "only with MEDIADL_ALLOW_PRIVATE_NETWORKS=true.")


def _argv(args: Any) -> list[str]:
    if not isinstance(args, str | bytes):
        return [os.fsdecode(arg) for arg in args]
    # A command line for a shell: read it as the shell would, as far as words go.
    try:
        return shlex.split(os.fsdecode(args))
    except ValueError:
        return os.fsdecode(args).split()


def program_name(path: str) -> str:
    base = os.path.basename(path.split()[0]) if path.strip() else ""
    return base.removesuffix(".exe").lower()


def network_arguments(program: str, args: Sequence[str]) -> list[str]:
    """The arguments through which ``program`` would reach the network."""
    if program in MEDIA_TOOLS:
        return [value for value in media_inputs(program, args) if _is_network_input(value)]
    if program in NETWORK_PROGRAMS or _PYTHON.fullmatch(program):
        return [arg for arg in args if _URL.search(arg)]
    return []


def media_inputs(program: str, args: Sequence[str]) -> list[str]:
    """ffmpeg reads what follows ``-i``; ffprobe also takes its input without a flag."""
    inputs = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "-i"]
    if program in ("ffprobe", "avprobe"):
        inputs += [arg for arg in args if not arg.startswith("-") and _URL.search(arg)]
    return inputs


def _is_network_input(value: str) -> bool:
    # yt-dlp hands local files over as "file:<path>"; any other protocol is a network one.
    return not value.startswith("file:") and _URL.search(value) is not None


def guarded_command(policy: OutboundPolicy, module: str, args: Sequence[str]) -> list[str]:
    """The command that runs ``python -m module args`` under this guard (for engines that
    run a separate Python program, such as gallery-dl)."""
    allowed = [item for network in policy.as_strings() for item in ("--allow", network)]
    return [sys.executable, "-m", GUARDED_RUN_MODULE, *allowed, "--", module, *args]
