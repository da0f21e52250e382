"""1. A 1 GiB direct file over loopback: mediadl (API, enqueue to completed) vs curl.

Goal: mediadl's time ≤ 1.4x curl's. curl is the reference for one connection written
straight to disk; mediadl's time also covers the job start, the probe, the library's
sha256 of the file and its move into the library.
"""

from __future__ import annotations

from bench.common import (
    Mediadl,
    Row,
    alternate,
    arguments,
    compare_row,
    fixture_site,
    print_table,
    random_file,
    scratch,
    skipped,
    timed_command,
    tool,
)

NAME = "1 GiB direct file"
SIZE = 1024 * 1024 * 1024
GOAL = 1.4


def run(rounds: int) -> list[Row]:
    curl = tool("curl")
    if curl is None:
        return [skipped(NAME, "curl is not installed")]
    random_file("direct-1g.bin", SIZE)
    with fixture_site() as site, Mediadl() as mediadl, scratch() as folder:
        url = site.url("/extra/direct-1g.bin")

        def with_curl() -> float:
            spent = timed_command([curl, "-sS", "-o", "out.bin", url], folder)
            (folder / "out.bin").unlink()
            return spent

        ours, theirs = alternate(rounds, lambda: mediadl.timed_download(url), with_curl)
    return [compare_row(NAME, ours, "curl", theirs, f"≤ {GOAL}x curl",
                        lambda ratio: ratio <= GOAL)]


if __name__ == "__main__":
    print_table(run(arguments(__doc__ or "").rounds))
