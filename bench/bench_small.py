"""4. Thirty small files (64 KiB each): mediadl with 3 workers vs ``yt-dlp -a batch.txt``.

mediadl gets the 30 URLs in one ``POST /queue/batch`` and is timed until the web UI hears
the last job completed (every file in the library), over the queue's WebSocket. Goal: at
least 2x as fast as the yt-dlp CLI, which fetches them one after the other.
"""

from __future__ import annotations

from pathlib import Path

from bench.common import (
    EXTRA_DIR,
    Mediadl,
    Row,
    alternate,
    arguments,
    compare_row,
    ffmpeg,
    fixture_site,
    print_table,
    scratch,
    timed_command,
    tool,
)

NAME = "30 small files (64 KiB)"
COUNT = 30
WORKERS = 3


def small_files() -> list[Path]:
    """Thirty distinct 8-second mp3 tones at 64 kbit/s (about 64 KiB), made once."""
    folder = EXTRA_DIR / "small"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(COUNT):
        path = folder / f"tone{number:02d}.mp3"
        if not path.exists():
            partial = folder / f".partial-{path.name}"
            ffmpeg("-f", "lavfi", "-i", f"sine=frequency={300 + 20 * number}:duration=8",
                   "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3", str(partial))
            partial.replace(path)
        paths.append(path)
    return paths


def run(rounds: int) -> list[Row]:
    files = small_files()
    ytdlp = tool("yt-dlp")
    assert ytdlp is not None  # a dependency of mediadl
    with fixture_site() as site, Mediadl(workers=WORKERS) as mediadl, scratch() as folder:
        urls = [site.url(f"/extra/small/{path.name}") for path in files]
        (folder / "batch.txt").write_text("\n".join(urls) + "\n")

        def with_mediadl() -> float:
            return mediadl.timed_run(lambda: mediadl.enqueue_batch(urls))

        def with_ytdlp() -> float:
            spent = timed_command([ytdlp, "-q", "--no-progress", "-a", "batch.txt",
                                   "-o", "%(id)s.%(ext)s"], folder)
            for leftover in folder.glob("tone*"):
                leftover.unlink()
            return spent

        ours, theirs = alternate(rounds, with_mediadl, with_ytdlp)
    return [compare_row(NAME, ours, "yt-dlp -a", theirs, "≥ 2x faster",
                        lambda ratio: ratio <= 0.5)]


if __name__ == "__main__":
    print_table(run(arguments(__doc__ or "").rounds))
