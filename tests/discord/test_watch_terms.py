"""/watch, /unwatch, /mute, /unmute as Discord slash commands: the real discord.py client against the fake
Discord, the real core and SQLite, then the keyword alert an off-topic item with the watched term brings."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from storage import subscriptions as subs
from storage.db import session
from tests.discord.running import running_adapter
from tests.fakes.discord_api import CHANNEL_ID
from tests.fakes.store import add_wire_feed, ingest, wire_item

MANAGE_CHANNELS = 1 << 4
OFF_TOPIC = "Apple opens its first store in Riyadh"


def term(value: str) -> list[dict[str, Any]]:
    return [{"name": "term", "type": 3, "value": value}]


def stored(engine: Engine, which: str) -> list[str]:
    with session(engine) as s:
        sub = subs.get_subscription(s, "discord", str(CHANNEL_ID))
        return subs.terms(sub, which) if sub else []


async def test_watch_commands_and_the_alert_they_bring(sqlite_engine: Engine) -> None:
    add_wire_feed(sqlite_engine)
    async with running_adapter(sqlite_engine) as (fake, adapter, run):
        names = {c.name for c in adapter.tree.get_commands()}
        assert {"watch", "unwatch", "mute", "unmute"} <= names

        refused = await run("watch", term("Apple"))
        assert refused["flags"] & 64 and "administrators" in refused["content"], "a member changes nothing"
        assert (await run("watch", term("Apple"), MANAGE_CHANNELS))["content"] == "Watching: Apple"
        pattern = await run("watch", term("nvid(ia|ea)"), MANAGE_CHANNELS)
        assert "looks like a pattern" in pattern["content"]
        assert (await run("mute", term("iPhone"), MANAGE_CHANNELS))["content"] == "Muted: iPhone"
        assert (await run("watch", []))["content"] == "Watched: Apple · Muted: iPhone", "anyone may list"
        assert (await run("unmute", term("IPHONE"), MANAGE_CHANNELS))["content"] == "No longer muted: iPhone"
        assert stored(sqlite_engine, "watch") == ["Apple"] and stored(sqlite_engine, "mute") == []

        ingest(sqlite_engine, wire_item(1, OFF_TOPIC, "The company's phones and laptops go on sale there."))
        dispatcher = Dispatcher(
            sqlite_engine, {"discord": adapter.notifier}, owner="d", settings=DispatchSettings(pace=False)
        )
        assert await dispatcher.dispatch_once() == 1
        [posted] = [r for r in fake.requests if r.method == "POST" and r.path == f"/channels/{CHANNEL_ID}/messages"]
        [embed] = posted.body["embeds"]
        assert embed["title"] == OFF_TOPIC
        why = next(f["value"] for f in embed["fields"] if f["name"] == "Why this alert")
        assert why.startswith("• watched term: Apple")

        assert (await run("unwatch", term("apple"), MANAGE_CHANNELS))["content"] == "No longer watching: Apple"
        ingest(sqlite_engine, wire_item(2, "Apple raises iPad prices", "Apple raises iPad prices."))
        assert await dispatcher.dispatch_once() == 0, "an unwatched term brings nothing"
