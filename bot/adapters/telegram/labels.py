"""The adapter's own texts, from ``bot/locales/telegram.yaml`` (the locale tree, ``bot.text.locale``)."""

from __future__ import annotations

from typing import Any

from bot.domain import Severity
from bot.text import locale

LANGUAGES = ("en", "ar")
_PATH = locale.path("telegram")


def _data() -> dict[str, Any]:
    data: dict[str, Any] = locale.load("telegram")
    return data


def language(code: str | None) -> str:
    """Our interface language for a chat or a client language code: "ar" or "en"."""
    return "ar" if (code or "").lower().startswith("ar") else "en"


def alert_labels(lang: str) -> dict[str, Any]:
    return _data()["alert"][language(lang)]


def marker(severity: str) -> str:
    markers: dict[str, str] = _data()["markers"]
    return markers.get(severity, markers[Severity.NORMAL])


def message(lang: str, key: str, **values: object) -> str:
    return str(_data()["messages"][language(lang)][key]).format(**values)


def command_menu() -> list[dict[str, str]]:
    """``[{"command": ..., "en": ..., "ar": ...}, ...]`` in menu order."""
    return list(_data()["commands"])
