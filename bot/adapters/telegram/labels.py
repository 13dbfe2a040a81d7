"""The adapter's own texts, loaded once from ``labels.yaml`` beside this module."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from bot.domain import Severity

LANGUAGES = ("en", "ar")
_PATH = Path(__file__).with_name("labels.yaml")


@functools.cache
def _data() -> dict[str, Any]:
    with _PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


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
