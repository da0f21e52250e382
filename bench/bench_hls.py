"""3. HLS whose every segment takes 0.2 s to answer: mediadl vs ``yt-dlp -N 8``.

The stream is two minutes in one-second segments (made once by ffmpeg under the cache), so
fetching the fragments dominates and start-up costs show as what they are. Goal: mediadl
(API, enqueue to completed) within 10% of yt-dlp with 8 concurrent fragments. yt-dlp's
default (one fragment at a time) is printed for scale.
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

NAME = "HLS, 0.2 s per segment"
SECONDS = 120
STREAM = "hls-120s"


def stream() -> Path:
    """A 320x180 stream with sound, cut into one-second segments, made once."""
    folder = EXTRA_DIR / STREAM
    playlist = folder / "index.m3u8"
    if playlist.exists():
        return playlist
    folder.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=10:duration={SECONDS}",
           "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=22050:duration={SECONDS}",
           "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-sc_threshold", "0",
           "-c:a", "aac", "-b:a", "32k", "-f", "hls", "-hls_time", "1",
           "-hls_playlist_type", "vod", "-hls_segment_filename", str(folder / "seg%03d.ts"),
           str(folder / ".index.m3u8"))
    (folder / ".index.m3u8").replace(playlist)
    return playlist


def run(rounds: int) -> list[Row]:
    stream()
    ytdlp = tool("yt-dlp")
    assert ytdlp is not None  # a dependency of mediadl
    with fixture_site() as site, Mediadl() as mediadl, scratch() as folder:
        url = site.url(f"/slowextra/{STREAM}/index.m3u8")

        def with_ytdlp(*flags: str) -> float:
            spent = timed_command([ytdlp, "-q", "--no-progress", *flags, "-o", "out.%(ext)s",
                                   url], folder)
            for leftover in folder.iterdir():
                leftover.unlink()
            return spent

        mediadl.timed_download(url)  # warm-up: a server that has been running a while
        ours, theirs = alternate(rounds, lambda: mediadl.timed_download(url),
                                 lambda: with_ytdlp("-N", "8"))
        one_at_a_time = [with_ytdlp()]
    return [compare_row(NAME, ours, "yt-dlp -N 8", theirs, "≤ 1.10x yt-dlp -N 8",
                        lambda ratio: ratio <= 1.10),
            compare_row(f"{NAME} (scale)", ours, "yt-dlp default", one_at_a_time,
                        "(for scale)", None)]


if __name__ == "__main__":
    print_table(run(arguments(__doc__ or "").rounds))
