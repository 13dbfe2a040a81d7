"""The chat platforms of the configured tokens: send-only notifiers for the dispatcher, and the adapters the
listeners start. Platform libraries are imported only when their token is set (they are slow to import).

Sending needs no listener: any dispatcher delivers through its own notifiers, whichever worker listens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot.commands.core import Core
from bot.config import Env
from bot.deliver.console import ConsoleNotifier
from bot.deliver.model import Notifier
from bot.domain import Platform
from bot.service.listeners import Start, Stop
from storage import subscriptions as subs
from storage.db import session

if TYPE_CHECKING:
    from bot.adapters.discord.endpoints import Endpoints
    from bot.adapters.discord.webhook import TargetOptions
    from bot.adapters.telegram.app import TelegramSettings

Cleanup = Callable[[], Awaitable[None]]


class Chats:
    def __init__(self, engine: Engine, env: Env) -> None:
        self.engine, self.env = engine, env

    async def notifiers(self, cleanups: list[Cleanup]) -> dict[str, Notifier]:
        """Send-only notifiers by platform (console included); each one's close goes on ``cleanups``."""
        from bot.adapters.discord.webhook import DiscordWebhookNotifier

        out: dict[str, Notifier] = {}
        tg = self.env.telegram_bot_token
        if tg is not None:
            from bot.adapters.telegram.notifier import TelegramNotifier

            settings = _telegram_settings(self.env)
            notifier = TelegramNotifier.create(
                settings.token, api_url=settings.api_url, link_previews=settings.link_previews
            )
            await notifier.start()
            cleanups.append(notifier.close)
            out[Platform.TELEGRAM] = notifier
        dc = self.env.discord_bot_token
        if dc is not None:
            from bot.adapters.discord.endpoints import rest_client
            from bot.adapters.discord.notifier import DiscordBotNotifier

            client, close = await rest_client(dc.get_secret_value(), self.discord_endpoints())  # REST only
            cleanups.append(close)
            out[Platform.DISCORD] = DiscordBotNotifier(client, options_for=self.discord_options(Platform.DISCORD))
        webhook = DiscordWebhookNotifier(
            options_for=self.discord_options(Platform.DISCORD_WEBHOOK), endpoints=self.discord_endpoints()
        )
        out[Platform.DISCORD_WEBHOOK] = webhook
        cleanups.append(webhook.close)
        out[Platform.CONSOLE] = ConsoleNotifier()
        return out

    def listeners(self, core: Core) -> dict[str, tuple[str, Start]]:
        """For each token set: platform -> (token, how to start its adapter)."""
        out: dict[str, tuple[str, Start]] = {}
        tg, dc = self.env.telegram_bot_token, self.env.discord_bot_token
        if tg is not None:
            out[Platform.TELEGRAM] = (tg.get_secret_value(), self._telegram_start(core))
        if dc is not None:
            out[Platform.DISCORD] = (dc.get_secret_value(), self._discord_start(core, dc.get_secret_value()))
        return out

    def _telegram_start(self, core: Core) -> Start:
        async def start() -> Stop:
            from bot.adapters.telegram.app import TelegramAdapter

            adapter = TelegramAdapter(_telegram_settings(self.env), core)
            await adapter.start()
            return adapter.stop

        return start

    def _discord_start(self, core: Core, token: str) -> Start:
        async def start() -> Stop:
            from bot.adapters.discord.bot import DiscordAdapter

            adapter = DiscordAdapter(
                core,
                token=token,
                topic_choices=topic_choices,
                on_removed_from_guild=self.guild_removed,
                admin_role_id=self.env.discord_admin_role_id,
                test_guild_id=self.env.discord_test_guild_id,
                options_for=self.discord_options(Platform.DISCORD),
                endpoints=self.discord_endpoints(),
            )
            await adapter.start()
            return adapter.close

        return start

    def discord_endpoints(self) -> Endpoints:
        """Discord's servers, or the ones ``DISCORD_API_URL`` / ``DISCORD_GATEWAY_URL`` name (a test server)."""
        from bot.adapters.discord.endpoints import Endpoints

        return Endpoints(self.env.discord_api_url, self.env.discord_gateway_url)

    def discord_options(self, platform: str) -> Callable[[str], TargetOptions | None]:
        """A subscription's presentation on Discord: the webhook's name and avatar, the role to mention."""
        from bot.adapters.discord.options import DiscordOptions

        def options_for(target: str) -> TargetOptions | None:
            with session(self.engine) as s:
                sub = subs.find_by_target(s, platform, target)
            return None if sub is None else DiscordOptions.parse(sub.options).target()

        return options_for

    async def guild_removed(self, guild_id: str) -> None:
        """The bot was removed from a Discord server: its subscriptions there pause, with the reason."""

        from bot.adapters.discord.options import DiscordOptions

        def pause_all() -> None:
            with session(self.engine) as s:
                for sub in subs.list_subscriptions(s):
                    if DiscordOptions.parse(sub.options).guild_id == str(guild_id) and not sub.paused:
                        subs.pause(s, sub, "the bot was removed from the server", datetime.now(UTC))
                s.commit()

        await asyncio.to_thread(pause_all)

    def ensure_console_subscription(self) -> None:
        """Without a chat token, alerts go to the console: its subscription exists from the start."""
        with session(self.engine) as s:
            subs.get_or_create(s, Platform.CONSOLE, "stdout", now=datetime.now(UTC))
            s.commit()


def _telegram_settings(env: Env) -> TelegramSettings:
    """The adapter's settings, from the ``TELEGRAM_*`` variables read at load (``Env.telegram``)."""
    from bot.adapters.telegram.app import TelegramSettings

    settings = TelegramSettings.from_env(env.telegram)
    if settings is None:  # called only when the token is set; from_env answers None only without one
        raise RuntimeError("no Telegram settings despite a token")
    return settings


def topic_choices(prefix: str, language: str) -> list[tuple[str, str]]:
    """Discord's autocomplete for a topic option: up to 25 topics whose id or names contain ``prefix``."""
    from bot.match import load_lexicon
    from bot.match.normalizer import normalize_text
    from bot.text.names import topic_name

    p = normalize_text(prefix[:100])
    out = []
    for t in load_lexicon().topics.values():
        name = topic_name(t.id, language)
        if not p or p in normalize_text(f"{t.id} {t.name_ar} {t.name_en}"):
            out.append((f"{name} ({t.id})"[:100], t.id))
    return out[:25]
