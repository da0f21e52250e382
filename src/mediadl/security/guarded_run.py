"""``python -m mediadl.security.guarded_run [--allow NET]... -- MODULE ARGS...``

Runs a Python program (``python -m MODULE ARGS``) with the outbound guard installed first,
so an engine that drives a separate Python tool keeps the same SSRF protection as one that
runs inside the job process. Build the command with ``outbound.guarded_command``.
"""

from __future__ import annotations

import runpy
import sys

from mediadl.security import outbound
from mediadl.security.addresses import OutboundPolicy

USAGE = "usage: python -m mediadl.security.guarded_run [--allow NETWORK]... -- MODULE [ARGS...]"


def split_arguments(argv: list[str]) -> tuple[list[str], str, list[str]]:
    """(allowed networks, module, its arguments); ValueError on a malformed command."""
    if "--" not in argv:
        raise ValueError(USAGE)
    cut = argv.index("--")
    options, program = argv[:cut], argv[cut + 1:]
    if not program or len(options) % 2 or any(flag != "--allow" for flag in options[::2]):
        raise ValueError(USAGE)
    return options[1::2], program[0], program[1:]


def main(argv: list[str]) -> None:
    try:
        allowed, module, arguments = split_arguments(argv)
        policy = OutboundPolicy.from_strings(allowed)
    except ValueError as error:
        sys.exit(str(error))
    outbound.install(policy)
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
