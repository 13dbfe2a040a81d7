"""Poll-cycle benchmark: Raqib's pipeline vs the naive loop most RSS bots use, against the same servers.

500 feeds × 30 items on 127.0.0.1–127.0.0.25 (per-host limits apply as across real sites), each answer
delayed 100 ms; about one item in ten is about the field. Raqib, with the product's default limits: cold
(everything new: fetch, parse, normalize, match, store in SQLite, cluster into stories) and warm (everything
304). Baseline: ``for url in urls: feedparser.parse(url)`` sequentially. Each side runs in its own process so
peak RSS is its own; CPU time (client and its pool workers) is printed beside wall time because the machine
may be shared. ``--workload two-stories`` is a stress case for clustering (every field item a near-copy of
one of two texts).

    .venv/bin/python -m bench.bench_poll [--feeds 500] [--baseline-feeds 500] [--workload events|two-stories|field]
    .venv/bin/python -m bench.bench_poll --workload field --sizes 100,200,500
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
    hosts: int, feeds: int, workload: str = "events", delay: float = 0.1, days_old: float = 0.0
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
            "--days-old",
            str(days_old),
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


class LagProbe:
    """Event-loop responsiveness while a cycle runs: a task sleeping 10 ms at a time records how late each
    tick woke up. A command reply or a dispatch waits at least as long as the worst tick (issue 14, item 2)."""

    def __init__(self, tick: float = 0.01) -> None:
        self.tick, self.lags = tick, [0.0]
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t = loop.time()
            await asyncio.sleep(self.tick)
            self.lags.append(max(0.0, loop.time() - t - self.tick))

    def start(self) -> None:
        self.lags = [0.0]
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> tuple[float, float]:
        """(max, p99) lag in ms."""
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        lags = sorted(self.lags)
        return lags[-1] * 1000, lags[int(0.99 * (len(lags) - 1))] * 1000


def run_raqib(feeds: int, hosts: int, port: int, workload: str = "events") -> dict[str, float]:
    from bot.app import fetch_settings, parse_workers, sync_config
    from bot.config import Env, FeedsFile
    from bot.fetch import Fetcher
    from bot.pipeline import Pipeline
    from storage.db import make_engine, upgrade

    config = FeedsFile.model_validate(
        {
            # the product's default limits (50 in flight, 4 per host): what a deployment runs with
            "settings": {"allow_private_addresses": True, **_workers()},
            "feeds": [
                # the field workload's odd feeds are Arabic outlets
                {"id": f"f{n}", "url": u, "language": "ar" if workload == "field" and n % 2 else "en"}
                for n, u in enumerate(urls(feeds, hosts, port))
            ],
        }
    )
    tmp = tempfile.mkdtemp()
    engine = make_engine(f"sqlite:///{tmp}/bench.db")
    upgrade(engine)
    sync_config(engine, config)

    from concurrent.futures import ProcessPoolExecutor

    from bot.analyze import warm_up

    # the product's pool size (``bot.app.parse_workers``: cores − 1 unless ``--parse-workers`` sets it)
    pool = ProcessPoolExecutor(max_workers=parse_workers(config), initializer=warm_up)
    list(pool.map(abs, range(4)))  # start the workers (and build their lexicons) before the clock starts
    from bot.pipeline import warm_up_writer

    warm_up_writer()  # and the writer's tables, as ``raqib run`` builds them at start
    from bot import runtime

    runtime.settle()  # as ``raqib run`` once started: no full collection while the writer works (bot.runtime)

    async def go() -> dict[str, float]:
        out: dict[str, float] = {}
        async with Fetcher(fetch_settings(config, Env())) as fetcher:
            pipeline = Pipeline(engine=engine, fetcher=fetcher, config=config, cpu=pool)
            workers = list(pool._processes)  # type: ignore[attr-defined]

            def written() -> int:  # write transactions so far (0 on revisions without the batch writer)
                writer = getattr(pipeline, "writer", None)
                return writer.batches if writer is not None else 0

            probe = LagProbe()
            for mode in ("cold", "warm"):
                batches, cpu, own = written(), cpu_seconds(workers), cpu_seconds([])
                t = time.perf_counter()
                probe.start()
                results = await pipeline.poll_once()
                out[f"{mode}_s"] = time.perf_counter() - t
                out[f"{mode}_lag_max_ms"], out[f"{mode}_lag_p99_ms"] = await probe.stop()
                out[f"{mode}_cpu_s"] = cpu_seconds(workers) - cpu
                out[f"{mode}_main_cpu_s"] = cpu_seconds([]) - own  # the event loop and the writer thread
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


def _workers() -> dict[str, int]:
    """``--parse-workers N`` (passed to the children as ``BENCH_PARSE_WORKERS``): the pool's size; else the
    product's default (cores − 1)."""
    n = os.environ.get("BENCH_PARSE_WORKERS")
    return {"parse_workers": int(n)} if n else {}


def child(kind: str, feeds: int, hosts: int, port: int, workload: str) -> dict[str, float]:
    args = ["--child", kind, "--feeds", str(feeds), "--hosts", str(hosts), "--port", str(port), "--workload", workload]
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
    p.add_argument(
        "--sizes",
        default="",
        help="comma-separated feed counts (e.g. 100,200,500): raqib and the baseline at each, side by side",
    )
    p.add_argument("--hosts", type=int, default=25)
    p.add_argument("--child")
    p.add_argument("--port", type=int, default=0, help="(children) the feed servers' port")
    p.add_argument(
        "--workload",
        choices=("events", "two-stories", "field"),
        default="events",
        help="field items telling 60 events among general news (default); 'field': every item about the field "
        "from two templates, Arabic and English (issue 14); 'two-stories': near-copies of two texts",
    )
    p.add_argument("--parse-workers", type=int, help="the process pool's size (default: the product's, cores - 1)")
    p.add_argument(
        "--days-old",
        type=float,
        default=0.0,
        help="the newest item's age in days (default 0: news just published; 13: a backlog older than the "
        "story index's reach, stored through the late-backlog path)",
    )
    a = p.parse_args()
    if a.parse_workers:
        os.environ["BENCH_PARSE_WORKERS"] = str(a.parse_workers)
    if a.child:
        print(
            json.dumps(
                run_raqib(a.feeds, a.hosts, a.port, a.workload)
                if a.child == "raqib"
                else run_baseline(a.feeds, a.hosts, a.port)
            )
        )
        return
    if a.sizes:
        sizes(a)
        return
    server, port = start_servers(a.hosts, max(a.feeds, a.baseline_feeds), a.workload, days_old=a.days_old)
    try:
        r = child("raqib", a.feeds, a.hosts, port, a.workload)
        b = child("baseline", a.baseline_feeds, a.hosts, port, a.workload)
    finally:
        server.terminate()
        server.wait()
    base_per_feed = b["s"] / a.baseline_feeds
    base_s = base_per_feed * a.feeds
    print(
        f"# poll cycle: {a.feeds} feeds × 30 items on {a.hosts} loopback hosts, 100 ms server delay, "
        f"workload {a.workload}\n"
    )
    print("| run | time (s) | CPU (s) | feeds/s | items/s | peak RSS (MB) | loop lag max / p99 (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| baseline: sequential feedparser.parse(url) ({a.baseline_feeds} feeds) | {b['s']:.2f} | "
        f"{b['cpu_s']:.2f} | {a.baseline_feeds / b['s']:.1f} | {b['items'] / b['s']:.0f} | {b['peak_mb']:.0f} | – |"
    )
    print(
        f"| raqib cold (fetch+parse+match+store+stories, {r['cold_items']:.0f} new items, "
        f"{r['cold_batches']:.0f} write batches) | {r['cold_s']:.2f} | {r['cold_cpu_s']:.2f} | "
        f"{a.feeds / r['cold_s']:.1f} | {r['cold_items'] / r['cold_s']:.0f} | {r['cold_peak_mb']:.0f} | "
        f"{r['cold_lag_max_ms']:.0f} / {r['cold_lag_p99_ms']:.0f} |"
    )
    print(
        f"| raqib warm (all 304: {r['warm_304']:.0f}, {r['warm_batches']:.0f} write batches) | {r['warm_s']:.2f} | "
        f"{r['warm_cpu_s']:.2f} | {a.feeds / r['warm_s']:.1f} | – | {r['warm_peak_mb']:.0f} | "
        f"{r['warm_lag_max_ms']:.0f} / {r['warm_lag_p99_ms']:.0f} |"
    )
    print(
        "\nCPU: the client process and its parse/match workers (the feed servers run in a process of their own); "
        f"of the cold cycle's, the client process (event loop, writer thread) {r['cold_main_cpu_s']:.2f} s."
    )
    cores = os.cpu_count() or 1
    floor = r["cold_cpu_s"] / cores
    print(
        f"\nThis machine's speed: the baseline spends {1000 * b['cpu_s'] / a.baseline_feeds:.1f} ms of CPU a feed "
        f"(feedparser), raqib {1000 * r['cold_cpu_s'] / a.feeds:.1f} ms (parse, match, store, stories). On {cores} "
        f"cores the cold cycle cannot take less than its CPU over the cores, {floor:.2f} s: at this CPU cost a ratio "
        f"of at most {base_s / floor:.1f}×. The baseline mostly waits (100 ms a feed) and raqib mostly computes, so "
        "the ratio falls on a slower CPU."
    )
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
            target("event-loop lag during the cold cycle (max)", r["cold_lag_max_ms"], "<=", 100, "ms"),
            target("failed feeds", failed, "<=", 0),
        ],
    )


def sizes(a: argparse.Namespace) -> None:
    """Raqib and the baseline at each size, one server set for all (issue 14's "done when" table)."""
    ns = sorted(int(n) for n in a.sizes.split(","))
    server, port = start_servers(a.hosts, ns[-1], a.workload, days_old=a.days_old)
    rows: list[tuple[int, dict[str, float], dict[str, float]]] = []
    try:
        for n in ns:
            rows.append(
                (n, child("raqib", n, a.hosts, port, a.workload), child("baseline", n, a.hosts, port, a.workload))
            )
            print(f"  {n} feeds done", file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.wait()
    print(f"# poll cycle, workload {a.workload}: N feeds × 30 items, {a.hosts} loopback hosts, 100 ms server delay\n")
    print(
        "| feeds × items | raqib cold (s) | CPU (s) | ms per item | baseline (s) | ratio | raqib warm (s) "
        "| loop lag cold max / p99 (ms) | peak RSS raqib / baseline (MB) | failed |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, r, b in rows:
        print(
            f"| {n} × 30 | {r['cold_s']:.2f} | {r['cold_cpu_s']:.2f} "
            f"| {1000 * r['cold_s'] / max(r['cold_items'], 1):.2f} "
            f"| {b['s']:.2f} | {b['s'] / r['cold_s']:.1f}× | {r['warm_s']:.2f} "
            f"| {r['cold_lag_max_ms']:.0f} / {r['cold_lag_p99_ms']:.0f} | {r['cold_peak_mb']:.0f} / {b['peak_mb']:.0f} "
            f"| {r['cold_failed'] + r['warm_failed']:.0f} |"
        )
    per_item = [r["cold_s"] / max(r["cold_items"], 1) for _, r, _ in rows]
    n, r, b = rows[-1]
    emit(
        f"poll sizes ({a.sizes} feeds, {a.workload})",
        [
            target(f"cold cycle vs sequential feedparser at {n} feeds", b["s"] / r["cold_s"], ">=", 10, "×"),
            target("cost per item, largest / smallest size", per_item[-1] / per_item[0], "<=", 1.5, "×"),
            target(f"warm cycle (all 304) at {n} feeds, in process", r["warm_s"], "<", 2, "s"),
            target(f"event-loop lag during the cold cycle at {n} feeds (max)", r["cold_lag_max_ms"], "<=", 100, "ms"),
            target("failed feeds", sum(x["cold_failed"] + x["warm_failed"] for _, x, _ in rows), "<=", 0),
        ],
    )


if __name__ == "__main__":
    main()
