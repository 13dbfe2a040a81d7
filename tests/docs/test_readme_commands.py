"""The README's chat command lists match what each adapter registers (issue 15, "done when").

Read from the code, never from a list kept here: Telegram's command menu (what ``setMyCommands`` sends) and the
Discord adapter's slash-command tree (what it syncs), against the README's list under "Chat platforms" for each
platform and the combined list under "In a chat". A command added to an adapter and not to the README (or the
other way round) fails with the difference spelled out. Discord's list carries each command's options as the
tree has them: required ones plain, optional ones in brackets.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from bot.adapters.discord.translate import texts as discord_texts
from bot.adapters.telegram import labels
from bot.commands.core import Core
from tests.discord.running import registered_commands

README = Path(__file__).resolve().parents[2] / "README.md"
COMMAND = re.compile(r"`/([a-z0-9_]+)([^`]*)`")


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """From ``heading`` (a whole line) to the next heading of its level or above."""
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(f"\n{heading}\n")
    end = re.compile(rf"\n#{{1,{level}}} ").search(text, start + len(heading) + 2)
    return text[start : end.start() if end else len(text)]


def paragraph(text: str, opening: str) -> str:
    """The paragraph (up to a blank line) that begins with ``opening``."""
    start = text.index(f"\n{opening}") + 1
    end = text.find("\n\n", start)
    return text[start : end if end != -1 else len(text)]


def telegram_menu() -> list[str]:
    return [entry["command"] for entry in labels.command_menu()]


def differ(where: str, documented: list[str], registered: list[str]) -> str:
    missing = sorted(set(registered) - set(documented))
    unknown = sorted(set(documented) - set(registered))
    lines = difflib.unified_diff(sorted(registered), sorted(documented), "registered", "README", lineterm="", n=0)
    return (
        f"README, {where}: registered but not documented: {missing or 'none'}; documented but not registered: "
        f"{unknown or 'none'}\n" + "\n".join(lines)
    )


def test_the_telegram_list_is_the_command_menu(readme: str) -> None:
    listed = [name for name, _ in COMMAND.findall(paragraph(section(readme, "### Telegram"), "**Commands**"))]
    assert listed == telegram_menu(), differ("Chat platforms → Telegram → Commands", listed, telegram_menu())


def test_the_discord_list_is_the_command_tree_with_its_options(readme: str) -> None:
    text = paragraph(section(readme, "### Discord"), "**Slash commands**")
    listed = [f"{name}{usage}".strip() for name, usage in COMMAND.findall(text)]
    assert sorted(listed) == sorted(registered_commands()), differ(
        "Chat platforms → Discord → Slash commands", listed, registered_commands()
    )


def test_in_a_chat_names_every_command_of_either_platform(readme: str) -> None:
    listed = {name for name, _ in COMMAND.findall(paragraph(readme, "In a chat:"))}
    registered = set(telegram_menu()) | {entry.split()[0] for entry in registered_commands()}
    assert listed == registered, differ("Using it → In a chat", sorted(listed), sorted(registered))


def test_telegram_offers_every_command_the_core_answers_and_help_documents_them() -> None:
    # The Telegram adapter forwards any /command to the core, so its menu (and the README) must hold them all,
    # and /help on Telegram shows a line for each (but /start and /help themselves).
    answered = sorted(name.removeprefix("cmd_") for name in dir(Core) if name.startswith("cmd_"))
    assert sorted(telegram_menu()) == answered, differ("Telegram menu vs the core", telegram_menu(), answered)
    from bot.text.messages import help_lines

    documented = sorted(line.split()[0].lstrip("/") for line in help_lines("en", "telegram"))
    assert documented == sorted(set(answered) - {"start", "help"})


def test_discord_descriptions_exist_for_exactly_the_registered_commands() -> None:
    registered = sorted(entry.split()[0] for entry in registered_commands())
    described = sorted(discord_texts()["commands"])
    assert described == registered, differ("commands.yaml descriptions", described, registered)
