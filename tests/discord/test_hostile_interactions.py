"""Issue 13 through the real Discord path: discord.py against the fake Discord (REST + gateway on loopback) and the
real command core on a real SQLite store.

Discord wants every interaction answered within 3 s. A flood in one server — many members asking for the digest,
whose chart takes a while — must neither leave its own interactions unanswered nor hold another server's
commands. The digest here is the core's real hook, made slow by waiting on an event the test sets at the end.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.adapters.discord.bot import DiscordAdapter
from bot.adapters.discord.endpoints import Endpoints
from bot.commands.core import HEAVY_SLOTS, MAX_REPLY_CHARS, Core
from bot.commands.limits import CommandLimiter
from bot.deliver.model import Reply
from bot.match import load_lexicon
from bot.text.messages import text
from storage.db import session
from storage.feeds import FeedSpec, get_feed, sync_feeds
from storage.tables import Subscription
from tests.fakes.discord_api import BOT_TOKEN, GUILD_ID, FakeDiscord, Recorded

OTHER_GUILD, OTHER_CHANNEL = 1200000000000000009, 1300000000000000009
ACK_WITHIN = 3.0  # Discord's own limit for the first answer to an interaction


class SlowDigest:
    """The core's digest hook, held until ``release`` (a chart being drawn while the flood goes on)."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def __call__(self, s: Session, sub: Subscription, now: datetime) -> Reply | None:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.go.wait(30)
        with self._lock:
            self.running -= 1
        return Reply(text="Digest of the week", language=sub.interface_language)


@pytest.fixture
async def discord_env(sqlite_engine: Engine) -> AsyncIterator[tuple[FakeDiscord, DiscordAdapter, SlowDigest]]:
    digest = SlowDigest()
    async with FakeDiscord() as fake:
        core = Core(sqlite_engine, secret=b"discord-flood", digest=digest)
        limiter = CommandLimiter(clock=lambda: 0.0)  # no token comes back during a test, however slow
        adapter = DiscordAdapter(
            core,
            token=BOT_TOKEN,
            test_guild_id=GUILD_ID,
            guild_ready_timeout=0.05,
            limiter=limiter,
            endpoints=Endpoints(fake.base, fake.gateway_url),
        )
        await asyncio.to_thread(load_lexicon)  # as in a running service: built at its first poll
        await adapter.start()
        try:
            await asyncio.wait_for(adapter.ready.wait(), 10)
            yield fake, adapter, digest
        finally:
            digest.go.set()
            await adapter.close()


def interaction(fake: FakeDiscord, name: str, *, user: int, guild: int = GUILD_ID, channel: int | None = None) -> dict:
    payload = fake.interaction(name, **({"channel_id": channel} if channel else {}))
    payload["member"]["user"] = payload["member"]["user"] | {"id": str(user), "username": f"u{user}"}
    if guild != GUILD_ID:
        payload["guild_id"] = payload["channel"]["guild_id"] = str(guild)
        payload["authorizing_integration_owners"] = {"0": str(guild)}
    return payload


def callback_of(payload: dict[str, Any]) -> Any:
    path = f"/interactions/{payload['id']}/{payload['token']}/callback"
    return lambda r: r.method == "POST" and r.path == path


def followup_of(payload: dict[str, Any]) -> Any:
    return lambda r: r.method == "POST" and r.path.startswith("/webhooks/") and payload["token"] in r.path


async def test_a_digest_flood_in_one_server_leaves_every_interaction_answered(
    discord_env: tuple[FakeDiscord, DiscordAdapter, SlowDigest],
) -> None:
    fake, _, digest = discord_env
    flood = [interaction(fake, "digest", user=2000 + i % 8) for i in range(24)]
    for payload in flood:
        await fake.dispatch("INTERACTION_CREATE", payload)
    quiet = interaction(fake, "help", user=3000, guild=OTHER_GUILD, channel=OTHER_CHANNEL)
    await fake.dispatch("INTERACTION_CREATE", quiet)

    # The quiet server's answer is the real one, not a "thinking…": nothing of the flood stands in its way.
    answer: Recorded = await fake.wait_for(callback_of(quiet), within=ACK_WITHIN)
    assert answer.body["type"] == 4 and answer.body["data"]["content"].startswith("Raqib watches")
    # Every interaction of the flood is acknowledged in time: deferred while its chart waits, or refused.
    acks = [await fake.wait_for(callback_of(p), within=ACK_WITHIN) for p in flood]
    slow = [a for a in acks if a.body["type"] == 4]
    assert slow and all(text("en", "slow_down") == a.body["data"]["content"] for a in slow)
    assert all(a.body["data"]["flags"] & 64 for a in slow), "only the caller sees the refusal"
    deferred = [p for p, a in zip(flood, acks, strict=True) if a.body["type"] == 5]
    assert deferred and len(deferred) + len(slow) == len(flood)
    assert digest.most <= HEAVY_SLOTS, "charts queue for their slots instead of taking every worker thread"

    digest.go.set()
    for p in deferred:
        done = await fake.wait_for(followup_of(p), within=10)
        assert done.body["content"] == "Digest of the week"


async def test_one_users_flood_gets_its_burst_then_a_private_slow_down(
    discord_env: tuple[FakeDiscord, DiscordAdapter, SlowDigest],
) -> None:
    fake, adapter, _ = discord_env
    flood = [interaction(fake, "help", user=2100) for _ in range(20)]
    for payload in flood:
        await fake.dispatch("INTERACTION_CREATE", payload)
    answers = [(await fake.wait_for(callback_of(p), within=ACK_WITHIN)).body["data"] for p in flood]
    helped = [a for a in answers if a["content"].startswith("Raqib watches")]
    assert len(helped) == adapter.limiter.per_user.burst
    assert all(a["content"] == text("en", "slow_down") and a["flags"] & 64 for a in answers[len(helped) :])


async def test_feeds_with_huge_titles_stays_within_two_messages(
    discord_env: tuple[FakeDiscord, DiscordAdapter, SlowDigest], sqlite_engine: Engine
) -> None:
    fake, _, _ = discord_env
    with session(sqlite_engine) as s:
        specs = [FeedSpec(f"feed-{i:03}", f"https://f{i}.example/rss", "en") for i in range(300)]
        sync_feeds(s, specs)
        for spec in specs:
            feed = get_feed(s, spec.id)
            assert feed is not None
            feed.title = "Chip news " * 20_000  # as stored before titles were capped
            s.add(feed)
        s.commit()
    payload = interaction(fake, "feeds", user=2200)
    await fake.dispatch("INTERACTION_CREATE", payload)
    first = await fake.wait_for(callback_of(payload), within=ACK_WITHIN)
    await asyncio.wait_for(adapter_idle(fake, payload), 10)
    followups = [r for r in fake.requests if followup_of(payload)(r)]
    # A slow core (a loaded machine) is answered "thinking…" first (no data): then every message is a followup.
    answered = first.body.get("data", {}).get("content")
    messages = [*([answered] if answered else []), *[r.body["content"] for r in followups]]
    assert 1 <= len(messages) <= 2 and sum(len(m) for m in messages) <= MAX_REPLY_CHARS + 10
    assert "…and " in messages[-1]


async def adapter_idle(fake: FakeDiscord, payload: dict[str, Any]) -> None:
    """Until the reply's last message went out: the one that says how many more sources there are."""
    await fake.wait_for(
        lambda r: (
            (callback_of(payload)(r) and "…and " in str(r.body)) or (followup_of(payload)(r) and "…and " in str(r.body))
        )
    )
