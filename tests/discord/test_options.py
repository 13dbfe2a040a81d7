"""Discord's own subscription settings (``subscriptions.options``): what ``/subscribe role: severity:`` stores
through the real adapter and core, and how unreadable stored options degrade to the defaults."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine

from bot.adapters.discord.options import DiscordOptions
from bot.domain import Severity
from storage import subscriptions as subs
from storage.db import session
from tests.discord.running import running_adapter
from tests.fakes.discord_api import CHANNEL_ID, GUILD_ID

MANAGE_CHANNELS = 1 << 4
ROLE_ID = 424242


def _role_payload(role_id: int) -> dict[str, object]:
    """The ``resolved`` part Discord sends with a role option."""
    role = {"id": str(role_id), "name": "analysts", "color": 0, "hoist": False, "position": 1, "permissions": "0"}
    return {"roles": {str(role_id): role | {"managed": False, "mentionable": True, "flags": 0}}}


async def test_subscribe_with_a_role_stores_the_server_role_and_severity(sqlite_engine: Engine) -> None:
    async with running_adapter(sqlite_engine) as (_fake, _adapter, run):
        topic = {"name": "topic", "type": 3, "value": "hbm"}
        role = {"name": "role", "type": 8, "value": str(ROLE_ID)}
        severity = {"name": "severity", "type": 3, "value": "high"}
        ok = await run("subscribe", [topic, role, severity], MANAGE_CHANNELS, resolved=_role_payload(ROLE_ID))
        assert "Subscribed to: High-bandwidth memory" in ok["content"]
        again = await run("subscribe", [{"name": "topic", "type": 3, "value": "euv"}], MANAGE_CHANNELS)
        assert "Subscribed" in again["content"]
    with session(sqlite_engine) as s:
        sub = subs.get_subscription(s, "discord", str(CHANNEL_ID))
        assert sub is not None
        stored = json.loads(sub.options)
    # a later /subscribe without a role keeps the role chosen before
    assert stored == {"guild_id": str(GUILD_ID), "mention_role": str(ROLE_ID), "mention_severity": "high"}
    target = DiscordOptions.parse(sub.options).target()
    assert target.mention_role_id == ROLE_ID and target.mention_severities == {Severity.HIGH, Severity.CRITICAL}


@pytest.mark.parametrize(
    "stored",
    ["", "not json", "[1, 2]", '{"mention_role": 7}', '{"mention_severity": "loud", "guild_id": null}', "{}"],
)
def test_unreadable_options_give_the_defaults(stored: str) -> None:
    options = DiscordOptions.parse(stored)
    target = options.target()
    assert options.guild_id is None and options.mention_role is None
    assert target.mention_role_id is None and target.mention_severities == {Severity.CRITICAL}


def test_merging_writes_only_what_is_set() -> None:
    stored = DiscordOptions(guild_id="g", mention_role="1", mention_severity=Severity.HIGH).dump()
    merged = DiscordOptions(username="Raqib", avatar_url="https://img.example/a.png").merged_into(stored)
    assert json.loads(merged) == {
        "guild_id": "g",
        "mention_role": "1",
        "mention_severity": "high",
        "username": "Raqib",
        "avatar_url": "https://img.example/a.png",
    }
    assert json.loads(DiscordOptions().merged_into("garbage")) == {}
