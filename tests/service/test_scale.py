"""Three ``raqib run`` processes on one PostgreSQL (TEST_DATABASE_URL): no feed is polled twice in one
interval, every alert is sent once, only one process listens for the bot, and when one worker is killed
(kill -9) the others take over its feeds, its deliveries and the bot's listener after its leases expire.

Each test gets a fresh schema; the children find it through ``?options=-csearch_path=...`` in DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.app import sync_config
from bot.config import load_config
from bot.demo.server import FeedServer
from storage import subscriptions as subs
from storage.db import session
from tests.fakes.telegram_api import FakeBotAPI
from tests.service.support import NEWS, STORY_URL, Child, Publisher, child_env, outbox_by_chat_and_story

PG_URL = os.environ.get("TEST_DATABASE_URL")
CHATS = (201, 202)
INTERVAL = 2.0
JITTER = 0.3

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def write_config(tmp_path: Path, base: str) -> Path:
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(
        f"settings: {{default_interval: {INTERVAL}, interval_jitter: {JITTER}, allow_private_addresses: true, "
        f"retries: 0, read_timeout: 5s, data_dir: '{tmp_path / 'data'}', "
        # Every alert is counted, so none may be folded: while a killed worker's feed lease (6 s) is stranded, a
        # feed's items pile up past the default per-poll cap (5) on a loaded machine (caps: tests/deliver).
        "feed_lease: 6s, delivery_lease: 4s, chat_lease: 5s, alerts_per_feed_poll: 100, alerts_per_chat_hour: 1000}\n"
        "feeds:\n"
        f"  - {{id: en, url: '{base}/en.xml', language: en}}\n"
        f"  - {{id: ar, url: '{base}/ar.xml', language: ar}}\n"
    )
    return cfg


async def test_three_workers_share_one_postgres_and_survive_a_kill(
    pg_schema: tuple[Engine, str], tmp_path: Path
) -> None:
    engine, url = pg_schema
    rng = random.Random()
    pub = Publisher()
    server = FeedServer({"/en.xml": pub.route("en"), "/ar.xml": pub.route("ar")})
    server.__enter__()
    fake = await FakeBotAPI().start()
    children: list[Child] = []
    try:
        for chat in CHATS:
            fake.add_chat(chat, "private")
        cfg = write_config(tmp_path, server.base_url)
        sync_config(engine, load_config(cfg))
        with session(engine) as s:
            for chat in CHATS:
                subs.get_or_create(s, "telegram", str(chat), now=datetime.now(UTC))
            s.commit()
        env = child_env(DATABASE_URL=url, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.api_url)
        children = [await Child.start(cfg, env=env, cwd=tmp_path, name=f"worker {i}") for i in range(3)]
        for child in children:
            await child.wait_for("raqib running", within=60)
        # The backlog is stored quietly, by whichever worker polled each feed first.
        await wait_for_any(children, "feed en: 1 new items", within=30)
        await wait_for_any(children, "feed ar: 1 new items", within=30)

        listeners = [c for c in children if listening(c)]
        assert len(listeners) == 1, "one listener per bot token: " + "\n".join(c.tail(20) for c in children)

        changed = fake._changed
        loop = asyncio.get_running_loop()
        for _ in range(len(NEWS) // 2):
            pub.publish()
            await asyncio.sleep(rng.uniform(0.3, 1.0))  # news arriving over time (a schedule, not a wait)

        victim = listeners[0]
        await victim.kill()  # kill -9: its feed leases, claimed deliveries and the listener lease are stranded
        survivors = [c for c in children if c is not victim]
        await wait_for_any(survivors, "this worker listens for the telegram bot", within=30)

        while pub.released < len(NEWS):
            pub.publish()
            await asyncio.sleep(rng.uniform(0.2, 0.6))
        released = {i + 1 for i in range(pub.released)}
        wanted = {(chat, k) for chat in CHATS for k in released}

        def shown() -> set[tuple[int, int]]:
            got = set()
            for call in fake.calls:
                if call.method in ("sendMessage", "editMessageText"):
                    got |= {(int(call.chat_id), int(x)) for x in STORY_URL.findall(str(call.params.get("text")))}  # type: ignore[arg-type]
            return got

        try:
            await asyncio.wait_for(_until(lambda: wanted <= shown(), changed), 60)
        except TimeoutError:
            raise AssertionError(
                f"never shown: {sorted(wanted - shown())}\n" + "\n".join(c.tail(30) for c in survivors)
            ) from None
        ended = loop.time()
        for child in survivors:
            assert await child.terminate() == 0, child.tail()

        # No feed was polled twice in one interval: consecutive requests are at least an interval apart,
        # less the jitter slack (a poll may come that much early) and a margin for a loaded machine.
        for path, times in pub.polls.items():
            gaps = [b - a for a, b in itertools.pairwise(times)]
            assert gaps and min(gaps) >= INTERVAL - (JITTER + 0.5) - 0.4, (path, [round(g, 2) for g in gaps])

        story_of, rows = outbox_by_chat_and_story(engine)
        sent = Counter(
            (int(c.chat_id), story_of[int(m.group(1))])  # type: ignore[arg-type]
            for c in fake.calls_to("sendMessage")
            if (m := STORY_URL.search(str(c.params.get("text"))))
        )
        duplicates = [key for key, n in sent.items() if n > 1]
        assert all(rows[key].resent_after_crash for key in duplicates), duplicates
        assert all(r.status == "sent" for r in rows.values()), [r for r in rows.values() if r.status != "sent"]
        print(
            f"\nthree workers: {len(released)} news items, {len(rows)} deliveries, {sum(sent.values())} sends, "
            f"{len(duplicates)} duplicates (flagged); polls per feed { ({p: len(t) for p, t in pub.polls.items()}) } "
            f"over {ended - pub_start(pub):.0f}s"
        )
    finally:
        for child in children:
            await child.kill()
        await fake.close()
        server.__exit__()


def listening(child: Child) -> bool:
    """The last word of this child about the bot's listener: it listens now."""
    said = [ln for ln in child.lines if "listens for the telegram bot" in ln or "listener lease was taken" in ln]
    return bool(said) and "this worker listens" in said[-1]


def pub_start(pub: Publisher) -> float:
    return min(t[0] for t in pub.polls.values())


async def _until(predicate, changed: asyncio.Condition) -> None:  # type: ignore[no-untyped-def]
    async with changed:
        while not predicate():
            await changed.wait()


async def wait_for_any(children: list[Child], needle: str, within: float) -> Child:
    tasks = {asyncio.create_task(c.wait_for(needle, within)): c for c in children}
    try:
        for done in asyncio.as_completed(tasks):
            try:
                await done
            except AssertionError:
                continue
            return next(c for c in children if c.saw(needle))
    finally:
        for t in tasks:
            t.cancel()
    raise AssertionError(f"{needle!r} in none of the survivors:\n" + "\n".join(c.tail(20) for c in children))
