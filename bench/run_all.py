"""Every speed benchmark, one after the other, printed as one table (Markdown).

    python -m bench.run_all [--rounds N]      (or: make bench)

Each benchmark prints medians of alternating rounds and the ratio to its peer, measured in
this run on this machine; paste the table into the README's "Performance" section.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable

from bench import (
    bench_capped,
    bench_direct,
    bench_hls,
    bench_memory,
    bench_queue,
    bench_small,
)
from bench.common import Row, arguments, machine, print_table

BENCHMARKS: tuple[tuple[str, Callable[[int], list[Row]]], ...] = (
    ("1 GiB direct file", bench_direct.run),
    ("capped connections", bench_capped.run),
    ("slow HLS", bench_hls.run),
    ("small files", bench_small.run),
    ("queue", bench_queue.run),
    ("memory", bench_memory.run),
)


def main() -> None:
    rounds = arguments(__doc__ or "").rounds
    started = time.monotonic()
    header = machine()
    rows: list[Row] = []
    for name, run in BENCHMARKS:
        print(f"running: {name} ...", flush=True)
        try:
            rows.extend(run(rounds))
        except Exception as error:  # one broken benchmark must not hide the others
            traceback.print_exc()
            rows.append(Row(name, "-", "-", "-", "-", f"error: {error}"[:80]))
    print_table(rows, title=f"mediadl speed, {header}, {rounds} rounds, "
                            f"{(time.monotonic() - started) / 60:.0f} min")


if __name__ == "__main__":
    main()
