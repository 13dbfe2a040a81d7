"""Soak: ``raqib run`` against 200 healthy and 20 hostile loopback feeds, with a chat flooding commands.

Issue 13's "done when": the service as shipped (a real ``raqib run`` subprocess, SQLite, the real Telegram code
path against the fake Bot API of ``tests/fakes/telegram_api.py``) polls for ``--duration`` seconds:

* ``--healthy`` feeds (default 200) on 20 loopback hosts, each with a quiet backlog; during the run they
  publish ordinary news and, one at a time, 60 distinct relevant events (``bench.feedservers.field_event``);
* 20 hostile feeds, each on its own loopback host: 3 that never answer, 2 that drip a byte a second, 2 gzip
  bombs, 1 of 50 MB, 3 GUID flippers, 3 archive floods (100 fresh relevant items every poll), 2 with bad
  character references, and 4 whose thin items link to article pages that hang, are 10 MB, or are large
  tables (the second look);
* one group member flooding commands (``--flood-rate`` a second: /help, /feeds, /digest, /latest) and a quiet
  user in a private chat sending /help every 5 s.

Reported: healthy-feed alert latency (event published → its alert reaches the fake Bot API), the quiet user's
reply time, peak RSS of the service (main process, and with its worker processes), and items lost (healthy
items published but not stored, relevant events never alerted). Targets: latency p95 ≤ interval + 2 s, quiet
reply p95 ≤ 2 s, RSS ≤ 400 MB, nothing lost.

The one alert chat is sent 60 healthy stories in the run by design, so its hourly alert cap is raised in the
bench's feeds.yaml (``alerts_per_chat_hour: 1000``); the per-feed-and-poll cap stays at its default (5) and is
what holds the archive floods back. ``interval_jitter`` is 1 s.

    .venv/bin/python -m bench.bench_soak [--duration 600] [--healthy 200] [--interval 60] [--flood-rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import random
import re
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlmodel import col, func, select

from bench.feedservers import TOPICS, field_event
from bench.summary import emit, target
from bot.app import open_database
from bot.config import Env, load_config
from bot.match import classify
from storage import subscriptions as subs
from storage.db import session
from storage.tables import Delivery, Feed, ItemRow, StoryItem
from tests.fakes.feedserver import FeedServer, Reply, Request, gzip_bomb
from tests.fakes.telegram_api import FakeBotAPI
from tests.service.support import Child, child_env

EVAL_DEV = Path(__file__).resolve().parents[1] / "eval" / "match" / "dev.jsonl"


def _eval_items() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EVAL_DEV.read_text(encoding="utf-8").splitlines() if line.strip()]


ALERT_CHAT, QUIET_CHAT, FLOOD_CHAT, FLOOD_USER, OPERATOR = 1001, 2002, -1003, 3003, 4004
EVENT_URL = re.compile(r"/news/e(\d+)\b")
FLOOD_COMMANDS = ("/help", "/feeds", "/digest", "/latest hbm", "/status", "/topics")


def rss(title: str, entries: list[tuple[str, str, str, str]]) -> bytes:
    """entries: (guid, title, link, description)."""
    now = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid isPermaLink='false'>{g}</guid>"
        f"<pubDate>{now}</pubDate><description>{d}</description></item>"
        for g, t, link, d in entries
    )
    head = "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
    return f"{head}<title>{title}</title>{items}</channel></rss>".encode()


class HealthyFeed:
    """A feed whose items appear over time; answers 304 while nothing changed."""

    def __init__(self, n: int, host: str) -> None:
        self.n, self.host = n, host
        self.entries: list[tuple[str, str, str, str]] = []
        self.version = 0
        for i in range(10):  # the backlog, stored quietly at the first poll
            self.add_filler(i)

    def add_filler(self, i: int) -> str:
        topic = TOPICS[(self.n + i) % len(TOPICS)] if (self.n + i) % len(TOPICS) not in (0, 10) else TOPICS[1]
        guid = f"h{self.n}-f{i}"
        self.entries.insert(0, (guid, escape(f"Feed {self.n} story {i}: {topic}"), self.link(f"f{i}"), "Local news."))
        self.version += 1
        return guid

    def add_event(self, e: int) -> str:
        headline, wire, _ = field_event(e)
        guid = f"h{self.n}-e{e}"
        self.entries.insert(0, (guid, escape(headline), self.link(f"e{e}"), escape(wire)))
        self.version += 1
        return guid

    def link(self, slug: str) -> str:
        return f"https://healthy{self.n}.example/news/{slug}"

    def __call__(self, request: Request) -> Reply:
        etag = f'"v{self.version}"'
        if request.headers.get("if-none-match") == etag:
            return Reply(status=304, headers={"ETag": etag})
        body = rss(f"Healthy feed {self.n}", self.entries[:40])
        return Reply(body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"})


def hostile_routes(kind: str, n: int, server: FeedServer) -> None:
    """Route /feed.xml (and its pages) on ``server`` for one hostile feed of ``kind``."""
    polls = itertools.count()
    if kind == "hang":
        server.route("/feed.xml", Reply(delay=math.inf))
    elif kind == "drip":
        server.route("/feed.xml", Reply(body=b"<rss>" + b" " * 100_000, chunk_size=1, chunk_delay=1.0))
    elif kind == "bomb":
        server.route("/feed.xml", Reply(stream=gzip_bomb(1 << 30), headers={"Content-Encoding": "gzip"}))
    elif kind == "huge":

        async def fifty_mb() -> AsyncIterator[bytes]:
            yield b"<?xml version='1.0'?><rss version='2.0'><channel><title>huge</title>"
            for _ in range(50):
                yield b"<item><title>x</title></item>" * ((1 << 20) // 28)

        server.route("/feed.xml", Reply(stream=fifty_mb))
    elif kind == "flipper":

        def flipper(_: Request) -> Reply:
            k = next(polls)
            entries = [
                (f"flip{n}-{k}-{i}", f"Flipper {n} weather report {i}", f"https://flip{n}.example/{i}", "Same text.")
                for i in range(20)
            ]
            return Reply(body=rss(f"Flipper {n}", entries), headers={"Content-Type": "application/rss+xml"})

        server.route("/feed.xml", flipper)
    elif kind == "archive":
        relevant = [r for r in _eval_items() if r["relevant"]]
        start = (n * 100) % len(relevant)
        archive_rows = (relevant * 2)[start : start + 100]

        def archive(_: Request) -> Reply:
            k = next(polls)
            # A quiet first poll, then its archive again and again with fresh GUIDs: 100 relevant items (the
            # labeled dev set's, each its own event) — the first time about 60 new stories, later only copies.
            rows = [{"title": "Archive opens", "text": "Welcome.", "lang": "en"}] if k == 0 else archive_rows
            entries = [
                (f"arch{n}-{k}-{i}", escape(r["title"]), f"https://archive{n}.example/{k}/{i}", escape(r["text"]))
                for i, r in enumerate(rows)
            ]
            return Reply(body=rss(f"Archive {n}", entries), headers={"Content-Type": "application/rss+xml"})

        server.route("/feed.xml", archive)
    elif kind == "badrefs":
        entries = [
            (
                f"bad{n}-{i}",
                f"Rocket &#xD83D;&#xDE80; launch {i} &#xD800; &#x110000;",
                f"https://bad{n}.example/{i}",
                "x",
            )
            for i in range(10)
        ]
        server.route(
            "/feed.xml", Reply(body=rss(f"Bad refs {n}", entries), headers={"Content-Type": "application/rss+xml"})
        )
    elif kind.startswith("look-"):
        page_kind = kind.removeprefix("look-")
        if page_kind == "hang":
            page = Reply(delay=math.inf)
        elif page_kind == "big":  # 10 MB, chunked (no Content-Length to refuse it by)
            page = Reply(body=b"<html><body>" + b"<p>filler text</p>" * 600_000, content_length=False)
        else:  # a large table page under the cap: the cheap extractor's case
            table = (
                b"<html><body><table>" + b"<tr><td>cell</td><td>1,234</td></tr>" * 50_000 + b"</table></body></html>"
            )
            page = Reply(body=table, headers={"Content-Type": "text/html"})

        def thin(request: Request) -> Reply:
            k = next(polls)
            entries = [
                (f"look{n}-{k}-{i}", f"Huawei unveils its plan {k}.{i} for next year", server.url(f"/page/{k}-{i}"), "")
                for i in range(8)
            ]
            return Reply(body=rss(f"Thin {n}", entries), headers={"Content-Type": "application/rss+xml"})

        server.route("/feed.xml", thin)
        for k in range(200):  # a new page for every thin item (the article cache remembers a URL's answer)
            for i in range(8):
                server.route(f"/page/{k}-{i}", page)


ALL_HOSTILE = (
    ["hang"] * 3
    + ["drip"] * 2
    + ["bomb"] * 2
    + ["huge"]
    + ["flipper"] * 3
    + ["archive"] * 3
    + ["badrefs"] * 2
    + ["look-hang", "look-hang", "look-big", "look-table"]
)


class TimedBotAPI(FakeBotAPI):
    """The fake Bot API, noting when each message to a chat arrived."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.messages: list[tuple[float, int, str, str]] = []  # (monotonic, chat, method, text)
        for method in ("sendmessage", "sendphoto", "editmessagetext"):
            original = getattr(self, f"_m_{method}")

            async def timed(params: dict[str, Any], _original: Any = original, _method: str = method) -> Any:
                chat = params.get("chat_id")
                text = str(params.get("text") or params.get("caption") or "")
                self.messages.append((time.monotonic(), int(chat) if chat is not None else 0, _method, text))
                return await _original(params)

            setattr(self, f"_m_{method}", timed)


def rss_of(pid: int) -> tuple[int, int, int]:
    """(RSS of ``pid``, RSS of ``pid`` and its children summed, PSS of them together) in bytes. The summed
    RSS counts pages the processes share (libraries, the interpreter) once per process; PSS splits each shared
    page between its sharers, so it adds up to the memory the service really holds."""

    def one(p: int, path: str, key: str) -> int:
        try:
            for line in Path(f"/proc/{p}/{path}").read_text().splitlines():
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    children.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    family = [pid, *children]
    main = one(pid, "status", "VmRSS:")
    return (
        main,
        main + sum(one(c, "status", "VmRSS:") for c in children),
        sum(one(p, "smaps_rollup", "Pss:") for p in family),
    )


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def stage_times(
    s: Any, event_feed: dict[int, int], published: dict[int, tuple[float, datetime]], alerted: dict[int, float]
) -> dict[str, list[float]]:
    """Where each healthy event's latency went: waiting for its feed's poll, the poll until its outbox row was
    written (fetch, parse, match, store), and the outbox row until its alert reached the chat (dispatch and
    pacing). ``published`` holds each event's (monotonic, wall) time; ``alerted`` the monotonic time of its
    alert."""
    out: dict[str, list[float]] = {"until polled": [], "polled -> outbox row": [], "outbox row -> in the chat": []}
    for e, n in event_feed.items():
        item = s.exec(select(ItemRow).where(ItemRow.feed_id == f"h{n}", ItemRow.guid == f"h{n}-e{e}")).first()
        if item is None or e not in published:
            continue
        mono, wall = published[e]
        out["until polled"].append((item.fetched - wall).total_seconds())
        story = s.exec(select(StoryItem.story_id).where(StoryItem.item_id == item.id)).first()
        row = (
            s.exec(select(Delivery).where(Delivery.story_id == story, Delivery.kind == "alert")).first()
            if story is not None
            else None
        )
        if row is None or row.created_at < item.fetched:  # joined a story alerted before it
            continue
        out["polled -> outbox row"].append((row.created_at - item.fetched).total_seconds())
        if e in alerted:
            arrived = wall + timedelta(seconds=alerted[e] - mono)
            out["outbox row -> in the chat"].append((arrived - row.created_at).total_seconds())
    return out


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="raqib-soak-"))
    fake = await TimedBotAPI().start()
    fake.add_chat(ALERT_CHAT, "private")
    fake.add_chat(QUIET_CHAT, "private")
    fake.add_chat(FLOOD_CHAT, "group", title="Flooders")
    fake.add_chat(OPERATOR, "private")

    hosts = [FeedServer(f"127.0.0.{2 + h}") for h in range(20)]
    healthy = [HealthyFeed(n, hosts[n % 20].host) for n in range(args.healthy)]
    for feed in healthy:
        hosts[feed.n % 20].route(f"/h{feed.n}.xml", feed)
    HOSTILE = ALL_HOSTILE[: args.hostile]
    hostile_servers = [FeedServer(f"127.0.1.{1 + k}") for k in range(len(HOSTILE))]
    for srv in hosts + hostile_servers:
        await srv.start()
    for k, (kind, srv) in enumerate(zip(HOSTILE, hostile_servers, strict=True)):
        hostile_routes(kind, k, srv)

    lines = [
        "settings:",
        f"  default_interval: {args.interval}",
        "  interval_jitter: 1",
        "  allow_private_addresses: true",
        "  alerts_per_chat_hour: 1000",
        f"  admin_chats: ['telegram:{OPERATOR}']",
        f"  data_dir: '{tmp / 'data'}'",
        "feeds:",
    ]
    lines += [
        f"  - {{id: h{f.n}, url: 'http://{f.host}:{hosts[f.n % 20].port}/h{f.n}.xml', language: en}}" for f in healthy
    ]
    lines += [
        f"  - {{id: x{k}-{kind}, url: '{srv.url('/feed.xml')}', language: en}}"
        for k, (kind, srv) in enumerate(zip(HOSTILE, hostile_servers, strict=True))
    ]
    cfg = tmp / "feeds.yaml"
    cfg.write_text("\n".join(lines) + "\n")
    db_url = f"sqlite:///{tmp / 'data' / 'raqib.db'}"
    engine = open_database(load_config(cfg), Env(), url=db_url)
    with session(engine) as s:
        sub = subs.get_or_create(s, "telegram", str(ALERT_CHAT), now=datetime.now(UTC))
        s.add(sub)
        s.commit()

    env = child_env(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.api_url)
    child = await Child.start(cfg, env=env, cwd=tmp, name="raqib run")
    peak_main = peak_total = peak_pss = 0
    stop = asyncio.Event()

    async def sample() -> None:
        nonlocal peak_main, peak_total, peak_pss
        while not stop.is_set():
            main, total, pss = rss_of(child.proc.pid)
            peak_main, peak_total, peak_pss = max(peak_main, main), max(peak_total, total), max(peak_pss, pss)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    sampler = asyncio.create_task(sample())
    try:
        await child.wait_for("raqib running", within=180)
        # Start publishing once every healthy feed has stored its backlog (the quiet first poll).
        started = time.monotonic()
        while True:
            with session(engine) as s:
                done = s.exec(
                    select(func.count()).select_from(Feed).where(col(Feed.id).like("h%"), Feed.polls >= 1)
                ).one()
            if done >= args.healthy or time.monotonic() - started > 3 * args.interval:
                break
            await asyncio.sleep(1.0)  # a bench watching a database: polling is the measurement's own pace
        print(f"first polls: {done}/{args.healthy} healthy feeds after {time.monotonic() - started:.0f}s", flush=True)

        published: dict[int, float] = {}  # relevant event -> monotonic time it became visible
        published_wall: dict[int, tuple[float, datetime]] = {}
        not_relevant: list[int] = []
        event_feed: dict[int, int] = {}
        stored_guids: dict[int, set[str]] = {f.n: {g for g, *_ in f.entries} for f in healthy}
        quiet_sent: list[float] = []
        flood_sent = 0

        async def publish() -> None:
            events = min(60, max(1, int(args.duration // 10)))
            gap = args.duration / events
            filler = itertools.count(100)
            for k in range(events):
                e = k * 13 % 60  # successive events differ in company and in kind of development
                feed = healthy[rng.randrange(len(healthy))]
                stored_guids[feed.n].add(feed.add_event(e))
                headline, wire, _ = field_event(e)
                if classify(headline, wire, "en").relevant:  # the matcher's verdict: only these are alerted
                    published[e] = time.monotonic()
                    published_wall[e] = (published[e], datetime.now(UTC))
                    event_feed[e] = feed.n
                else:
                    not_relevant.append(e)
                for _ in range(3):  # ordinary news elsewhere
                    other = healthy[rng.randrange(len(healthy))]
                    stored_guids[other.n].add(other.add_filler(next(filler)))
                await asyncio.sleep(gap)

        async def quiet() -> None:
            while not stop.is_set():
                fake.command("/help", chat_id=QUIET_CHAT, user_id=QUIET_CHAT)
                quiet_sent.append(time.monotonic())
                await asyncio.sleep(5.0)

        async def flood() -> None:
            nonlocal flood_sent
            commands = itertools.cycle(FLOOD_COMMANDS)
            while not stop.is_set():
                fake.command(next(commands), chat_id=FLOOD_CHAT, user_id=FLOOD_USER, chat_type="group")
                flood_sent += 1
                await asyncio.sleep(1.0 / args.flood_rate)

        t0 = time.monotonic()
        tasks = [asyncio.create_task(quiet()), asyncio.create_task(flood())]
        await publish()
        await asyncio.sleep(max(0.0, args.duration - (time.monotonic() - t0)))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Grace: the last event's alert may take a poll interval; the last /help its reply.
        await asyncio.sleep(args.interval + 15)
        elapsed = time.monotonic() - t0
    finally:
        stop.set()
        await sampler
        code = await child.terminate(within=60)

    # -- figures ----------------------------------------------------------------------------------------------
    alerted: dict[int, float] = {}
    edited: dict[int, float] = {}
    quiet_replies: list[float] = []
    names = {e: re.compile(rf"Healthy feed {n}\b") for e, n in event_feed.items()}
    for at, chat, method, text in fake.messages:
        if chat == ALERT_CHAT:
            for m in EVENT_URL.finditer(text):
                e = int(m.group(1))
                (alerted if method == "sendmessage" else edited).setdefault(e, at)
            # An event that joined another story shows as its feed's name under "also reported by" (the alert of
            # a story unfolded for it, or the edit of one already sent): the first such message after it.
            for e, t in published.items():
                if e not in alerted and e not in edited and at >= t and names[e].search(text):
                    edited[e] = at
        elif chat == QUIET_CHAT:
            quiet_replies.append(at)
    latencies = [alerted[e] - t for e, t in published.items() if e in alerted]
    shown = [min(alerted.get(e, math.inf), edited.get(e, math.inf)) - t for e, t in published.items()]
    shown = [x for x in shown if x != math.inf]
    joined = [e for e in published if e not in alerted and e in edited]
    never = [e for e in published if e not in alerted and e not in edited]
    reply_times = [r - s for s, r in zip(quiet_sent, quiet_replies, strict=False)]
    with session(engine) as s:
        have = {
            (fid, guid)
            for fid, guid in s.exec(select(ItemRow.feed_id, ItemRow.guid).where(col(ItemRow.feed_id).like("h%"))).all()
        }
        feeds = {f.id: f for f in s.exec(select(Feed)).all()}
        hostile_items = s.exec(select(func.count()).select_from(ItemRow).where(col(ItemRow.feed_id).like("x%"))).one()
        stages = stage_times(s, event_feed, published_wall, alerted)
    lost = sorted((n, g) for n, guids in stored_guids.items() for g in guids if (f"h{n}", g) not in have)
    to_flood = [m for m in fake.messages if m[1] == FLOOD_CHAT]
    alerts_total = sum(1 for m in fake.messages if m[1] == ALERT_CHAT and m[2] == "sendmessage")
    archive_alerts = sum(
        1
        for m in fake.messages
        if m[1] == ALERT_CHAT and m[2] == "sendmessage" and ".example/" in m[3] and "archive" in m[3]
    )
    summaries = [m[3] for m in fake.messages if m[1] == ALERT_CHAT and "more stories from" in m[3]]
    operator = [m[3] for m in fake.messages if m[1] == OPERATOR]

    print(
        f"\nsoak: {elapsed:.0f}s of `raqib run` (exit {code}), {args.healthy} healthy + {len(HOSTILE)} hostile feeds, "
        f"interval {args.interval}s, seed {args.seed}"
    )
    print(
        f"healthy alerts: {len(latencies)}/{len(published)} events alerted"
        + (f", {len(joined)} joined another story (shown under also reported by)" if joined else "")
        + (f", never shown: {never}" if never else "")
        + (f"; {len(not_relevant)} more published that the matcher finds not relevant" if not_relevant else "")
    )
    if shown:
        print(
            f"  shown (alert, or edit of the story it joined): p50 {statistics.median(shown):.1f}s, "
            f"p95 {p95(shown):.1f}s"
        )
    if latencies:
        print(
            f"  latency p50 {statistics.median(latencies):.1f}s, p95 {p95(latencies):.1f}s, max {max(latencies):.1f}s "
            f"(target p95 <= {args.interval + 2}s)"
        )
    for name, values in stages.items():
        if values:
            print(f"  {name}: p50 {statistics.median(values):.1f}s, p95 {p95(values):.1f}s, max {max(values):.1f}s")
    print(
        f"quiet user: {len(quiet_replies)}/{len(quiet_sent)} /help answered; reply p50 "
        f"{statistics.median(reply_times) if reply_times else float('nan'):.2f}s, p95 {p95(reply_times):.2f}s, "
        f"max {max(reply_times, default=float('nan')):.2f}s (target p95 <= 2s)"
    )
    print(f"flooder: {flood_sent} commands at {args.flood_rate}/s, {len(to_flood)} messages back")
    print(
        f"peak RSS: {peak_main / 2**20:.0f} MB main process, {peak_total / 2**20:.0f} MB with its workers "
        f"(summed); peak PSS of them together {peak_pss / 2**20:.0f} MB (target <= 400 MB)"
    )
    print(
        f"items lost: {len(lost)} of {sum(len(g) for g in stored_guids.values())} healthy items published"
        + (f" e.g. {lost[:5]}" if lost else "")
    )
    print(
        f"alert chat: {alerts_total} alerts in all, {archive_alerts} of them from the archive floods; "
        f"{len(summaries)} summaries" + (f", e.g. {summaries[0]!r}" if summaries else "")
    )
    print(f"operators: {len(operator)} notices" + (f", e.g. {operator[0][:160]!r}" if operator else ""))
    print(
        f"hostile feeds: {hostile_items} items stored; states: "
        + ", ".join(
            f"{fid}={f.last_error_code or 'ok'}/{f.polls}p" for fid, f in sorted(feeds.items()) if fid.startswith("x")
        )
    )
    emit(
        "soak",
        [
            target("healthy alert shown, p95", p95(shown), "<=", args.interval + 2, "s"),
            target("quiet user's reply, p95", p95(reply_times), "<=", 2, "s"),
            target("peak RSS, main process", peak_main / 2**20, "<=", 400, "MB"),
            target("peak RSS, with worker processes (summed)", peak_total / 2**20, "<=", 400, "MB"),
            target("peak PSS, with worker processes", peak_pss / 2**20, "<=", 400, "MB"),
            target("healthy items lost", len(lost), "<=", 0),
            target("relevant healthy events never shown", len(never), "<=", 0),
        ],
    )
    engine.dispose()
    await fake.close()
    for srv in hosts + hostile_servers:
        await srv.close()
    if os.environ.get("RAQIB_SOAK_KEEP"):
        print(f"kept: {tmp}")
    return 0 if not lost and not never else 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=600.0)
    p.add_argument("--healthy", type=int, default=200)
    p.add_argument("--interval", type=int, default=60)
    p.add_argument("--flood-rate", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument(
        "--hostile", type=int, default=len(ALL_HOSTILE), help="how many of the 20 hostile feeds (0: baseline)"
    )
    raise SystemExit(asyncio.run(run(p.parse_args())))


if __name__ == "__main__":
    main()
