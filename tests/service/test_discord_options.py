"""The service tells the Discord notifiers each subscription's look: webhook name, avatar, role to mention."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.config import Env
from bot.service.chats import Chats
from storage import subscriptions as subs
from storage.db import session

URL = "https://discord.com/api/webhooks/123/abc-token"


def test_options_come_from_the_subscription(sqlite_engine: Engine) -> None:
    now = datetime.now(UTC)
    with session(sqlite_engine) as s:
        hook = subs.get_or_create(s, "discord-webhook", "webhook:123", now=now)
        hook.secret = URL
        hook.options = json.dumps({"username": "Raqib News", "avatar_url": "https://img.example/r.png"})
        chan = subs.get_or_create(s, "discord", "555", now=now)
        chan.options = json.dumps({"mention_role": "777", "mention_severity": "high"})
        s.commit()
    chats = Chats(sqlite_engine, Env(_env_file=None))
    webhook = chats.discord_options("discord-webhook")(URL)  # the notifier is handed the URL
    assert webhook is not None and (webhook.username, webhook.avatar_url) == ("Raqib News", "https://img.example/r.png")
    channel = chats.discord_options("discord")("555")
    assert channel is not None and channel.mention_role_id == 777
    assert channel.mention_severities == frozenset({"high", "critical"})
    assert chats.discord_options("discord")("999") is None


async def test_removal_from_a_server_pauses_its_subscriptions(sqlite_engine: Engine) -> None:
    now = datetime.now(UTC)
    with session(sqlite_engine) as s:
        for channel, guild in (("1", "g1"), ("2", "g1"), ("3", "g2")):
            sub = subs.get_or_create(s, "discord", channel, now=now)
            sub.options = json.dumps({"guild_id": guild})
        s.commit()
    await Chats(sqlite_engine, Env(_env_file=None)).guild_removed("g1")
    with session(sqlite_engine) as s:
        state = {x.target: (x.paused, x.paused_reason) for x in subs.list_subscriptions(s)}
    assert state["1"] == (True, "the bot was removed from the server") and state["2"][0]
    assert state["3"] == (False, None)
