"""A real ``DiscordAdapter`` over the fake Discord, started and stopped around a test, with ``run`` to send one
slash command and read the interaction's answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.engine import Engine

from bot.adapters.discord.bot import DiscordAdapter
from bot.adapters.discord.endpoints import Endpoints
from bot.commands.core import Core
from tests.fakes.discord_api import BOT_TOKEN, GUILD_ID, FakeDiscord

Run = Callable[..., Awaitable[dict[str, Any]]]


@asynccontextmanager
async def running_adapter(engine: Engine) -> AsyncIterator[tuple[FakeDiscord, DiscordAdapter, Run]]:
    async with FakeDiscord() as fake:
        # Pointed at the fake the way an operator points it at a test server: DISCORD_API_URL only (the gateway
        # is the one the fake's /gateway/bot names), no patching of discord.py.
        adapter = DiscordAdapter(
            Core(engine, secret=b"e2e"),
            token=BOT_TOKEN,
            test_guild_id=GUILD_ID,
            guild_ready_timeout=0.05,
            endpoints=Endpoints(fake.base),
        )
        await adapter.start()
        try:
            await asyncio.wait_for(adapter.ready.wait(), 10)

            async def run(name: str, options: list[dict[str, Any]], permissions: int = 0, **how: Any) -> dict[str, Any]:
                payload = fake.interaction(name, options, permissions=permissions, **how)
                await fake.dispatch("INTERACTION_CREATE", payload)
                path = f"/interactions/{payload['id']}/{payload['token']}/callback"
                return (await fake.wait_for(lambda r: r.path == path)).body["data"]

            yield fake, adapter, run
        finally:
            await adapter.close()


class _NoCore:
    async def handle(self, invocation: object) -> Any:
        raise AssertionError("never called")


def registered_commands() -> list[str]:
    """Each slash command the adapter registers as ``name option [optional]``, in registration order."""
    adapter = DiscordAdapter(_NoCore(), token="unused", sync_commands=False)
    return [
        " ".join([command.name, *(p.display_name if p.required else f"[{p.display_name}]" for p in command.parameters)])
        for command in adapter.tree.get_commands()
    ]
