"""Import this module to warm yt-dlp up; meant for the job processes' template (forkserver).

yt-dlp picks an extractor by matching the URL against ~1,800 patterns, each compiled on its
first use: about 1.7 s of CPU, paid again by every job process forked from a template that
only imported yt-dlp (measured on the project's 2-core machine; a generic URL, which is
checked against every pattern, pays all of it). Compiled once in the template, every
forked job process inherits the patterns and starts extracting at once.

The web server never extracts, so it does not import this module.
"""

from __future__ import annotations

from yt_dlp.extractor import gen_extractor_classes

# Any URL works: a generic one is checked against every extractor, which is the point.
WARM_UP_URL = "https://mediadl.invalid/warm-up.mp4"


def warm_up() -> int:
    """Compile every extractor's URL pattern; returns how many extractors there are."""
    extractors = list(gen_extractor_classes())
    for extractor in extractors:
        extractor.suitable(WARM_UP_URL)
    return len(extractors)


warm_up()
