"""Discord's /help lists the slash commands the bot registered there, and nothing Discord lacks (Telegram's
/start, commands the tree does not have), in English and Arabic, with Discord's option-style usage lines."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine

from bot.text.messages import help_lines, text
from tests.discord.running import registered_commands, running_adapter

MANAGE_CHANNELS = 1 << 4
COMMAND = re.compile(r"^/([a-z_]+)")


def plain(answer: str) -> str:
    """Without the isolates the renderer puts around Latin runs in Arabic text."""
    return re.sub("[\u2066-\u2069]", "", answer)


def named(answer: str, intro: str) -> list[str]:
    """The commands the help's lines start with (after the intro)."""
    answer = plain(answer)
    assert answer.startswith(intro), answer
    return [m.group(1) for line in answer[len(intro) :].splitlines() if (m := COMMAND.match(line))]


async def test_help_lists_exactly_the_registered_commands_in_both_languages(sqlite_engine: Engine) -> None:
    async with running_adapter(sqlite_engine) as (fake, adapter, run):
        registered = {c.name for c in adapter.tree.get_commands()}
        synced = {c["name"] for c in fake.sent("PUT", r"^/applications/\d+/commands$")[-1].body}
        assert synced == registered, "the tree is what Discord was told"

        english = (await run("help", []))["content"]
        listed = named(english, text("en", "help"))
        assert sorted(listed) == sorted(registered - {"help"}), "every slash command but /help, once each"
        assert "start" not in listed, "Telegram's /start is not a Discord command"
        assert "/subscribe topic [channel] [role] [severity]" in english, "Discord's usage: named options"

        changed = await run("lang", [{"name": "language", "type": 3, "value": "ar"}], MANAGE_CHANNELS)
        assert not changed.get("flags", 0) & 64, changed
        arabic = (await run("help", [], locale="en-US"))["content"]
        assert sorted(named(arabic, text("ar", "help"))) == sorted(listed)
        assert "/subscribe topic [channel] [role] [severity] — تنبيهات موضوع" in plain(arabic)


def test_a_command_the_platform_lacks_is_left_out_and_telegram_keeps_every_line() -> None:
    discord = help_lines("en", "discord", frozenset({"subscribe", "latest"}))
    assert [line.split()[0] for line in discord] == ["/subscribe", "/latest"]
    assert discord[1].startswith("/latest query [count] [period] [language]")
    telegram = help_lines("ar", "telegram")  # None: the Telegram adapter forwards every command to the core
    assert telegram[0].startswith("/subscribe موضوع…") and any(line.startswith("/watch ") for line in telegram)


def test_each_discord_line_shows_the_options_the_command_has() -> None:
    """What /help shows before the dash is the command as Discord offers it: required options plain, optional
    ones in brackets (a Telegram-style "/lang ar|en" would send a Discord user looking for options that don't exist)."""
    registered = {entry.split()[0]: entry for entry in registered_commands()}
    for language in ("en", "ar"):
        lines = help_lines(language, "discord", frozenset(registered))
        shown = {line.split(" — ")[0].lstrip("/").split()[0]: line.split(" — ")[0].lstrip("/") for line in lines}
        assert shown == {name: usage for name, usage in registered.items() if name != "help"}, language
