"""5. Bulk enqueue and a big queue: 10,000 URLs in one ``POST /queue/batch`` (goal ≤ 2 s),
then pages of the 20,000-job queue sorted by priority (goal: p50 ≤ 50 ms).

The jobs are enqueued paused, so nothing runs while the pages are timed; each page request
goes through the whole app (HTTP, authentication, SQL, JSON).
"""

from __future__ import annotations

import random
import statistics
import time

from bench.common import Mediadl, Row, arguments, print_table

BATCH = 10_000
BATCHES = 2
PAGES = 60
PAGE_SIZE = 50


def urls(batch: int) -> list[str]:
    return [f"https://cdn.example.com/queue-bench/{batch}/clip-{n:05d}.mp4" for n in range(BATCH)]


def run(rounds: int) -> list[Row]:
    del rounds  # one pass: the second batch already is the "queue of 10,000+" case
    with Mediadl() as mediadl:
        enqueue_times = []
        for batch in range(BATCHES):
            started = time.perf_counter()
            answer = mediadl.client.post("/api/v1/queue/batch",
                                         json={"urls": urls(batch), "paused": True})
            enqueue_times.append(time.perf_counter() - started)
            answer.raise_for_status()
        pages = page_times(mediadl, BATCH * BATCHES // PAGE_SIZE)
    worst = max(enqueue_times)
    p50, p95 = statistics.median(pages), statistics.quantiles(pages, n=20)[18]
    return [
        Row(f"enqueue {BATCH:,} URLs (one batch)", f"{worst:.2f} s (slowest of {BATCHES})",
            "-", "-", "≤ 2 s", "met" if worst <= 2 else "missed"),
        Row(f"queue page, {BATCH * BATCHES:,} jobs, by priority",
            f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms", "-", "-", "p50 ≤ 50 ms",
            "met" if p50 <= 0.05 else "missed"),
    ]


def page_times(mediadl: Mediadl, last_page: int) -> list[float]:
    """First, last and random pages, in both directions."""
    chosen = [1, last_page, *random.Random(7).sample(range(1, last_page + 1), PAGES - 2)]
    spent = []
    for index, page in enumerate(chosen):
        order = "asc" if index % 2 == 0 else "desc"
        started = time.perf_counter()
        answer = mediadl.client.get("/api/v1/queue", params={
            "sort": "priority", "order": order, "page": page, "page_size": PAGE_SIZE})
        spent.append(time.perf_counter() - started)
        answer.raise_for_status()
    return spent


if __name__ == "__main__":
    print_table(run(arguments(__doc__ or "", rounds=1).rounds))
