"""Memory over weeks of simulated time, the clock included: does it level off once the story index's
horizon has passed?

Issue 14, item 5. ``bench.bench_memory`` runs the real ``raqib run`` but cannot move its clock, so nothing it
stores ages out during the run. Here the parts that hold what the service keeps about recent news run in this
process on a simulated clock: the shipped ``feeds.yaml``'s feeds replayed from loopback servers (as in
``bench_memory``: 4 new items a feed an hour, about one in ten about the field, dated by the simulated clock),
the real ``Pipeline`` (fetcher, parse and match in threads as the service does below 20 feeds, writer, story
index with its hourly eviction and 14-day horizon, outbox) on a SQLite file, polled once every simulated hour.
The chat platforms, the scheduler and the dispatcher are not here; they hold nothing per stored item.

Printed per simulated day: peak RSS of this process, and what the story index holds (near-duplicate rows
live, stories cached). The week the index fills (its horizon is 14 days) should grow; the weeks after it should
not.

    .venv/bin/python -m bench.bench_memory_clock [--days 28] [--per-hour 4]
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import os
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bench_memory import ReplayFeed
from bench.bench_soak import rss_of
from bench.summary import emit, target
from bot import runtime
from bot.app import fetch_settings, sync_config
from bot.config import Env, FeedsFile, load_config
from bot.fetch import Fetcher
from bot.pipeline import Pipeline
from bot.stories.index import INDEX_HORIZON
from storage.db import make_engine, upgrade
from tests.fakes.feedserver import FeedServer
from tests.service.support import ROOT

MB = 2**20
_LIBC = ctypes.CDLL("libc.so.6")  # glibc: malloc_trim for --probe


async def run(args: argparse.Namespace) -> None:
    shipped = load_config(ROOT / "feeds.yaml")
    tmp = Path(tempfile.mkdtemp(prefix="raqib-memory-clock-"))
    hosts = [await FeedServer(f"127.0.0.{2 + h}").start() for h in range(4)]
    clock = [datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=args.days)]
    feeds = [ReplayFeed(n, f.id, f.language == "ar", clock[0]) for n, f in enumerate(shipped.feeds)]
    for f in feeds:
        hosts[f.n % 4].route(f"/{f.feed_id}.xml", f)
    config = FeedsFile.model_validate(
        {
            "settings": {"allow_private_addresses": True},
            "feeds": [
                {
                    "id": f.feed_id,
                    "url": hosts[f.n % 4].url(f"/{f.feed_id}.xml"),
                    "language": "ar" if f.arabic else "en",
                }
                for f in feeds
            ],
        }
    )
    engine = make_engine(f"sqlite:///{tmp}/raqib.db")
    upgrade(engine)
    sync_config(engine, config)
    rows: list[tuple[int, float, int, int, int]] = []  # day, peak RSS, LSH rows live, stories cached, items
    stored = 0
    probes: list[tuple[int, float, float, float]] = []
    kinds: list[Counter[str]] = []  # --probe: objects the collector tracks, by type, at each day's end
    started = time.monotonic()
    try:
        async with Fetcher(fetch_settings(config, Env())) as fetcher:
            pipeline = Pipeline(engine=engine, fetcher=fetcher, config=config, clock=lambda: clock[0])
            index = pipeline.story_index
            # as ``raqib run``: no full collection while the writer works, one when it is idle (its "gc" job
            # looks every 30 s; an hourly cycle here ends long before the next look, so: after each cycle)
            runtime.settle()
            collections = runtime.FullCollections()
            for day in range(1, args.days + 1):
                peak = 0
                for _ in range(24):
                    results = await pipeline.poll_once()
                    stored += sum(r.new for r in results)
                    collections.tick(busy=pipeline.writer.busy)
                    peak = max(peak, rss_of(os.getpid())[0])
                    clock[0] += timedelta(hours=1)
                    for h in hosts:  # the fake servers record every request: here they share the process
                        h.requests.clear()
                    for f in feeds:
                        f.publish(args.per_hour, clock[0])
                rows.append((day, peak / MB, len(index.index), len(index.stories), stored))
                if args.probe:  # what of the RSS is freed memory malloc kept, and what the pool's connections hold
                    now_rss = rss_of(os.getpid())[0]
                    _LIBC.malloc_trim(0)
                    trimmed = rss_of(os.getpid())[0]
                    engine.dispose()
                    _LIBC.malloc_trim(0)
                    closed = rss_of(os.getpid())[0]
                    probes.append((day, now_rss / MB, trimmed / MB, closed / MB))
                    kinds.append(Counter(type(o).__name__ for o in gc.get_objects()))
                    print(
                        f"  end of day {day}: {now_rss / MB:.1f} MB; malloc_trim {trimmed / MB:.1f}; "
                        f"connections closed {closed / MB:.1f}",
                        flush=True,
                    )
                if args.trace and day == args.trace:
                    tracemalloc.start(6)  # from here on: what is allocated and still held at the end is growth
                print(
                    f"day {day}: {peak / MB:.0f} MB, {len(index.index)} rows, {len(index.stories)} stories", flush=True
                )
    finally:
        runtime.restore()
        for h in hosts:
            await h.close()
    horizon = INDEX_HORIZON.days
    if args.trace:
        held = tracemalloc.take_snapshot().statistics("traceback")
        tracemalloc.stop()
        print(
            f"\n# allocated after day {args.trace} and still held at day {args.days}: "
            f"{sum(st.size for st in held) / MB:.2f} MB; the largest:"
        )
        for st in held[:15]:
            print(f"{st.size / 1024:9.0f} KiB {st.count:7d} blocks")
            for line in st.traceback.format():
                print("    " + line)
    print(
        f"\n# {len(feeds)} shipped feeds replayed, {args.days} simulated days on a simulated clock, {args.per_hour} "
        f"items a feed an hour, {stored:,} stored ({time.monotonic() - started:.0f} s wall); the index's horizon "
        f"is {horizon} days\n"
    )
    print("| simulated day | peak RSS (MB) | near-duplicate rows live | stories cached | items stored |")
    print("|---:|---:|---:|---:|---:|")
    for day, mb, live, stories, items in rows:
        print(f"| {day} | {mb:.0f} | {live:,} | {stories:,} | {items:,} |")
    if probes:
        print("\n| simulated day | RSS at its end (MB) | after malloc_trim | after closing the pool's connections |")
        print("|---:|---:|---:|---:|")
        for day, now_rss, trimmed, closed in probes:
            print(f"| {day} | {now_rss:.1f} | {trimmed:.1f} | {closed:.1f} |")
        grew = kinds[-1] - kinds[min(horizon + 1, len(kinds) - 1)]
        print(f"\nobjects gained from day {min(horizon + 2, len(kinds))} to the last, by type: {grew.most_common(12)}")
    after = [mb for day, mb, *_ in rows if day > horizon + 1]
    growth = (after[-1] - after[0]) if len(after) > 1 else float("nan")
    emit(
        f"memory over {args.days} simulated days (clock simulated)",
        [
            target("peak RSS", max(mb for _, mb, *_ in rows), "<=", 250, "MB"),
            target(
                f"RSS growth after the {horizon}-day horizon (last day vs day {horizon + 2})", growth, "<=", 2, "MB"
            ),
        ],
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=28)
    p.add_argument("--per-hour", type=int, default=4, help="new items per feed per simulated hour")
    p.add_argument(
        "--probe",
        action="store_true",
        help="at each day's end: RSS, then after malloc_trim, then after closing the pool's connections too "
        "(changes what it measures: a diagnosis, not the figure)",
    )
    p.add_argument(
        "--trace", type=int, default=0, help="trace allocations from the end of this day: what is still held at the end"
    )
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
