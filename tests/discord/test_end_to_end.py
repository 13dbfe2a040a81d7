"""A Discord server's first minutes, end to end: the real command core on a real store, the real discord.py
client against the fake Discord (REST + gateway on loopback), and the real outbox and dispatcher."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.adapters.discord.options import DiscordOptions
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from storage import subscriptions as subs
from storage.db import session
from tests.discord.running import running_adapter
from tests.fakes.discord_api import CHANNEL_ID, GUILD_ID
from tests.fakes.store import add_wire_feed, ingest, wire_item

MANAGE_CHANNELS = 1 << 4


async def test_a_server_subscribes_reads_latest_and_gets_an_embed(sqlite_engine: Engine) -> None:
    add_wire_feed(sqlite_engine)
    ingest(
        sqlite_engine,
        wire_item(
            1,
            "SK Hynix to double HBM output as AI demand soars",
            "High-bandwidth memory capacity will double next year.",
        ),
        first_poll=True,
    )
    async with running_adapter(sqlite_engine) as (fake, adapter, run):
        refused = await run("subscribe", [{"name": "topic", "type": 3, "value": "hbm"}])
        assert refused["flags"] & 64 and "administrators" in refused["content"]
        ok = await run("subscribe", [{"name": "topic", "type": 3, "value": "hbm"}], MANAGE_CHANNELS)
        assert "Subscribed to: High-bandwidth memory" in ok["content"]
        latest = await run("latest", [{"name": "query", "type": 3, "value": "hbm"}])
        assert latest["embeds"][0]["title"].startswith("SK Hynix to double HBM output")
        assert latest["allowed_mentions"] == {"parse": []}
        with session(sqlite_engine) as s:
            sub = subs.get_subscription(s, "discord", str(CHANNEL_ID))
            assert sub is not None and DiscordOptions.parse(sub.options).guild_id == str(GUILD_ID)
            assert sub.topics == "hbm"

        ingest(
            sqlite_engine,
            wire_item(2, "Samsung wins Nvidia HBM4 order @everyone", "Samsung will supply high-bandwidth memory."),
            first_poll=False,
        )
        dispatcher = Dispatcher(
            sqlite_engine,
            {"discord": adapter.notifier},
            owner="e2e",
            settings=DispatchSettings(pace=False),
        )
        assert await dispatcher.dispatch_once() == 1
        posted = await fake.wait_for(lambda r: r.method == "POST" and r.path == f"/channels/{CHANNEL_ID}/messages")
        embed = posted.body["embeds"][0]
        assert "Samsung wins Nvidia HBM4 order" in embed["title"] and "@everyone" not in embed["title"]
        assert posted.body["allowed_mentions"]["parse"] == []
        assert await dispatcher.dispatch_once() == 0, "never twice"
