"""Command texts: bilingual defaults within 100 characters, and the Translator serving mapped Discord locales."""

from __future__ import annotations

from pathlib import Path

import discord
from discord import app_commands

from bot.adapters.discord.translate import PATH, YamlTranslator, bilingual, texts


def test_every_default_description_is_bilingual_and_within_100() -> None:
    data = texts()
    for section in ("commands", "options"):
        for key in data[section]:
            text = bilingual(section, key).message
            assert len(text) <= 100
            assert data[section][key]["en"] in text


async def test_translator_serves_locales_mapped_in_the_file(tmp_path: Path) -> None:
    custom = tmp_path / "commands.yaml"
    custom.write_text(PATH.read_text(encoding="utf-8").replace("locales: {}", "locales: {en-GB: en}"), "utf-8")
    translator = YamlTranslator(custom)
    string = app_commands.locale_str("x", section="commands", key="digest")
    context = app_commands.TranslationContext(app_commands.TranslationContextLocation.other, None)
    assert await translator.translate(string, discord.Locale.british_english, context) == "Today's digest"
    assert await translator.translate(string, discord.Locale.french, context) is None
