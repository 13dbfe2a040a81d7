"""The texts of ``bot/locales/{ar,en}.yaml`` (the locale tree, ``bot.text.locale``) by key, in a chat's language:
the command core's replies, operator notices, the alert caps' summaries, the words a user may type, ``/help``.

Here, not in ``bot.commands``, because delivery, the service's notices and the adapters write them too."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot.text import locale

LANGUAGES = ("ar", "en")


def _raw(language: str) -> dict[str, Any]:
    data: dict[str, Any] = locale.load(language)
    return data


@lru_cache(maxsize=4)
def _load(language: str) -> dict[str, str]:
    # Texts only: a list is a set of words a user may type (``words``), never shown as such.
    data = _raw(language)
    return {k: str(v).rstrip("\n") if k == "help" else str(v) for k, v in data.items() if not isinstance(v, list)}


def text(language: str, key: str, **values: object) -> str:
    """The text ``key`` in ``language`` (English when missing there), with ``values`` filled in."""
    lang = language if language in LANGUAGES else "en"
    template = _load(lang).get(key) or _load("en")[key]
    return template.format(**values) if values else template


@lru_cache(maxsize=32)
def words(key: str) -> frozenset[str]:
    """The words a user may type for ``key`` in any of the languages (lowercase): a chat's language never
    decides which words it understands."""
    return frozenset(str(w).lower() for lang in LANGUAGES for w in _raw(lang).get(key) or ())


def help_lines(language: str, platform: str, commands: frozenset[str] | None = None) -> list[str]:
    """``/help``'s command lines in file order: one per ``help_<command>`` key whose command is in
    ``commands`` (None: all), a ``<platform>_help_<command>`` key replacing it on that platform."""
    lang = language if language in LANGUAGES else "en"
    texts = _load("en") | _load(lang)  # a line missing in one language falls back to English
    out = []
    for key in _load("en"):
        command = key.removeprefix("help_")
        if command == key or (commands is not None and command not in commands):
            continue
        out.append(texts.get(f"{platform}_{key}") or texts[key])
    return out
