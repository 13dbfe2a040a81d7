"""Poll-cycle benchmark: Raqib's pipeline vs the naive loop most RSS bots use, against the same servers.

500 feeds × 30 items on 127.0.0.1–127.0.0.25 (per-host limits apply as across real sites), each answer
delayed 100 ms; about one item in ten is about the field. Raqib, with the product's default limits: cold
(everything new: fetch, parse, normalize, match, store in SQLite, cluster into stories) and warm (everything
304). Baseline: ``for url in urls: feedparser.parse(url)`` sequentially. Each side runs in its own process so
peak RSS is its own; CPU time (client and its pool workers) is printed beside wall time because the machine
may be shared. ``--workload two-stories`` is a stress case for clustering (every field item a near-copy of
one of two texts).

    .venv/bin/python -m bench.bench_poll [--feeds 500] [--baseline-feeds 500] [--workload events|two-stories]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from bench.summary import emit, target


def urls(feeds: int, hosts: int, port: int) -> list[str]:
    return [f"http://127.0.0.{n % hosts + 1}:{port}/feed/{n}.xml" for n in range(feeds)]


def start_servers(
    hosts: int, feeds: int, workload: str = "events", delay: float = 0.1
) -> tuple[subprocess.Popen[str], int]:
    """``bench.feedservers`` in a process of its own, on a port the system had free (never a fixed one:
    the bench must run wherever it is started); returns the process and the port."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.feedservers",
            "--hosts",
            str(hosts),
            "--feeds",
            str(feeds),
            "--workload",
            workload,
            "--delay",
            str(delay),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    word, _, port = server.stdout.readline().strip().partition(" ")
    if word != "ready" or not port.isdigit():
        server.terminate()
        raise RuntimeError(f"feed servers did not start (said {word!r} {port!r})")
    return server, int(port)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of this process and of ``pids`` (live pool workers), from /proc.

    The machine is shared: wall time varies with others' load, CPU time much less."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def run_raqib(feeds: int, hosts: int, port: int) -> dict[str, float]:
    from bot.app import fetch_settings, sync_config
    from bot.config import Env, FeedsFile
    from bot.fetch import Fetcher
    from bot.pipeline import Pipeline
    from storage.db import make_engine, upgrade

    config = FeedsFile.model_validate(
        {
            # the product's default limits (50 in flight, 4 per host): what a deployment runs with
            "settings": {"allow_private_addresses": True},
            "feeds": [{"id": f"f{n}", "url": u, "language": "en"} for n, u in enumerate(urls(feeds, hosts, port))],
        }
    )
    tmp = tempfile.mkdtemp()
    engine = make_engine(f"sqlite:///{tmp}/bench.db")
    upgrade(engine)
    sync_config(engine, config)

    from concurrent.futures import ProcessPoolExecutor

    from bot.analyze import warm_up

    pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 2, initializer=warm_up)
    list(pool.map(abs, range(4)))  # start the workers (and build their lexicons) before the clock starts

    async def go() -> dict[str, float]:
        out: dict[str, float] = {}
        async with Fetcher(fetch_settings(config, Env())) as fetcher:
            pipeline = Pipeline(engine=engine, fetcher=fetcher, config=config, cpu=pool)
            workers = list(pool._processes)  # type: ignore[attr-defined]

            def written() -> int:  # write transactions so far (0 on revisions without the batch writer)
                writer = getattr(pipeline, "writer", None)
                return writer.batches if writer is not None else 0

            for mode in ("cold", "warm"):
                batches, cpu = written(), cpu_seconds(workers)
                t = time.perf_counter()
                results = await pipeline.poll_once()
                out[f"{mode}_s"] = time.perf_counter() - t
                out[f"{mode}_cpu_s"] = cpu_seconds(workers) - cpu
                out[f"{mode}_batches"] = written() - batches
                out[f"{mode}_items"] = sum(r.new for r in results)
                out[f"{mode}_failed"] = sum(r.status == "failed" for r in results)
                out[f"{mode}_304"] = sum(r.status == "not_modified" for r in results)
                out[f"{mode}_peak_mb"] = peak_mb()
        return out

    return asyncio.run(go())


def run_baseline(feeds: int, hosts: int, port: int) -> dict[str, float]:
    import feedparser

    t, cpu = time.perf_counter(), cpu_seconds([])
    items = 0
    for u in urls(feeds, hosts, port):
        items += len(feedparser.parse(u).entries)
    return {"s": time.perf_counter() - t, "cpu_s": cpu_seconds([]) - cpu, "items": items, "peak_mb": peak_mb()}


def child(kind: str, feeds: int, hosts: int, port: int) -> dict[str, float]:
    args = ["--child", kind, "--feeds", str(feeds), "--hosts", str(hosts), "--port", str(port)]
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_poll", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--feeds", type=int, default=500)
    p.add_argument("--baseline-feeds", type=int, default=500)
    p.add_argument("--hosts", type=int, default=25)
    p.add_argument("--child")
    p.add_argument("--port", type=int, default=0, help="(children) the feed servers' port")
    p.add_argument(
        "--workload",
        choices=("events", "two-stories"),
        default="events",
        help="field items telling 60 events (default), or all near-copies of two texts (a stress case)",
    )
    a = p.parse_args()
    if a.child:
        fn = run_raqib if a.child == "raqib" else run_baseline
        print(json.dumps(fn(a.feeds, a.hosts, a.port)))
        return
    server, port = start_servers(a.hosts, max(a.feeds, a.baseline_feeds), a.workload)
    try:
        r = child("raqib", a.feeds, a.hosts, port)
        b = child("baseline", a.baseline_feeds, a.hosts, port)
    finally:
        server.terminate()
        server.wait()
    base_per_feed = b["s"] / a.baseline_feeds
    base_s = base_per_feed * a.feeds
    print(
        f"# poll cycle: {a.feeds} feeds × 30 items on {a.hosts} loopback hosts, 100 ms server delay, "
        f"workload {a.workload}\n"
    )
    print("| run | time (s) | CPU (s) | feeds/s | items/s | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| baseline: sequential feedparser.parse(url) ({a.baseline_feeds} feeds) | {b['s']:.2f} | "
        f"{b['cpu_s']:.2f} | {a.baseline_feeds / b['s']:.1f} | {b['items'] / b['s']:.0f} | {b['peak_mb']:.0f} |"
    )
    print(
        f"| raqib cold (fetch+parse+match+store+stories, {r['cold_items']:.0f} new items, "
        f"{r['cold_batches']:.0f} write batches) | {r['cold_s']:.2f} | {r['cold_cpu_s']:.2f} | "
        f"{a.feeds / r['cold_s']:.1f} | {r['cold_items'] / r['cold_s']:.0f} | {r['cold_peak_mb']:.0f} |"
    )
    print(
        f"| raqib warm (all 304: {r['warm_304']:.0f}, {r['warm_batches']:.0f} write batches) | {r['warm_s']:.2f} | "
        f"{r['warm_cpu_s']:.2f} | {a.feeds / r['warm_s']:.1f} | – | {r['warm_peak_mb']:.0f} |"
    )
    print("\nCPU: the client process and its parse/match workers (the feed servers run in a process of their own).")
    print(
        f"\ncold speed-up vs baseline: {base_s / r['cold_s']:.1f}× (target ≥ 10×); "
        f"warm cycle {r['warm_s']:.2f} s (target < 2 s); failed feeds: {r['cold_failed']:.0f}/{r['warm_failed']:.0f}"
    )
    failed = r["cold_failed"] + r["warm_failed"]
    emit(
        f"poll ({a.feeds} feeds, {a.workload})",
        [
            target("cold cycle vs sequential feedparser", base_s / r["cold_s"], ">=", 10, "×"),
            target("warm cycle (all 304), in process", r["warm_s"], "<", 2, "s"),
            target("failed feeds", failed, "<=", 0),
        ],
    )


if __name__ == "__main__":
    main()
