"""Memory of ``raqib run`` over a simulated week with the shipped feeds, and over a store of 1M items.

Issue 14, item 5. The shipped ``feeds.yaml``'s feeds (same ids, languages, count), each replayed from a loopback
server; time is accelerated: every ``--interval`` seconds of wall time is one simulated hour, in which each feed
publishes ``--per-hour`` new items (about one in ten about the field: an Arabic template for Arabic feeds, an
English one for the others) and the service polls it once. A week = 168 polls of every feed and ~100 new items
a feed a day, the volume a week of these outlets brings. The service's own clock is not accelerated: item ages,
the 14-day story index window and digests run on real time, so nothing the week stores ages out during the run
(the pessimistic case for growth). RSS of the service's main process, and of it with any child processes, is
sampled every second.

``--stored 1000000`` first fills the store with 1M items, their matches and stories (``bench.bench_latest``'s
generator: items over a past year) before the service starts.

    .venv/bin/python -m bench.bench_memory [--days 7] [--interval 2] [--per-hour 4] [--stored 0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from bench.bench_soak import rss_of
from bench.feedservers import EVENTS, TOPICS, field_template
from bench.summary import emit, target
from bot.config import load_config
from storage.db import make_engine, upgrade
from tests.fakes.feedserver import FeedServer, Reply, Request
from tests.service.support import ROOT, Child, child_env

AR_FILLER = "أخبار محلية: المجلس البلدي يناقش الميزانية والطرق والحدائق في جلسته الأسبوعية"


class ReplayFeed:
    """One shipped feed, replayed: a backlog, then ``publish`` adds items; 304 while nothing changed."""

    def __init__(self, n: int, feed_id: str, arabic: bool, now: datetime | None = None) -> None:
        self.n, self.feed_id, self.arabic = n, feed_id, arabic
        self.entries: list[str] = []
        self.count = 0
        self.publish(20, now)

    def publish(self, k: int, now: datetime | None = None) -> None:
        """``k`` new items, the newest published at ``now`` (default: the real clock)."""
        now = now or datetime.now(UTC)
        for _ in range(k):
            i = self.count
            self.count += 1
            if i % 10 == self.n % 10:  # about one in ten about the field
                title, text = field_template((self.n * 31 + i * 7) % EVENTS, arabic=self.arabic)
            elif self.arabic:
                title, text = f"{AR_FILLER} ({self.n}-{i})", AR_FILLER
            else:
                t = TOPICS[(self.n + i) % len(TOPICS)]
                title, text = f"{self.feed_id} story {i}: {t}", f"Report {i} about {t}, with officials and markets."
            when = format_datetime(now - timedelta(seconds=k - _))
            self.entries.insert(
                0,
                f"<item><title>{escape(title)}</title><link>https://{self.feed_id}.example/{i}</link>"
                f"<guid>{self.feed_id}-{i}</guid><pubDate>{when}</pubDate>"
                f"<description>{escape(text)}</description></item>",
            )
        del self.entries[40:]

    def __call__(self, request: Request) -> Reply:
        etag = f'"v{self.count}"'
        if request.headers.get("if-none-match") == etag:
            return Reply(status=304, headers={"ETag": etag})
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{self.feed_id}</title>{''.join(self.entries)}</channel></rss>"
        ).encode()
        return Reply(body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"})


async def run(args: argparse.Namespace) -> None:
    shipped = load_config(ROOT / "feeds.yaml")
    tmp = Path(tempfile.mkdtemp(prefix="raqib-memory-"))
    (tmp / "data").mkdir()
    hosts = [await FeedServer(f"127.0.0.{2 + h}").start() for h in range(4)]
    feeds = [ReplayFeed(n, f.id, f.language == "ar") for n, f in enumerate(shipped.feeds)]
    for f in feeds:
        hosts[f.n % 4].route(f"/{f.feed_id}.xml", f)
    lines = [
        "settings:",
        f"  default_interval: {args.interval}",
        "  interval_jitter: 0.1",
        "  allow_private_addresses: true",
        f"  data_dir: '{tmp / 'data'}'",
        "feeds:",
    ]
    lines += [
        f"  - {{id: {f.feed_id}, url: '{hosts[f.n % 4].url(f'/{f.feed_id}.xml')}', "
        f"language: {'ar' if f.arabic else 'en'}}}"
        for f in feeds
    ]
    cfg = tmp / "feeds.yaml"
    cfg.write_text("\n".join(lines) + "\n")
    db = tmp / "data" / "raqib.db"
    if args.stored:
        from bench.bench_latest import fill_sqlite

        engine = make_engine(f"sqlite:///{db}")
        upgrade(engine)
        t = time.perf_counter()
        fill_sqlite(engine, args.stored)
        engine.dispose()
        print(f"store filled: {args.stored:,} items in {time.perf_counter() - t:.0f}s", flush=True)

    child = await Child.start(cfg, env=child_env(DATABASE_URL=f"sqlite:///{db}"), cwd=tmp, name="raqib run")
    hours = args.days * 24
    by_day: list[tuple[int, int]] = [(0, 0) for _ in range(args.days)]
    hour = 0
    stop = asyncio.Event()

    async def sample() -> None:
        while not stop.is_set():
            main, total, _pss = rss_of(child.proc.pid)  # one process here: PSS adds nothing
            day = min(hour // 24, args.days - 1)
            by_day[day] = (max(by_day[day][0], main), max(by_day[day][1], total))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    sampler = asyncio.create_task(sample())
    started = time.monotonic()
    try:
        await child.wait_for("raqib running", within=300)
        for hour in range(hours):  # noqa: B007 (read by the sampler)
            for f in feeds:
                f.publish(args.per_hour)
            await asyncio.sleep(args.interval)  # the bench's pace: one simulated hour
            if child.proc.returncode is not None:
                raise RuntimeError(f"raqib run exited:\n{child.tail()}")
        # hour stays at the last one for the final samples
    finally:
        stop.set()
        await sampler
        await child.terminate()
        for h in hosts:
            await h.close()
    published = sum(f.count for f in feeds)
    with sqlite3.connect(db) as c:
        stored = c.execute("SELECT count(*) FROM items").fetchone()[0] - args.stored
    mb = 2**20
    print(
        f"# raqib run, shipped feeds.yaml ({len(feeds)} feeds) replayed on loopback: {args.days} simulated days, "
        f"{args.per_hour} items a feed an hour, one simulated hour = {args.interval} s "
        f"({time.monotonic() - started:.0f} s wall); {published:,} items published, {stored:,} stored by the service; "
        f"{args.stored:,} items stored before start\n"
    )
    print("| simulated day | peak RSS main (MB) | peak RSS with children (MB) |")
    print("|---:|---:|---:|")
    for d, (main, total) in enumerate(by_day, 1):
        print(f"| {d} | {main / mb:.0f} | {total / mb:.0f} |")
    peak = max(m for m, _ in by_day) / mb
    peak_total = max(t for _, t in by_day) / mb
    growth = (by_day[-1][0] - by_day[min(1, args.days - 1)][0]) / mb
    label = f"{args.stored:,} stored" if args.stored else f"{args.days}-day week"
    emit(
        f"memory ({label})",
        [
            target("peak RSS of raqib run, main process", peak, "<=", 250, "MB"),
            target("peak RSS of raqib run, with child processes", peak_total, "<=", 250, "MB"),
            target("RSS growth, last simulated day vs the second", growth, "<=", 10, "MB"),
        ],
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--interval", type=float, default=2.0, help="wall seconds per simulated hour (one poll)")
    p.add_argument("--per-hour", type=int, default=4, help="new items per feed per simulated hour")
    p.add_argument("--stored", type=int, default=0, help="items in the store before the service starts")
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
