"""Command texts from commands.yaml: bilingual defaults, and a discord.py Translator for Discord locales.

See commands.yaml for why the defaults are bilingual: Discord offers no Arabic client locale.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import discord
import yaml
from discord import app_commands

PATH = Path(__file__).with_name("commands.yaml")
DESCRIPTION = 100  # Discord's limit for command and option descriptions


@cache
def texts(path: Path = PATH) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def bilingual(section: str, key: str, path: Path = PATH) -> app_commands.locale_str:
    """``English · عربي`` (the Arabic dropped if both don't fit), carrying its key for the Translator."""
    entry = texts(path)[section][key]
    both = f"{entry['en']} · {entry['ar']}"
    message = both if len(both) <= DESCRIPTION else entry["en"][:DESCRIPTION]
    return app_commands.locale_str(message, section=section, key=key)


def message(section: str, key: str, language: str, path: Path = PATH) -> str:
    entry = texts(path)[section][key]
    return entry.get(language) or entry["en"]


class YamlTranslator(app_commands.Translator):
    """Serves a description in one language to the Discord locales that ``locales`` maps to it."""

    def __init__(self, path: Path = PATH) -> None:
        self.path = path

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContext[Any, Any],
    ) -> str | None:
        data = texts(self.path)
        language = (data.get("locales") or {}).get(locale.value)
        section, key = string.extras.get("section"), string.extras.get("key")
        if not language or not section or not key:
            return None
        text = (data.get(section) or {}).get(key, {}).get(language)
        return text[:DESCRIPTION] if text else None
