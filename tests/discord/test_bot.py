"""The real discord.py Client against the fake Discord: login, gateway READY, command sync, slash commands
dispatched as INTERACTION_CREATE, replies through the interaction callback, and channel delivery errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import discord
import pytest

from bot.adapters.discord.bot import DiscordAdapter, DiscordStartError
from bot.adapters.discord.endpoints import Endpoints
from bot.commands.model import ADMIN_COMMANDS, Invocation
from bot.deliver.model import AlertView, Button, PermanentFailure, Reply, RetryLater
from tests.fakes.discord_api import APP_ID, BOT_TOKEN, CHANNEL_ID, GUILD_ID, FakeDiscord

MANAGE_CHANNELS = 1 << 4
OTHER_CHANNEL = 1300000000000000002
ADMIN_ROLE = 1900000000000000001
COMMANDS = {"subscribe", "unsubscribe", "subscriptions", "latest", "digest", "topics", "lang", "settings"}
COMMANDS |= {"feeds", "status", "help"}
COMMANDS |= {"watch", "unwatch", "mute", "unmute"}
COMMANDS |= {"export"}


def story(title: str = "HBM export curbs widen") -> AlertView:
    return AlertView(
        story_id=1,
        title=title,
        url="https://news.example/1",
        source="Wire",
        language="en",
        published=datetime(2025, 6, 1, tzinfo=UTC),
        severity="high",
        score=2.0,
        topics=("hbm",),
        entities=("SK Hynix",),
        excerpt="Memory makers face new licence rules @everyone.",
    )


@dataclass
class SmallCore:
    """A small command core: refuses admin commands to non-admins, answers /latest with an alert."""

    seen: list[Invocation] = field(default_factory=list)
    admin: list[bool] = field(default_factory=list)
    gate: asyncio.Event | None = None  # when set, handle() waits for it (a slow core)

    async def handle(self, invocation: Invocation) -> Reply:
        self.seen.append(invocation)
        if self.gate is not None:
            await self.gate.wait()
        if invocation.command == "boom":
            raise RuntimeError("core bug")
        if invocation.command in ADMIN_COMMANDS:
            assert invocation.is_admin is not None
            allowed = await invocation.is_admin()
            self.admin.append(allowed)
            if not allowed:
                return Reply(text="Only channel managers can change subscriptions.", error=True)
            return Reply(text=f"Subscribed to {invocation.args[0]}.")
        if invocation.command == "latest":
            return Reply(text="Latest:", alerts=(story(),), buttons=((Button("More", "sig:more:1"),),))
        return Reply(text=f"{invocation.command} ok")


@dataclass
class Env:
    fake: FakeDiscord
    core: SmallCore
    adapter: DiscordAdapter
    removed: list[str]
    removed_event: asyncio.Event
    prefixes: list[tuple[str, str]]


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with FakeDiscord() as fake:
        core = SmallCore()
        removed: list[str] = []
        removed_event = asyncio.Event()
        prefixes: list[tuple[str, str]] = []

        async def on_removed(guild_id: str) -> None:
            removed.append(guild_id)
            removed_event.set()

        def topic_choices(prefix: str, language: str) -> list[tuple[str, str]]:
            prefixes.append((prefix, language))
            return [("High-bandwidth memory (HBM)", "hbm"), ("Nvidia", "nvidia")]

        admins = {"id": str(ADMIN_ROLE), "name": "news-admins", "permissions": "0", "position": 1, "color": 0}
        fake.guilds[0]["roles"].append(admins)
        adapter = DiscordAdapter(
            core,
            token=BOT_TOKEN,
            topic_choices=topic_choices,
            admin_role_id=ADMIN_ROLE,
            test_guild_id=GUILD_ID,
            on_removed_from_guild=on_removed,
            guild_ready_timeout=0.05,
            endpoints=Endpoints(fake.base, fake.gateway_url),
        )
        await adapter.start()
        await asyncio.wait_for(adapter.ready.wait(), 10)
        try:
            yield Env(fake, core, adapter, removed, removed_event, prefixes)
        finally:
            await adapter.close()


async def callback_for(fake: FakeDiscord, payload: dict) -> dict:
    await fake.dispatch("INTERACTION_CREATE", payload)
    rec = await fake.wait_for(lambda r: r.path == f"/interactions/{payload['id']}/{payload['token']}/callback")
    return rec.body


async def test_ready_with_minimal_intents_and_commands_synced(env: Env) -> None:
    [identify] = env.fake.identifies
    assert identify["intents"] == discord.Intents(guilds=True).value
    assert identify["token"] == BOT_TOKEN
    [global_sync] = env.fake.sent("PUT", rf"^/applications/{APP_ID}/commands$")
    assert {c["name"] for c in global_sync.body} == COMMANDS
    [guild_sync] = env.fake.sent("PUT", rf"^/applications/{APP_ID}/guilds/{GUILD_ID}/commands$")
    assert {c["name"] for c in guild_sync.body} == COMMANDS
    by_name = {c["name"]: c for c in global_sync.body}
    assert "اشترك" in by_name["subscribe"]["description"]  # Discord has no Arabic locale: bilingual text
    assert all(len(c["description"]) <= 100 for c in global_sync.body)
    topic = next(o for o in by_name["subscribe"]["options"] if o["name"] == "topic")
    assert topic["autocomplete"] is True and topic["max_length"] == 100


async def test_latest_runs_the_core_and_answers_through_the_callback(env: Env) -> None:
    payload = env.fake.interaction("latest", [{"name": "query", "type": 3, "value": "hbm"}], locale="en-GB")
    body = await callback_for(env.fake, payload)
    [inv] = env.core.seen
    assert (inv.platform, inv.command, inv.args, inv.chat_type) == ("discord", "latest", ("hbm",), "guild")
    assert inv.chat_id == str(CHANNEL_ID) and inv.user_language == "en"
    assert body["type"] == 4
    data = body["data"]
    assert data["content"] == "Latest:"
    assert data["allowed_mentions"] == {"parse": []}
    assert data["embeds"][0]["title"] == "HBM export curbs widen"
    assert "@\u200beveryone" in data["embeds"][0]["description"]
    assert data["components"][0]["components"][0]["custom_id"] == "sig:more:1"
    assert not (data.get("flags") or 0) & 64


async def test_non_admin_subscribe_is_passed_as_non_admin_and_refused_ephemerally(env: Env) -> None:
    payload = env.fake.interaction("subscribe", [{"name": "topic", "type": 3, "value": "hbm"}], permissions=0)
    body = await callback_for(env.fake, payload)
    assert env.core.admin == [False]
    assert body["data"]["flags"] & 64  # ephemeral: only the caller sees the refusal
    assert "Only channel managers" in body["data"]["content"]


async def test_manage_channels_or_the_configured_role_make_an_admin(env: Env) -> None:
    options = [{"name": "topic", "type": 3, "value": "nvidia"}]
    await callback_for(env.fake, env.fake.interaction("subscribe", options, permissions=MANAGE_CHANNELS))
    await callback_for(env.fake, env.fake.interaction("subscribe", options, roles=(ADMIN_ROLE,)))
    assert env.core.admin == [True, True]


async def test_subscribing_another_channel_checks_permissions_there(env: Env) -> None:
    env.fake.guilds[0]["channels"].append({"id": str(OTHER_CHANNEL), "type": 0, "name": "x", "position": 1})
    resolved_channel = {"id": str(OTHER_CHANNEL), "type": 0, "name": "x", "guild_id": str(GUILD_ID)}
    options = [
        {"name": "topic", "type": 3, "value": "hbm"},
        {"name": "channel", "type": 7, "value": str(OTHER_CHANNEL)},
    ]
    # Manager here, not there: refused.
    resolved = {"channels": {str(OTHER_CHANNEL): resolved_channel | {"permissions": "0"}}}
    payload = env.fake.interaction("subscribe", options, permissions=MANAGE_CHANNELS, resolved=resolved)
    await env.fake.dispatch("GUILD_CREATE", env.fake.guilds[0])  # the bot learns the new channel
    await callback_for(env.fake, payload)
    # Manager there: allowed.
    resolved = {"channels": {str(OTHER_CHANNEL): resolved_channel | {"permissions": str(MANAGE_CHANNELS)}}}
    await callback_for(env.fake, env.fake.interaction("subscribe", options, permissions=0, resolved=resolved))
    assert env.core.admin == [False, True]
    assert env.core.seen[-1].target_chat_id == str(OTHER_CHANNEL)


async def test_autocomplete_caps_a_5kb_input(env: Env) -> None:
    options = [{"name": "topic", "type": 3, "value": "ه" * 5000, "focused": True}]
    body = await callback_for(env.fake, env.fake.interaction("subscribe", options, kind=4))
    assert body["type"] == 8
    assert [c["value"] for c in body["data"]["choices"]] == ["hbm", "nvidia"]
    [(prefix, _language)] = env.prefixes
    assert len(prefix) == 100
    assert env.core.seen == []  # autocomplete never runs a command


async def test_slow_core_defers_then_follows_up(env: Env) -> None:
    env.core.gate = asyncio.Event()
    env.adapter.defer_after = 0.05
    payload = env.fake.interaction("status")
    body = await callback_for(env.fake, payload)
    assert body["type"] == 5  # "thinking…"
    env.core.gate.set()
    followup = await env.fake.wait_for(lambda r: r.path == f"/webhooks/{APP_ID}/{payload['token']}")
    assert followup.method == "POST"
    assert followup.body["content"] == "status ok"


async def test_core_failure_gives_an_ephemeral_error(env: Env) -> None:
    payload = env.fake.interaction("help")
    env.adapter.core = type("Broken", (), {"handle": staticmethod(_broken)})()
    body = await callback_for(env.fake, payload)
    assert body["data"]["flags"] & 64
    assert "try again" in body["data"]["content"]


async def _broken(invocation: Invocation) -> Reply:
    raise RuntimeError("core bug")


async def test_button_click_reaches_the_core_with_its_data(env: Env) -> None:
    payload = env.fake.interaction("", kind=3, custom_id="sig:more:1")
    await callback_for(env.fake, payload)
    [inv] = env.core.seen
    assert (inv.command, inv.callback_data) == ("callback", "sig:more:1")


async def test_removal_from_a_guild_is_reported(env: Env) -> None:
    await env.fake.dispatch("GUILD_DELETE", {"id": str(GUILD_ID)})
    await asyncio.wait_for(env.removed_event.wait(), 5)
    assert env.removed == [str(GUILD_ID)]


async def test_bot_notifier_posts_and_edits_embeds(env: Env) -> None:
    notifier = env.adapter.notifier
    message_id = await notifier.send_alert(str(CHANNEL_ID), story(), language="en", timezone="UTC")
    [post] = env.fake.sent("POST", rf"^/channels/{CHANNEL_ID}/messages$")
    assert post.headers["Authorization"] == f"Bot {BOT_TOKEN}"
    assert post.body["allowed_mentions"] == {"parse": []}
    assert post.body["embeds"][0]["title"] == "HBM export curbs widen"
    await notifier.edit_alert(
        str(CHANNEL_ID), message_id, story("HBM curbs: more outlets"), language="en", timezone="UTC"
    )
    [edit] = env.fake.sent("PATCH", rf"^/channels/{CHANNEL_ID}/messages/{message_id}$")
    assert edit.body["embeds"][0]["title"] == "HBM curbs: more outlets"


async def test_a_resent_alert_is_not_posted_twice(env: Env) -> None:
    """A send repeated after a crash (same story, same channel) carries the same nonce with enforce_nonce, and
    Discord answers with the message it already posted."""
    notifier = env.adapter.notifier
    first = await notifier.send_alert(str(CHANNEL_ID), story(), language="en", timezone="UTC")
    again = await notifier.send_alert(str(CHANNEL_ID), story(), language="en", timezone="UTC")
    posts = env.fake.sent("POST", rf"^/channels/{CHANNEL_ID}/messages$")
    assert len(posts) == 2 and all(p.body["enforce_nonce"] for p in posts)
    assert posts[0].body["nonce"] == posts[1].body["nonce"] == "raqib-story-1"
    assert first == again, "the second request got the first message back: one post in the channel"


@pytest.mark.parametrize(
    ("status", "code", "expected", "reason"),
    [
        (403, 50013, PermanentFailure, "Missing Permissions"),
        (404, 10003, PermanentFailure, "Unknown Channel"),
        (403, 50001, PermanentFailure, "Missing Access"),
        (503, 0, RetryLater, "server error"),
    ],
)
async def test_bot_notifier_maps_channel_errors(
    env: Env, status: int, code: int, expected: type[Exception], reason: str
) -> None:
    env.fake.fail("POST", r"^/channels/", status=status, code=code)
    with pytest.raises(expected, match=reason):
        await env.adapter.notifier.send_alert(str(CHANNEL_ID), story(), language="en", timezone="UTC")


async def test_bot_notifier_long_rate_limit_is_retry_later(env: Env) -> None:
    env.fake.fail("POST", r"^/channels/", status=429, retry_after=90, via=True)
    with pytest.raises(RetryLater) as info:
        await env.adapter.notifier.send_alert(str(CHANNEL_ID), story(), language="en", timezone="UTC")
    assert info.value.retry_after == 90


async def test_bad_token_gives_one_clear_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeDiscord() as fake:
        fake.unauthorized = True
        adapter = DiscordAdapter(SmallCore(), token=BOT_TOKEN, endpoints=Endpoints(fake.base, fake.gateway_url))
        with pytest.raises(DiscordStartError) as info:
            await adapter.start()
        await adapter.close()
    assert "DISCORD_BOT_TOKEN" in str(info.value)
    assert BOT_TOKEN not in str(info.value) and BOT_TOKEN not in caplog.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert fake.identifies == []  # never got as far as the gateway
