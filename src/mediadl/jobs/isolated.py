"""Run a short engine call (a probe) in a throw-away process with a deadline.

Extractors can hang on a bad server and are not thread-safe, so they never run in the web
server's threads; a process that overstays its deadline is killed with its group.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from mediadl.engines.base import EngineError, FetchOptions
from mediadl.jobs.template import PRELOAD
from mediadl.security import outbound
from mediadl.security.addresses import OutboundPolicy


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _target(function: Callable[..., Any], args: tuple[Any, ...], answer: Connection,
            guard: OutboundPolicy | None) -> None:
    with contextlib.suppress(PermissionError, ProcessLookupError):
        os.setpgid(0, 0)
    if guard is not None:
        outbound.install(guard)
    try:
        answer.send(("ok", function(*args)))
    except EngineError as error:
        answer.send(("engine_error", (error.message, error.transient, error.retry_after)))
    except Exception as error:  # reported to the caller as a readable failure
        answer.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        answer.close()


def run_isolated(function: Callable[..., Any], *args: Any, timeout: float,
                 outbound_policy: OutboundPolicy | None = None) -> Any:
    """``function(*args)`` in a child process; EngineError on failure or timeout.

    The process runs under the outbound guard: ``outbound_policy`` when given, else the
    default policy unless the FetchOptions among ``args`` allow private networks.
    """
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    guard = outbound_policy or default_guard(args)
    process = context.Process(target=_target, args=(function, args, sender, guard),
                              daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise EngineError("The site did not answer in time.", transient=True)
        kind, payload = receiver.recv()
    except EOFError:
        raise EngineError("Reading the link failed unexpectedly.", transient=True) from None
    finally:
        receiver.close()
        _kill_group(process.pid)
        process.join(5)
    if kind == "engine_error":
        message, transient, retry_after = payload
        raise EngineError(message, transient=transient, retry_after=retry_after)
    if kind == "error":
        raise EngineError(f"Reading the link failed: {payload}")
    return payload


def default_guard(args: tuple[Any, ...]) -> OutboundPolicy | None:
    """Guarded unless every FetchOptions given (how settings reach an engine) allows
    private networks; a call without FetchOptions is guarded too."""
    options = [arg for arg in args if isinstance(arg, FetchOptions)]
    if options and all(option.allow_private_networks for option in options):
        return None
    return OutboundPolicy()


def _kill_group(pid: int | None) -> None:
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
