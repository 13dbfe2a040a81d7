"""`raqib run` as a real subprocess, pointed at the fake Discord by DISCORD_API_URL alone (no patching of
discord.py anywhere): the bot connects through the gateway the fake names, answers a slash command, and the
service's own dispatcher posts the alert of a story a local feed publishes into the subscribed channel."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from bot.demo.server import FeedServer
from tests.fakes.discord_api import BOT_TOKEN, CHANNEL_ID, GUILD_ID, FakeDiscord
from tests.service.support import Child, child_env

MANAGE_CHANNELS = 1 << 4
BACKLOG = ("old", "Chip export licences: a look back at last year", "A review of last year's export control rules.")
NEWS = (
    "new",
    "SK Hynix sells out next year's HBM capacity",
    "The memory maker said its high-bandwidth memory output for AI accelerators is already booked.",
)


class Feed:
    """One RSS feed on loopback; ``publish()`` adds the news after the backlog."""

    def __init__(self) -> None:
        self.items = [BACKLOG]

    def publish(self) -> None:
        self.items.append(NEWS)

    def __call__(self) -> tuple[int, dict[str, str], bytes]:
        when = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
        body = "".join(
            f"<item><title>{escape(t)}</title><link>https://news.example/{g}</link><guid>{g}</guid>"
            f"<description>{escape(d)}</description><pubDate>{when}</pubDate></item>"
            for g, t, d in self.items
        )
        rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{body}</channel></rss>'
        return 200, {"Content-Type": "application/rss+xml"}, rss.encode()


@pytest.mark.slow  # a real process start: about 8 s on a loaded 2-core machine
async def test_the_service_answers_a_slash_command_and_posts_an_alert(tmp_path: Path) -> None:
    feed = Feed()
    with FeedServer({"/wire.xml": feed}) as server:
        async with FakeDiscord() as fake:
            cfg = tmp_path / "feeds.yaml"
            cfg.write_text(
                "settings: {default_interval: 1s, interval_jitter: 0.1, allow_private_addresses: true, retries: 0, "
                f"data_dir: '{tmp_path / 'data'}'}}\n"
                f"feeds:\n  - {{id: wire, url: '{server.base_url}/wire.xml', language: en}}\n"
            )
            env = child_env(DISCORD_BOT_TOKEN=BOT_TOKEN, DISCORD_API_URL=fake.base, DISCORD_TEST_GUILD_ID=str(GUILD_ID))
            child = await Child.start(cfg, env=env, cwd=tmp_path)
            try:
                # READY and GUILD_CREATE sent: the bot handles interactions from here (its on_ready comes later,
                # after discord.py's wait for more guilds).
                await asyncio.wait_for(fake.ready_sent.wait(), 30)
                await child.wait_for("feed wire: 1 new items")  # the backlog, stored quietly
                assert fake.sent("GET", r"^/gateway/bot$"), "the gateway came from the configured API"
                assert len(fake.sent("GET", r"^/users/@me$")) == 2, "the bot and the sending client logged in here"
                assert {c["name"] for c in fake.sent("PUT", rf"/guilds/{GUILD_ID}/commands$")[-1].body} >= {
                    "subscribe",
                    "help",
                }

                payload = fake.interaction(
                    "subscribe", [{"name": "topic", "type": 3, "value": "hbm"}], permissions=MANAGE_CHANNELS
                )
                await fake.dispatch("INTERACTION_CREATE", payload)
                path = f"/interactions/{payload['id']}/{payload['token']}/callback"
                answer = (await fake.wait_for(lambda r: r.path == path, within=30)).body["data"]
                assert "Subscribed to: High-bandwidth memory" in answer["content"]

                feed.publish()
                posted = await fake.wait_for(
                    lambda r: r.method == "POST" and r.path == f"/channels/{CHANNEL_ID}/messages", within=30
                )
                assert posted.body["embeds"][0]["title"].startswith("SK Hynix sells out next year's HBM capacity")
                assert posted.body["allowed_mentions"]["parse"] == []
                assert await child.terminate() == 0
            finally:
                await child.kill()
            assert BOT_TOKEN not in "".join(child.lines), "the token never reaches the logs"
