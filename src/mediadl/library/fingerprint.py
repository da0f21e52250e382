"""Perceptual fingerprints of pictures, and finding near-duplicates among them.

A difference hash (dHash): the picture shrunk to 9x8 grey pixels by ffmpeg, one bit per
pair of neighbours ("is the left one darker?"). Re-encoding, resizing, light compression
and small colour changes flip only a few of the 64 bits, so reposts of one picture lie a
small Hamming distance apart while different pictures differ in about half the bits.

Near pairs are found without comparing every pair: split the 64 bits into
``max_distance + 1`` pieces; two hashes within that distance agree exactly on at least one
piece (pigeonhole), so only hashes sharing a piece are compared.
"""

from __future__ import annotations

import itertools
import logging
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

FFMPEG = "ffmpeg"
TIMEOUT_SECONDS = 60
WIDTH, HEIGHT = 9, 8
BITS = 64


def dhash(path: Path) -> int | None:
    """The 64-bit difference hash of a picture, or None when ffmpeg cannot read it."""
    # The picture arrives on standard input: ffmpeg reads it by content, and nothing in
    # its name (a "%d", a protocol) can be taken for anything else.
    command = [FFMPEG, "-v", "error", "-protocol_whitelist", "pipe", "-i", "pipe:0",
               "-frames:v", "1", "-vf", f"scale={WIDTH}:{HEIGHT}:flags=area,format=gray",
               "-f", "rawvideo", "pipe:1"]
    try:
        with path.open("rb") as picture:
            finished = subprocess.run(command, capture_output=True, check=False,  # noqa: S603
                                      timeout=TIMEOUT_SECONDS, stdin=picture)
    except (subprocess.TimeoutExpired, OSError) as error:
        log.info("no fingerprint for %s: %s", path.name, error)
        return None
    pixels = finished.stdout
    if finished.returncode != 0 or len(pixels) != WIDTH * HEIGHT:
        return None
    return hash_of_pixels(pixels)


def hash_of_pixels(pixels: bytes) -> int:
    value = 0
    for row in range(HEIGHT):
        line = pixels[row * WIDTH:(row + 1) * WIDTH]
        for left, right in itertools.pairwise(line):
            value = (value << 1) | (left < right)
    return value


def to_signed(value: int) -> int:
    """For a BIGINT column: databases have no unsigned 64-bit integer."""
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def to_unsigned(value: int) -> int:
    return value + (1 << BITS) if value < 0 else value


def distance(first: int, second: int) -> int:
    return (to_unsigned(first) ^ to_unsigned(second)).bit_count()


def near_pairs(hashes: dict[int, int], max_distance: int) -> Iterable[tuple[int, int, int]]:
    """(id, id, distance) of every pair of ``hashes`` (id → hash) within ``max_distance``."""
    pieces = _pieces(max_distance + 1)
    seen: set[tuple[int, int]] = set()
    for shift, mask in pieces:
        buckets: dict[int, list[int]] = defaultdict(list)
        for item, value in hashes.items():
            buckets[(to_unsigned(value) >> shift) & mask].append(item)
        for members in buckets.values():
            yield from _close_within(members, hashes, max_distance, seen)


def _close_within(members: list[int], hashes: dict[int, int], max_distance: int,
                  seen: set[tuple[int, int]]) -> Iterable[tuple[int, int, int]]:
    for index, first in enumerate(members):
        for second in members[index + 1:]:
            pair = (min(first, second), max(first, second))
            if pair in seen:
                continue
            seen.add(pair)
            apart = distance(hashes[first], hashes[second])
            if apart <= max_distance:
                yield pair[0], pair[1], apart


def _pieces(count: int) -> list[tuple[int, int]]:
    """(shift, mask) of ``count`` bit ranges covering all 64 bits."""
    bounds = [round(index * BITS / count) for index in range(count + 1)]
    return [(start, (1 << (end - start)) - 1) for start, end in itertools.pairwise(bounds)]
