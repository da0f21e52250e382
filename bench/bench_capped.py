"""2. A 128 MiB file from a server that caps each connection at 4 MiB/s.

mediadl (API, enqueue to completed) vs ``aria2c -x 8 -s 8`` and vs the yt-dlp CLI with its
defaults (one connection). Goals: mediadl within 10% of aria2c, and at least 6x as fast as
the yt-dlp CLI.
"""

from __future__ import annotations

from bench.common import (
    MIB,
    Mediadl,
    Row,
    alternate,
    arguments,
    compare_row,
    fixture_site,
    median,
    print_table,
    random_file,
    scratch,
    skipped,
    timed_command,
    tool,
)

NAME = "128 MiB, 4 MiB/s per connection"
SIZE = 128 * MIB
RATE = 4 * MIB


def run(rounds: int) -> list[Row]:
    random_file("capped-128m.bin", SIZE)
    rows: list[Row] = []
    with fixture_site() as site, Mediadl() as mediadl, scratch() as folder:
        url = site.url(f"/extra/capped-128m.bin?rate={RATE}")

        def peer(argv: list[str]) -> float:
            spent = timed_command(argv, folder)
            for leftover in folder.iterdir():
                leftover.unlink()
            return spent

        ours: list[float] = []
        aria2c = tool("aria2c")
        if aria2c is None:
            rows.append(skipped(f"{NAME} vs aria2c", "aria2c is not installed"))
        else:
            ours, theirs = alternate(rounds, lambda: mediadl.timed_download(url),
                                     lambda: peer([aria2c, "-q", "-x", "8", "-s", "8",
                                                   "-o", "out.bin", url]))
            rows.append(compare_row(f"{NAME} vs aria2c", ours, "aria2c -x8 -s8", theirs,
                                    "≤ 1.10x aria2c", lambda ratio: ratio <= 1.10))
        ytdlp = tool("yt-dlp")
        assert ytdlp is not None  # a dependency of mediadl
        # yt-dlp takes 32 s here: one round of it, against the mediadl rounds above.
        single = [peer([ytdlp, "-q", "--no-progress", "-o", "out.%(ext)s", url])]
        if not ours:
            ours = [mediadl.timed_download(url) for _ in range(rounds)]
        speedup = median(single) / median(ours)
        row = compare_row(f"{NAME} vs yt-dlp", ours, "yt-dlp", single, "≥ 6x faster",
                          lambda ratio: 1 / ratio >= 6)
        row.ratio = f"{1 / speedup:.2f}x ({speedup:.1f}x faster)"
        rows.append(row)
    return rows


if __name__ == "__main__":
    print_table(run(arguments(__doc__ or "").rounds))
