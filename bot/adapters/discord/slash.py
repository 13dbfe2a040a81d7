"""The slash commands: their names, options and descriptions (both languages, ``translate.py``), each handler
only passing what the user gave on to the adapter's one path to the core (``DiscordAdapter._run``).

discord.py reads a command's options from its handler's signature, so each command has its own handler;
those with the same options share one (``/watch``, ``/mute`` …, and the option-less ones).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Literal, Protocol

import discord
from discord import app_commands

from bot.adapters.discord.options import DiscordOptions
from bot.adapters.discord.translate import bilingual
from bot.domain import Severity

MAX_ARG = 100  # characters per argument: Discord enforces max_length, forged payloads are capped here too

Complete = Callable[[discord.Interaction[Any], str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]


class Run(Protocol):
    """The adapter's path from an interaction to the core and back."""

    def __call__(
        self,
        interaction: discord.Interaction[Any],
        command: str,
        args: tuple[str, ...],
        *,
        channel: Any = None,
        options: DiscordOptions | None = None,
    ) -> Awaitable[None]: ...


def cap(value: object) -> str:
    return str(value)[:MAX_ARG]


def register_commands(tree: app_commands.CommandTree[Any], run: Run, complete: Complete) -> None:
    """Declare every slash command on ``tree``: each handler passes its options on to ``run`` as the command's
    words (capped at ``MAX_ARG``), typed as on Telegram; ``complete`` suggests topics."""
    d = bilingual

    def cmd(name: str) -> Callable[[Any], Any]:
        return tree.command(name=name, description=d("commands", name))

    topic = d("options", "topic")
    channel = d("options", "channel")

    @cmd("subscribe")
    @app_commands.describe(topic=topic, channel=channel, role=d("options", "role"), severity=d("options", "severity"))
    @app_commands.autocomplete(topic=complete)
    async def subscribe(
        interaction: discord.Interaction[Any],
        topic: app_commands.Range[str, 1, MAX_ARG],
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        severity: Literal["critical", "high", "normal"] | None = None,
    ) -> None:
        mention = None
        if role is not None:
            at_least = Severity.parse(severity, Severity.CRITICAL)
            mention = DiscordOptions(mention_role=str(role.id), mention_severity=at_least)
        await run(interaction, "subscribe", (cap(topic),), channel=channel, options=mention)

    @cmd("unsubscribe")
    @app_commands.describe(topic=topic, channel=channel)
    @app_commands.autocomplete(topic=complete)
    async def unsubscribe(
        interaction: discord.Interaction[Any],
        topic: app_commands.Range[str, 1, MAX_ARG],
        channel: discord.TextChannel | None = None,
    ) -> None:
        await run(interaction, "unsubscribe", (cap(topic),), channel=channel)

    @cmd("subscriptions")
    @app_commands.describe(channel=channel)
    async def subscriptions(interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None) -> None:
        await run(interaction, "subscriptions", (), channel=channel)

    @cmd("latest")
    @app_commands.describe(
        query=d("options", "query"),
        count=d("options", "count"),
        period=d("options", "period"),
        language=d("options", "item_language"),
    )
    @app_commands.autocomplete(query=complete)
    async def latest(
        interaction: discord.Interaction[Any],
        query: app_commands.Range[str, 1, MAX_ARG],
        count: app_commands.Range[int, 1, 10] | None = None,
        period: app_commands.Range[str, 2, 5] | None = None,
        language: Literal["ar", "en"] | None = None,
    ) -> None:
        # The core reads the modifiers at the end of the words, as typed on Telegram: "hbm 5 7d ar".
        extra = [str(count) if count else None, cap(period) if period else None, language]
        await run(interaction, "latest", (cap(query), *(a for a in extra if a)))

    @cmd("lang")
    @app_commands.describe(language=d("options", "language"))
    @app_commands.choices(
        language=[app_commands.Choice(name="العربية", value="ar"), app_commands.Choice(name="English", value="en")]
    )
    async def lang(interaction: discord.Interaction[Any], language: app_commands.Choice[str]) -> None:
        await run(interaction, "lang", (language.value,))

    @cmd("settings")
    @app_commands.describe(key=d("options", "key"), value=d("options", "value"))
    async def settings(
        interaction: discord.Interaction[Any],
        key: app_commands.Range[str, 1, MAX_ARG] | None = None,
        value: app_commands.Range[str, 1, MAX_ARG] | None = None,
    ) -> None:
        await run(interaction, "settings", tuple(cap(a) for a in (key, value) if a))

    term_text = d("options", "term")

    # /watch and /mute without a term list the channel's terms; /unwatch and /unmute need one.
    def term_command(name: str, required: bool) -> None:
        async def with_term(
            interaction: discord.Interaction[Any],
            term: app_commands.Range[str, 1, MAX_ARG],
            channel: discord.TextChannel | None = None,
        ) -> None:
            await run(interaction, name, (cap(term),), channel=channel)

        async def maybe_term(
            interaction: discord.Interaction[Any],
            term: app_commands.Range[str, 1, MAX_ARG] | None = None,
            channel: discord.TextChannel | None = None,
        ) -> None:
            await run(interaction, name, (cap(term),) if term else (), channel=channel)

        callback = app_commands.describe(term=term_text, channel=channel)(with_term if required else maybe_term)
        tree.add_command(app_commands.Command(name=name, description=d("commands", name), callback=callback))

    for name, required in (("watch", False), ("unwatch", True), ("mute", False), ("unmute", True)):
        term_command(name, required)

    @cmd("export")
    @app_commands.describe(
        topic=d("options", "export_topic"),
        period=d("options", "export_period"),
        language=d("options", "item_language"),
        kind=d("options", "format"),
    )
    @app_commands.rename(kind="format")
    @app_commands.autocomplete(topic=complete)
    async def export(
        interaction: discord.Interaction[Any],
        topic: app_commands.Range[str, 1, MAX_ARG] | None = None,
        period: app_commands.Range[str, 2, 5] | None = None,
        language: Literal["ar", "en"] | None = None,
        kind: Literal["csv", "json"] | None = None,
    ) -> None:
        # As typed on Telegram: the topic, then the modifiers ("hbm 30d ar csv"); none: the channel's topics.
        words = (cap(topic) if topic else None, cap(period) if period else None, language, kind)
        await run(interaction, "export", tuple(w for w in words if w))

    for simple in ("digest", "topics", "feeds", "status", "help"):
        tree.add_command(_simple_command(simple, run))


def _simple_command(name: str, run: Run) -> app_commands.Command[Any, Any, None]:
    async def callback(interaction: discord.Interaction[Any]) -> None:
        await run(interaction, name, ())

    return app_commands.Command(name=name, description=bilingual("commands", name), callback=callback)


__all__ = ["MAX_ARG", "Complete", "Run", "cap", "register_commands"]
