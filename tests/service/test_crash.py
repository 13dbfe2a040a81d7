"""kill -9 of a real ``raqib run`` at random points, many times: no alert is lost, and none arrives twice
except a row the database flags ``resent_after_crash`` (the documented at-least-once window).

The service runs as a subprocess on a SQLite file, polls a local feed server that publishes news over time,
and sends through the real Telegram code path (python-telegram-bot) to the fake Bot API on 127.0.0.1. The
kills come at three kinds of moment: during start-up, at a random time, and exactly when a sendMessage
request reaches the fake — before it answers, so the answer is lost with the process (the window itself).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import open_database
from bot.config import Env, load_config
from bot.demo.server import FeedServer
from storage import subscriptions as subs
from storage.db import session
from tests.fakes.telegram_api import FakeBotAPI
from tests.service.support import NEWS, STORY_URL, Child, Publisher, child_env, outbox_by_chat_and_story

CHATS = (101, 102, 103)
KILLS = int(os.environ.get("RAQIB_CRASH_KILLS", "8"))


def write_config(tmp_path: Path, base: str) -> Path:
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(
        # The final run releases all the news at once: alert caps (tests/deliver/test_alert_caps.py) would fold
        # some of it into a summary, and this test counts alerts, so they are lifted here.
        "settings: {default_interval: 1s, interval_jitter: 0.2, allow_private_addresses: true, retries: 0, "
        "alerts_per_feed_poll: 100, alerts_per_chat_hour: 1000, "
        f"read_timeout: 5s, data_dir: '{tmp_path / 'data'}'}}\n"
        "feeds:\n"
        f"  - {{id: en, url: '{base}/en.xml', language: en}}\n"
        f"  - {{id: ar, url: '{base}/ar.xml', language: ar}}\n"
    )
    return cfg


def first_story_number(text: str) -> int | None:
    m = STORY_URL.search(text)
    return int(m.group(1)) if m else None


async def until(predicate, within: float, changed: asyncio.Condition) -> None:  # type: ignore[no-untyped-def]
    async def wait() -> None:
        async with changed:
            while not predicate():
                await changed.wait()

    await asyncio.wait_for(wait(), within)


@pytest.mark.slow
async def test_kill_9_at_random_points_loses_nothing_and_repeats_only_flagged_rows(tmp_path: Path) -> None:
    seed = int(os.environ.get("RAQIB_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    pub = Publisher()
    server = FeedServer({"/en.xml": pub.route("en"), "/ar.xml": pub.route("ar")})
    server.__enter__()
    fake = await FakeBotAPI().start()
    try:
        for chat in CHATS:
            fake.add_chat(chat, "private")
        cfg = write_config(tmp_path, server.base_url)
        engine = open_database(load_config(cfg), Env(), url=f"sqlite:///{tmp_path / 'data' / 'raqib.db'}")
        with session(engine) as s:
            for chat in CHATS:
                subs.get_or_create(s, "telegram", str(chat), now=datetime.now(UTC))
            s.commit()
        env = child_env(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.api_url)
        changed = fake._changed  # the fake's own condition: notified on every call it receives

        def sends() -> int:
            return len(fake.calls_to("sendMessage"))

        modes: Counter[str] = Counter()
        # Where the kills fall: in the send window (the one that may duplicate), at random times (ingestion,
        # outbox writes, recovery), and during start-up; shuffled by the seed.
        sends_k = max(1, KILLS * 4 // 15)
        times_k = max(0, KILLS * 5 // 15)
        schedule = ["send"] * sends_k + ["time"] * times_k + ["startup"] * (KILLS - sends_k - times_k)
        rng.shuffle(schedule)
        schedule.remove("send")
        schedule.insert(0, "send")  # the first run polls the backlog before any news is out
        loop = asyncio.get_running_loop()
        timeline: list[str] = []
        logs: list[str] = []
        for n in range(KILLS):
            started = loop.time()
            child = await Child.start(cfg, env=env, cwd=tmp_path, name=f"run {n}")
            try:
                if n == 0:  # the first polls store the backlog quietly; news is published after them
                    await child.wait_for("feed en: 1 new items")
                    await child.wait_for("feed ar: 1 new items")
                    pub.publish()
                pub.publish()
                mode = schedule[n]
                if mode == "startup":  # somewhere in imports, migrations, lease recovery
                    await asyncio.sleep(rng.uniform(0.2, 2.0))  # chaos schedule, not a wait for something
                else:
                    await child.wait_for("raqib running")
                    if mode == "time":  # the first poll (ingestion, outbox rows), or the sends after it
                        await asyncio.sleep(rng.uniform(0.0, 3.5))  # chaos schedule
                    else:
                        before = sends()
                        try:
                            await until(lambda b=before: sends() > b, 6.0, changed)  # type: ignore[misc]
                        except TimeoutError:
                            mode = "send (none came)"
                modes[mode] += 1
                timeline.append(f"{mode}:{loop.time() - started:.1f}s")
            finally:
                await child.kill()
                logs.append(child.tail(15))

        # The last run: publish the rest, and let it finish everything.
        started = loop.time()
        child = await Child.start(cfg, env=env, cwd=tmp_path, name="final run")
        await child.wait_for("raqib running")
        while pub.released < len(NEWS):
            pub.publish()
        released = {i + 1 for i in range(pub.released)}

        def shown() -> set[tuple[int, int]]:
            got = set()
            for call in fake.calls:
                if call.method in ("sendMessage", "editMessageText"):
                    got |= {(int(call.chat_id), int(x)) for x in STORY_URL.findall(str(call.params.get("text")))}  # type: ignore[arg-type]
            return got

        wanted = {(chat, k) for chat in CHATS for k in released}
        try:
            await until(lambda: wanted <= shown(), 45.0, changed)
        except TimeoutError:
            raise AssertionError(
                f"seed {seed}: never shown: {sorted(wanted - shown())}\n{child.tail(60)}\n" + "\n".join(logs[-3:])
            ) from None
        timeline.append(f"final:{loop.time() - started:.1f}s")
        if os.environ.get("RAQIB_CRASH_DEBUG"):
            print(child.tail(80))
        assert await child.terminate() == 0, child.tail()

        # Every expected alert arrived (above); now: what arrived twice, and was each such row flagged?
        story_of, rows = outbox_by_chat_and_story(engine)
        sent = Counter(
            (int(c.chat_id), story_of[k])  # type: ignore[arg-type]
            for c in fake.calls_to("sendMessage")
            if (k := first_story_number(str(c.params.get("text")))) is not None
        )
        duplicates = {key: count for key, count in sent.items() if count > 1}
        unflagged = [key for key in duplicates if not rows[key].resent_after_crash]
        assert not unflagged, f"seed {seed}: sent twice without a crash flag: {unflagged}"
        stories = {story_of[k] for k in released}
        for chat in CHATS:
            for story in stories:
                row = rows.get((chat, story))
                assert row is not None and row.status == "sent", f"seed {seed}: {chat}/{story}: {row}"
        flagged = sum(1 for r in rows.values() if r.resent_after_crash)
        print(
            f"\ncrash test (seed {seed}): {KILLS} kills {dict(modes)}; {len(released)} news items, {len(stories)} "
            f"stories, {len(rows)} deliveries; {sum(sent.values())} sends; {len(duplicates)} duplicates, all "
            f"among {flagged} rows flagged resent_after_crash\n{' '.join(timeline)}"
        )
        engine.dispose()
    finally:
        await fake.close()
        server.__exit__()
