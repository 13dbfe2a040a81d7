"""Service benchmarks: end-to-end alert latency, and dispatcher throughput under a Telegram-like limit.

Latency: a feed on a local server publishes a relevant item at a random moment; the service's own parts
(APScheduler job per feed with jitter, the leased pipeline, the outbox, the dispatcher — ``bot.service``)
poll it every ``--interval`` seconds and deliver to N subscriptions through a recording notifier. Latency is
item published → delivery received, for every delivery. Target: one poll interval + 2 s. The notifier here
has no platform limit (the service's own delay); the platform's pacing is what (b) measures.

Throughput: the dispatcher sends ``--chats`` × ``--stories`` deliveries under 30 messages/s overall and one
message/s per chat (Telegram's published limits). Target: within 10 % of 30/s.

    .venv/bin/python -m bench.bench_service [--subs 1 100 1000] [--trials 5] [--interval 2]
                                            [--chats 200] [--stories 3] [--skip-latency] [--skip-throughput]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from bench.summary import emit, target
from bot.config import Env, FeedsFile
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.deliver.model import AlertView, Reply
from bot.deliver.pacing import Pacer
from bot.demo.server import FeedServer
from storage import subscriptions as subs
from storage.db import make_engine, session, upgrade

HEADLINES = (
    ("US adds Chinese chip designers to the Entity List",
     "The Bureau of Industry and Security added semiconductor designers to the Entity List over AI chips."),
    ("SK Hynix sells out its HBM output for next year",
     "High-bandwidth memory for AI accelerators is fully booked, the memory maker said."),
    ("Dutch licence rules extended to more ASML DUV tools",
     "The Netherlands widened export licence requirements for deep ultraviolet lithography scanners."),
    ("Nvidia takes a charge on H20 after new licence rule",
     "A US licence requirement for H20 accelerator sales to China cost Nvidia billions in inventory."),
    ("Japan expands export controls on chipmaking equipment",
     "Tokyo added categories of semiconductor manufacturing equipment to its export licence list."),
    ("Smugglers charged over diverted Nvidia GPUs",
     "Prosecutors said restricted Nvidia processors were routed to China through shell companies."),
)  # fmt: skip


class Recorder:
    """A notifier that returns at once and notes when each delivery arrived."""

    platform = "bench"

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.changed = asyncio.Event()

    async def send_alert(self, target: str, alert: AlertView, *, language: str, timezone: str) -> str:
        self.arrivals.append(time.monotonic())
        self.changed.set()
        return str(len(self.arrivals))

    async def edit_alert(self, target: str, message_id: str, alert: AlertView, *, language: str, timezone: str) -> None:
        return None

    async def send_reply(self, target: str, reply: Reply) -> str:
        return "r"


class PacedRecorder(Recorder):
    """A ``Recorder`` paced as the chat notifiers are (30 a second, one a second per chat: ``bot.deliver.pacing``)."""

    def __init__(self) -> None:
        super().__init__()
        self.pacer = Pacer()

    async def pace(self, target: str) -> None:
        await self.pacer.wait(target)


def rss(items: list[tuple[int, str, str]]) -> bytes:
    now = datetime.now(UTC)
    body = "".join(
        f"<item><title>{t}</title><link>https://bench.example/{n}</link><guid>b{n}</guid><description>{d}"
        f"</description><pubDate>{format_datetime(now - timedelta(minutes=1))}</pubDate></item>"
        for n, t, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title>{body}</channel></rss>'.encode()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * (len(values) - 1) + 0.5))]


async def wait_until(event: asyncio.Event, predicate, within: float) -> None:  # type: ignore[no-untyped-def]
    async def loop() -> None:
        while not predicate():
            event.clear()
            await event.wait()

    await asyncio.wait_for(loop(), within)


def subscribe(engine, n: int, platform: str = "bench") -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    with session(engine) as s:
        for i in range(n):
            subs.get_or_create(s, platform, f"chat-{i}", now=now)
        s.commit()


async def latency(n_subs: int, trials: int, interval: float) -> tuple[list[float], list[float]]:
    from bot.app import build_service, sync_config
    from bot.fetch import Fetcher
    from bot.pipeline import Pipeline
    from bot.service.jobs import claim_horizon
    from storage.leases import FeedClaim

    published: list[tuple[int, str, str]] = []
    server = FeedServer({"/b.xml": lambda: (200, {"Content-Type": "application/rss+xml"}, rss(published))})
    server.__enter__()
    with tempfile.TemporaryDirectory() as tmp:
        config = FeedsFile.model_validate(
            {
                "settings": {"default_interval": interval, "interval_jitter": 0.2, "allow_private_addresses": True,
                             "retries": 0, "data_dir": tmp},
                "feeds": [{"id": "b", "url": f"{server.base_url}/b.xml", "language": "en"}],
            }
        )  # fmt: skip
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        sync_config(engine, config)
        subscribe(engine, n_subs)
        rec = Recorder()
        service = build_service(config, Env(), config_path=None, engine=engine)
        from bot.app import fetch_settings

        all_lat: list[float] = []
        first_lat: list[float] = []
        async with Fetcher(fetch_settings(config, Env())) as fetcher:
            claim = FeedClaim(engine, service.owner, lease=config.settings.feed_lease, horizon=claim_horizon(config))
            service.jobs.pipeline = Pipeline(engine=engine, fetcher=fetcher, config=config, claim=claim)
            service.dispatcher = Dispatcher(
                engine,
                {"bench": rec},
                owner=service.owner,
                settings=DispatchSettings(pace=False),
            )
            task = asyncio.create_task(service.dispatcher.run(service.stop_event))
            service.jobs.schedule_feeds()
            service.scheduler.start()
            # the first poll stores the (empty) backlog quietly; wait for it through the feed's poll count
            await asyncio.sleep(interval + 6)  # bench: let the first poll (and the matcher's warm-up) happen
            rng = random.Random(5)
            for k in range(trials):
                await asyncio.sleep(rng.uniform(0, interval))  # news arrives at a random phase of the poll cycle
                before = len(rec.arrivals)
                t0 = time.monotonic()
                title, body = HEADLINES[k % len(HEADLINES)]
                published.append((k, f"{title} (report {k})", body))
                await wait_until(rec.changed, lambda b=before: len(rec.arrivals) >= b + n_subs, 120)
                got = [a - t0 for a in rec.arrivals[before:]]
                all_lat += got
                first_lat.append(min(got))
            service.stop_event.set()
            service.scheduler.shutdown(wait=False)
            await task
        engine.dispose()
    server.__exit__()
    return all_lat, first_lat


async def throughput(chats: int, stories: int) -> tuple[int, float]:
    from bot.normalize import Item
    from storage.feeds import FeedSpec, sync_feeds
    from tests.fakes.store import store_new_items

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        with session(engine) as s:
            sync_feeds(s, [FeedSpec("t", "https://t.example/rss", "en")])
        subscribe(engine, chats)
        now = datetime.now(UTC)
        items = [
            Item(feed_id="t", identity=f"t{n}", guid=f"t{n}", url=f"https://t.example/{n}", title=t, summary=d,
                 content="", language="en", published=now - timedelta(minutes=5), fetched=now, content_hash=f"h{n}")
            for n, (t, d) in enumerate(HEADLINES[:stories])
        ]  # fmt: skip
        store_new_items(engine, "t", items, first_poll=False, now=now, config=FeedsFile())
        with session(engine) as s:
            total = subs.pending_count(s)
        rec = PacedRecorder()
        d = Dispatcher(engine, {"bench": rec}, owner="bench", settings=DispatchSettings())
        stop = asyncio.Event()
        task = asyncio.create_task(d.run(stop, idle=0.05))
        await wait_until(rec.changed, lambda: len(rec.arrivals) >= total, 600)
        stop.set()
        await task
        span = rec.arrivals[-1] - rec.arrivals[0]
        engine.dispose()
    return total, (total - 1) / span if span > 0 else float("inf")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subs", type=int, nargs="+", default=[1, 100, 1000])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--chats", type=int, default=200)
    ap.add_argument("--stories", type=int, default=3)
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    args = ap.parse_args()
    targets = []
    if not args.skip_latency:
        print(f"\nEnd-to-end alert latency, poll interval {args.interval:g} s (target ≤ {args.interval + 2:g} s)\n")
        print("| subscriptions | deliveries | median s | p95 s | first delivery median s | max s |")
        print("|---:|---:|---:|---:|---:|---:|")
        for n in args.subs:
            lat, first = asyncio.run(latency(n, args.trials, args.interval))
            print(
                f"| {n:,} | {len(lat):,} | {statistics.median(lat):.2f} | {pct(lat, 0.95):.2f} | "
                f"{statistics.median(first):.2f} | {max(lat):.2f} |",
                flush=True,
            )
            p95 = pct(lat, 0.95)
            targets.append(target(f"alert latency p95, {n:,} subscriptions", p95, "<=", args.interval + 2, "s"))
    if not args.skip_throughput:
        total, rate = asyncio.run(throughput(args.chats, args.stories))
        print("\nDispatcher throughput under 30 msg/s overall, 1 msg/s per chat (target ≥ 27/s)\n")
        print("| chats | deliveries | deliveries/s | of the limit |")
        print("|---:|---:|---:|---:|")
        print(f"| {args.chats:,} | {total:,} | {rate:.1f} | {rate / 30:.0%} |")
        targets.append(target("dispatcher throughput under a 30 msg/s limit", rate, ">=", 27, "msg/s"))
    emit("service", targets)


if __name__ == "__main__":
    main()
