"""The locale tree, ``bot/locales/``: every text a chat reads, in Arabic and English, as data.

- ``ar.yaml``, ``en.yaml``: the command core's replies, operator notices, alert caps, exports, and the words
  a user may type (``bot.text.messages``);
- ``telegram.yaml``: Telegram alert labels and markers, the adapter's refusals, its command menu
  (``bot.adapters.telegram.labels``);
- ``discord.yaml``: Discord alert embed labels (``bot.adapters.discord.render``);
- ``digest.yaml``: digest texts with Arabic plural forms (``bot.digest.labels``).

The four shapes differ (flat keys per language file; per-language sections; plural forms), so each keeps its
reader; this module is the one place that knows where the files are and reads each once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LOCALES = Path(__file__).resolve().parent.parent / "locales"


def path(name: str) -> Path:
    """The file ``name`` (without ``.yaml``) of the locale tree."""
    return LOCALES / f"{name}.yaml"


@cache
def load(name: str) -> Any:
    """The parsed file ``name`` (read once per process; callers must not modify it)."""
    return yaml.safe_load(path(name).read_text(encoding="utf-8"))
