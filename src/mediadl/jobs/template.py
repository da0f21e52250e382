"""What the job processes' template (the forkserver) loads before it forks anything.

Every job and probe process is forked from it and inherits all of this, so none of them
pays for it again: yt-dlp's extractor patterns (about 1.7 s of CPU), the CA bundle,
httpx's tuned reads and SQLAlchemy's configured mappers. There is one forkserver per
server process, shared by the job backend and the probes, so both name the same list.
"""

from __future__ import annotations

PRELOAD = [
    "mediadl.jobs.child",
    "mediadl.engines.registry",
    "mediadl.engines.ytdlp.warm",
    "mediadl.engines.http.warm",
    "mediadl.db.warm",
]
