"""Issue 15 items 13 and 14 on Discord: the real discord.py client against the fake Discord, the real core,
SQLite and dispatcher. ``/settings key:severity value:high`` (server admins only) keeps lesser alerts out of
the channel; ``/latest`` takes period and language options and suggests the topic a typo meant."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from storage import subscriptions as subs
from storage.db import session
from tests.discord.running import running_adapter
from tests.fakes.discord_api import CHANNEL_ID
from tests.fakes.store import NOW, add_wire_feed, ingest, wire_item

MANAGE_CHANNELS = 1 << 4
NORMAL = "Analysis: will HBM shortages last into 2027?"
HIGH = "SK Hynix reports record quarterly profit on HBM sales"


async def test_severity_setting_and_latest_options(sqlite_engine: Engine) -> None:
    add_wire_feed(sqlite_engine)
    old = replace(
        wire_item(1, "Micron expands HBM production in Idaho", "Micron expands HBM production in Idaho."),
        published=NOW - timedelta(days=20),
    )
    ingest(sqlite_engine, old, first_poll=True)
    async with running_adapter(sqlite_engine) as (fake, adapter, run):

        def opt(name: str, value: str) -> dict:
            return {"name": name, "type": 3, "value": value}

        await run("subscribe", [opt("topic", "hbm")], MANAGE_CHANNELS)
        refused = await run("settings", [opt("key", "severity"), opt("value", "high")])
        assert refused["flags"] & 64 and "administrators" in refused["content"]
        saved = await run("settings", [opt("key", "severity"), opt("value", "high")], MANAGE_CHANNELS)
        assert "severity high" in saved["content"]
        with session(sqlite_engine) as s:
            sub = subs.get_subscription(s, "discord", str(CHANNEL_ID))
            assert sub is not None and sub.min_severity == "high"

        # /latest: the 20-day-old story is outside 7d; "ar" finds no Arabic report; a typo is answered.
        everything = await run("latest", [opt("query", "hbm")])
        assert len(everything.get("embeds", [])) == 1
        week = await run("latest", [opt("query", "hbm"), opt("period", "7d")])
        assert not week.get("embeds") and "hbm · 7d" in week["content"]
        arabic = await run("latest", [opt("query", "hbm"), opt("language", "ar")])
        assert not arabic.get("embeds") and "hbm · ar" in arabic["content"]
        typo = await run("latest", [opt("query", "hbmm")])
        assert "Did you mean “hbm”" in typo["content"]

        ingest(sqlite_engine, wire_item(2, NORMAL, NORMAL), wire_item(3, HIGH, HIGH), first_poll=False)
        d = Dispatcher(
            sqlite_engine,
            {"discord": adapter.notifier},
            owner="e2e",
            settings=DispatchSettings(pace=False),
        )
        while await d.dispatch_once():
            pass
        posted = [
            r.body["embeds"][0]["title"]
            for r in fake.requests
            if r.method == "POST" and r.path == f"/channels/{CHANNEL_ID}/messages"
        ]
        assert len(posted) == 1 and HIGH in posted[0], posted
