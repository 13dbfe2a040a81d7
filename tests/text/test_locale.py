"""The locale tree: every file in one folder, every text in both languages."""

from __future__ import annotations

from bot.text import locale


def test_every_label_store_lives_in_the_locale_tree() -> None:
    names = {p.stem for p in locale.LOCALES.glob("*.yaml")}
    assert names == {"ar", "en", "telegram", "discord", "digest"}


def test_every_text_exists_in_arabic_and_english() -> None:
    assert locale.load("ar").keys() == locale.load("en").keys()
    for name in ("discord", "digest"):
        assert locale.load(name)["ar"].keys() == locale.load(name)["en"].keys(), name
    telegram = locale.load("telegram")
    for section in ("alert", "messages"):
        assert telegram[section]["ar"].keys() == telegram[section]["en"].keys(), section
