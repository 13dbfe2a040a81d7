"""The Discord bot: slash commands in, the command core's replies out.

Handlers (declared in ``slash.py``) only turn an interaction into an ``Invocation``, await ``core.handle`` and
render the ``Reply``; all decisions (permissions, parsing, texts) are the core's. ``is_admin`` is the member's
Manage Channels permission in the channel the command is about (or a configured role), as Discord computed it
for this interaction.

Intents: guilds only (no privileged intent): slash commands arrive as interactions, not as message content.
Every interaction is acknowledged within Discord's 3 s whatever other guilds are doing: each runs in its own
task, a command meets the per-user and per-channel cooldown (``bot.commands.limits``) before any work (refused
ones are answered at once with a short "slow down" only the caller sees), and a core slower than ``defer_after``
is answered with "thinking…" first. A button about another channel acts there, for an administrator only.

The client runs on the caller's loop: ``await adapter.start()`` logs in (a bad token raises one
``DiscordStartError``), syncs the commands and connects in a background task; ``await adapter.close()``. With
``endpoints`` (``DISCORD_API_URL``) it talks to that server instead of Discord, from start to close (endpoints.py).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord.endpoints import EndpointError, Endpoints, Hold, gateway_of
from bot.adapters.discord.errors import install_log_redaction
from bot.adapters.discord.notifier import DiscordBotNotifier, send_kwargs
from bot.adapters.discord.options import DiscordOptions
from bot.adapters.discord.render import DiscordMessage, DiscordRenderer
from bot.adapters.discord.slash import MAX_ARG, cap, register_commands
from bot.adapters.discord.text import truncate_plain
from bot.adapters.discord.translate import YamlTranslator, message
from bot.adapters.discord.webhook import TargetOptions
from bot.commands.limits import Admission, CommandLimiter
from bot.commands.model import CommandCore, Invocation, callback_target
from bot.deliver.model import Reply
from bot.domain import Platform
from bot.text.messages import text as core_text

log = logging.getLogger(__name__)

TopicChoices = Callable[[str, str], list[tuple[str, str]] | Awaitable[list[tuple[str, str]]]]
GuildRemoved = Callable[[str], Awaitable[None]]


class DiscordStartError(RuntimeError):
    """The bot could not start (bad token, ...). The message says what to do; it never contains the token."""


def language_of(interaction: discord.Interaction[Any]) -> str:
    return "ar" if str(interaction.locale).lower().startswith("ar") else "en"


class DiscordAdapter:
    def __init__(
        self,
        core: CommandCore,
        *,
        token: str,
        topic_choices: TopicChoices | None = None,
        admin_role_id: int | None = None,
        test_guild_id: int | None = None,
        sync_commands: bool = True,
        on_removed_from_guild: GuildRemoved | None = None,
        options_for: Callable[[str], TargetOptions | None] | None = None,
        renderer: DiscordRenderer | None = None,
        defer_after: float = 1.5,
        guild_ready_timeout: float = 2.0,
        limiter: CommandLimiter | None = None,
        endpoints: Endpoints | None = None,
    ) -> None:
        self.core = core
        self.endpoints = endpoints or Endpoints()
        self._hold: Hold | None = None
        self.limiter = limiter or CommandLimiter()
        self._token = token
        self.topic_choices = topic_choices or (lambda _prefix, _language: [])
        self.admin_role_id = admin_role_id
        self.test_guild_id = test_guild_id
        self.sync_commands = sync_commands
        self.on_removed_from_guild = on_removed_from_guild
        self.renderer = renderer or DiscordRenderer.default()
        self.defer_after = defer_after
        self.ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.client = discord.Client(
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=30.0,  # longer waits become RetryLater for the outbox instead of a stuck send
        )
        self.tree = app_commands.CommandTree(self.client)
        self.notifier = DiscordBotNotifier(self.client, renderer=self.renderer, options_for=options_for)
        register_commands(self.tree, self._run, self._autocomplete)
        self._register_events()
        install_log_redaction()

    # -- lifecycle ----------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Log in (one clear error on a bad token), sync commands, and connect in a background task."""
        try:
            self._hold = Hold(self.endpoints)
        except EndpointError as exc:
            raise DiscordStartError(str(exc)) from None
        try:
            await self.client.login(self._token)
            if self.endpoints.api_url and not self.endpoints.gateway_url:
                self._hold.gateway(await gateway_of(self.client), "the gateway DISCORD_API_URL names")
        except discord.LoginFailure:
            await self._abort()
            raise DiscordStartError(
                "Discord rejected DISCORD_BOT_TOKEN (401 Unauthorized). Copy the bot token again from the "
                "Developer Portal (Applications → your app → Bot → Reset Token) and set DISCORD_BOT_TOKEN."
            ) from None
        except EndpointError as exc:
            await self._abort()
            raise DiscordStartError(str(exc)) from None
        except Exception as exc:
            await self._abort()
            raise DiscordStartError(f"could not log in to Discord: {type(exc).__name__}: {exc}") from None
        if self.sync_commands:
            try:
                await self.sync()
            except BaseException:
                await self._abort()  # the caller gets no adapter to close
                raise
        self._task = asyncio.create_task(self._connect(), name="discord-gateway")

    async def _connect(self) -> None:
        try:
            await self.client.connect(reconnect=True)
        except discord.PrivilegedIntentsRequired:
            log.error("discord: a privileged intent was requested; Raqib needs none (check the client setup)")
        except Exception:
            log.exception("discord gateway stopped")

    async def sync(self) -> None:
        """Register the commands globally (may take a while to appear) and at once in the test guild, if any."""
        await self.tree.set_translator(YamlTranslator())
        await self.tree.sync()
        if self.test_guild_id:
            guild = discord.Object(self.test_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)

    async def _abort(self) -> None:
        await self.client.close()
        if self._hold is not None:
            self._hold.release()

    async def close(self) -> None:
        await self.client.close()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        if self._hold is not None:  # only now: the gateway task used the endpoints until it ended
            self._hold.release()

    # -- events -------------------------------------------------------------------------------------------------
    def _register_events(self) -> None:
        client = self.client

        @client.event
        async def on_ready() -> None:
            log.info("discord: connected as %s to %d guilds", client.user, len(client.guilds))
            self.ready.set()

        @client.event
        async def on_guild_remove(guild: discord.Guild) -> None:
            log.info("discord: removed from guild %s; pausing its subscriptions", guild.id)
            if self.on_removed_from_guild is not None:
                await self.on_removed_from_guild(str(guild.id))

        @client.event
        async def on_interaction(interaction: discord.Interaction[Any]) -> None:
            # Slash commands go through the tree; here only button clicks (signed data for the core).
            if interaction.type is discord.InteractionType.component and interaction.data:
                custom_id = cap(interaction.data.get("custom_id", ""))
                await self._run(interaction, "callback", (), callback_data=custom_id)

    # -- commands -----------------------------------------------------------------------------------------------
    async def _autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        prefix = (current or "")[:MAX_ARG]  # 5 KB of typing must not reach the core
        try:
            result = self.topic_choices(prefix, language_of(interaction))
            if inspect.isawaitable(result):
                result = await result
        except Exception:
            log.exception("discord: topic autocomplete failed")
            return []
        return [
            app_commands.Choice(name=truncate_plain(name, 100) or value[:100], value=value[:100])
            for name, value in list(result)[:25]
            if value
        ]

    # -- the one path from an interaction to the core and back -------------------------------------------------
    def _invocation(
        self,
        interaction: discord.Interaction[Any],
        command: str,
        args: tuple[str, ...],
        *,
        channel: Any = None,
        callback_data: str | None = None,
        options: DiscordOptions | None = None,
    ) -> Invocation:
        in_guild = interaction.guild_id is not None
        # Permissions Discord resolved for this member: in the named channel when there is one (the namespace
        # keeps the raw resolved channel, which carries them; the cached TextChannel does not).
        permissions = interaction.permissions
        about = callback_target(callback_data)
        if about == str(interaction.channel_id):
            about = None
        if about is not None:  # a button about another channel: only a server administrator may use it here
            permissions = discord.Permissions(administrator=interaction.permissions.administrator)
        elif channel is not None:
            resolved = getattr(interaction.namespace, "channel", None)
            if isinstance(resolved, app_commands.AppCommandChannel | app_commands.AppCommandThread):
                permissions = resolved.permissions
            else:  # cannot tell: refuse rather than guess
                permissions = discord.Permissions.none()
        roles = {r.id for r in getattr(interaction.user, "roles", [])}

        async def is_admin() -> bool:
            if not in_guild:
                return True  # a private conversation with the bot is the user's own
            if self.admin_role_id is not None and self.admin_role_id in roles:
                return True
            return bool(permissions.manage_channels or permissions.administrator)

        return Invocation(
            platform=Platform.DISCORD,
            chat_id=str(interaction.channel_id),
            chat_type="guild" if in_guild else "private",
            user_id=str(interaction.user.id),
            command=command,
            args=args,
            target_chat_id=about or (str(channel.id) if channel is not None else None),
            user_language=language_of(interaction),
            is_admin=is_admin,
            callback_data=callback_data,
            options=(options or DiscordOptions()).model_copy(
                update={"guild_id": str(interaction.guild_id) if in_guild else None}
            ),
            commands=frozenset(c.name for c in self.tree.get_commands()),  # /help lists only these
        )

    async def _run(
        self,
        interaction: discord.Interaction[Any],
        command: str,
        args: tuple[str, ...],
        *,
        channel: Any = None,
        callback_data: str | None = None,
        options: DiscordOptions | None = None,
    ) -> None:
        if self.limiter.check(str(interaction.channel_id), str(interaction.user.id), command) is not Admission.ADMIT:
            # Discord needs an answer to every interaction: the refused ones get a short one only the caller sees.
            language = language_of(interaction)
            await self.respond(
                interaction, Reply(text=core_text(language, "slow_down"), ephemeral=True, language=language)
            )
            return
        invocation = self._invocation(
            interaction, command, args, channel=channel, callback_data=callback_data, options=options
        )
        task = asyncio.ensure_future(self.core.handle(invocation))
        # Discord wants an answer within 3 s: answer directly when the core is quick, else "thinking…" first.
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if not done:
            await interaction.response.defer(thinking=True)
        try:
            reply = await task
        except Exception:
            log.exception("discord: command %s failed", command)
            language = language_of(interaction)
            reply = Reply(text=message("errors", "failed", language), error=True, language=language)
        await self.respond(interaction, reply)

    async def respond(self, interaction: discord.Interaction[Any], reply: Reply) -> None:
        messages = self.renderer.reply_messages(reply)
        for i, m in enumerate(messages):
            kwargs = self._kwargs(m)
            if i == 0 and not interaction.response.is_done():
                await interaction.response.send_message(ephemeral=m.ephemeral, **kwargs)
            else:
                await interaction.followup.send(ephemeral=m.ephemeral, wait=True, **kwargs)
            if "view" in kwargs:
                kwargs["view"].stop()

    @staticmethod
    def _kwargs(m: DiscordMessage) -> dict[str, Any]:
        return send_kwargs(m)
