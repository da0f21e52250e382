"""WebSocket fan-out: 200 clients connected while 16 downloads from the fixture site run.

Prints the events delivered per second, the delay from the hub's publish to a client's
receipt (p50 / p99 / max, from the ``published_at`` every message carries), how evenly the
clients were served (fewest and most messages per client) and the CPU the server process
spent, once with the clients and once without them, so the difference is the fan-out.

Goal: p99 below 250 ms, no client starved, fan-out CPU below one core. Nothing asserts;
the figures are for people and the README's performance section.

Run from the repository root: ``.venv/bin/python bench/ws_fanout.py`` (or
``python -m bench.ws_fanout``). ``--clients`` and ``--downloads`` change the load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `bench` and `tests` importable
    sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from bench.common import Mediadl, fixture_site, machine  # noqa: E402

VIDEO_BYTES = 385_008  # the fixture site's video.mp4
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Client:
    messages: int = 0
    delays: list[float] = field(default_factory=list)
    completed: set[int] = field(default_factory=set)
    # When each event arrived here, by its publish time (the same on every client).
    arrivals: dict[str, float] = field(default_factory=dict)


@dataclass
class Phase:
    clients: list[Client]
    seconds: float
    server_cpu: float  # cores, averaged over the phase
    clients_cpu: float
    server_waited: float  # seconds per second the server's threads waited for a CPU

    @property
    def delays(self) -> list[float]:
        return [delay for client in self.clients for delay in client.delays]


def published_delay(message: dict[str, object]) -> float:
    stamp = str(message["published_at"]).removesuffix("Z") + "+00:00"
    return time.time() - datetime.fromisoformat(stamp).timestamp()


async def listen(ws: ClientConnection, client: Client, ready: asyncio.Event) -> None:
    async for raw in ws:
        message = json.loads(raw)
        if message["type"] == "snapshot":
            ready.set()
            continue
        client.messages += 1
        client.delays.append(published_delay(message))
        client.arrivals[f"{message['published_at']}/{message['type']}"] = time.monotonic()
        data = message["data"]
        if message["type"] == "queue_updated" and data["action"] == "completed":
            client.completed.add(data["item"]["id"])


def run_queue_seconds(pid: int) -> float:
    """Time the process's threads were ready to run but waited for a CPU (schedstat)."""
    waited = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            waited += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # a thread that ended meanwhile
    return waited / 1e9


def server_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime of the process (all threads)


def client_process(url: str, headers: dict[str, str], count: int, pipe: Connection) -> None:
    """A share of the clients in a process of its own, as browsers are: one process for
    all of them would measure the benchmark's own event loop, not the server."""
    asyncio.run(_client_share(url, headers, count, pipe))


async def _client_share(url: str, headers: dict[str, str], count: int,
                        pipe: Connection) -> None:
    sockets = [await connect(url, additional_headers=headers, max_queue=None)
               for _ in range(count)]
    clients = [Client() for _ in sockets]
    readiness = [asyncio.Event() for _ in sockets]
    tasks = [asyncio.create_task(listen(ws, client, ready))
             for ws, client, ready in zip(sockets, clients, readiness, strict=True)]
    await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readiness)), 300)
    pipe.send("ready")
    cpu = time.process_time()
    await asyncio.to_thread(pipe.recv)  # "stop"
    cpu = time.process_time() - cpu
    for ws in sockets:
        await ws.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    # Plain values: the classes of a spawned __main__ do not unpickle in the parent.
    pipe.send(([(c.messages, c.delays, sorted(c.completed), c.arrivals) for c in clients], cpu))


def run_phase(server: Mediadl, urls: list[str], count: int, processes: int) -> Phase:
    url = server.url.replace("http", "ws", 1) + "/ws/downloads"
    headers = {"Authorization": server.client.headers["Authorization"]}
    context = multiprocessing.get_context("spawn")
    shares = [count // processes + (1 if n < count % processes else 0)
              for n in range(processes)] if count else []
    pipes, children = [], []
    for share in shares:
        ours, theirs = context.Pipe()
        child = context.Process(target=client_process, args=(url, headers, share, theirs))
        child.start()
        pipes.append(ours)
        children.append(child)
    for pipe in pipes:
        assert pipe.recv() == "ready"
    assert server.process is not None
    pid = server.process.pid
    ticks, waited, started = server_ticks(pid), run_queue_seconds(pid), time.monotonic()
    server.wait(server.enqueue_batch(urls), 0.5)
    seconds = time.monotonic() - started
    server_cpu = (server_ticks(pid) - ticks) / CLOCK_TICKS / seconds
    waited = (run_queue_seconds(pid) - waited) / seconds
    time.sleep(1.0)  # the last messages are on their way
    for pipe in pipes:
        pipe.send("stop")
    results = [pipe.recv() for pipe in pipes]
    for child in children:
        child.join(60)
    clients = [Client(messages, delays, set(completed), arrivals)
               for share, _ in results for messages, delays, completed, arrivals in share]
    clients_cpu = sum(cpu for _, cpu in results) / seconds
    return Phase(clients, seconds, server_cpu, clients_cpu, waited)


def spreads(clients: list[Client]) -> list[float]:
    """Per event: from the first client's receipt to the last one's (fan-out fairness)."""
    keys = set().union(*(client.arrivals for client in clients)) if clients else set()
    return [max(c.arrivals[key] for c in clients if key in c.arrivals)
            - min(c.arrivals[key] for c in clients if key in c.arrivals) for key in keys]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def report(loaded: Phase, idle: Phase, downloads: int, processes: int) -> None:
    counts = [client.messages for client in loaded.clients]
    delivered = sum(counts)
    p50, p99 = percentile(loaded.delays, 0.50), percentile(loaded.delays, 0.99)
    fanout_cpu = loaded.server_cpu - idle.server_cpu
    starved = sum(1 for client in loaded.clients if len(client.completed) < downloads)
    print(f"\nWebSocket fan-out: {len(loaded.clients)} clients, {downloads} downloads "
          f"({machine()})")
    print(f"  run time                       {loaded.seconds:.1f} s "
          f"(without clients {idle.seconds:.1f} s)")
    print(f"  events delivered               {delivered} ({delivered / loaded.seconds:.0f}/s, "
          f"{statistics.mean(counts):.0f} per client)")
    print(f"  delay publish → client         p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
          f"max {max(loaded.delays, default=0) * 1000:.1f} ms")
    spread = spreads(loaded.clients)
    print(f"  first → last client, per event p50 {percentile(spread, 0.5) * 1000:.1f} ms, "
          f"p99 {percentile(spread, 0.99) * 1000:.1f} ms")
    print(f"  messages per client            fewest {min(counts)}, most {max(counts)}; "
          f"clients that missed a completion: {starved}")
    print(f"  server CPU                     {loaded.server_cpu:.2f} cores with clients, "
          f"{idle.server_cpu:.2f} without → fan-out {fanout_cpu:.2f} cores")
    print(f"  server threads waiting for CPU {loaded.server_waited:.2f} s per second "
          f"(a busy machine, not the server, when high)")
    print(f"  the clients' CPU               {loaded.clients_cpu:.2f} cores "
          f"({processes} processes)")
    verdict = p99 < 0.25 and starved == 0 and fanout_cpu < 1.0
    print(f"  goal (p99 < 250 ms, none starved, fan-out < 1 core): "
          f"{'met' if verdict else 'missed'}")


def bench(clients: int, downloads: int, seconds_per_download: float, processes: int) -> None:
    rate = int(VIDEO_BYTES / seconds_per_download)
    # Every client is the same account here; lift the per-account socket limit. One
    # connection per download, so the pacing makes each one last as long as asked.
    env = {"MEDIADL_REALTIME__MAX_SOCKETS_PER_USER": str(clients + 10),
           "MEDIADL_DOWNLOADS__PER_HOST_CONNECTIONS": "1"}
    with fixture_site() as site, Mediadl(env=env, workers=downloads) as server:
        def urls(phase: str) -> list[str]:
            return [site.url(f"/throttled/video.mp4?rate={rate}&copy={phase}{n}")
                    for n in range(downloads)]

        loaded = run_phase(server, urls("a"), clients, processes)
        idle = run_phase(server, urls("b"), 0, processes)
    report(loaded, idle, downloads, processes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--downloads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="how long each download is paced to take")
    parser.add_argument("--client-processes", type=int, default=4,
                        help="processes the clients are spread over")
    options = parser.parse_args()
    bench(options.clients, options.downloads, options.seconds, options.client_processes)


if __name__ == "__main__":
    main()
