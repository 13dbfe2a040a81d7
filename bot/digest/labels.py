"""The digest's texts from ``bot/locales/digest.yaml`` and Arabic plural forms.

Bidi isolates for mixed-direction lines are ``bot.text.bidi``'s (the rule every chat text uses): in an
Arabic line a Latin phrase next to digits and punctuation ("HBM: 4×", "Nvidia H20 (3 مصادر)") can be
reordered until it reads wrong, so it goes in LRI … PDI; a title quoted in a line of the other language goes
in FSI … PDI. The chat adapters may strip and redo these marks: the text stays correct either way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot.text import locale

LABELS_FILE = locale.path("digest")


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, Any]]:
    data = locale.load("digest")
    return {lang: dict(table) for lang, table in data.items()}


def language(lang: str | None) -> str:
    """The digest's language: Arabic or English (anything else falls back to English)."""
    return "ar" if lang == "ar" else "en"


def plural_form(lang: str, n: int) -> str:
    """CLDR plural category: English one/many; Arabic one, two, few (3–10), many (11–99), other (100, 101…)."""
    if lang != "ar":
        return "one" if n == 1 else "many"
    if n == 1:
        return "one"
    if n == 2:
        return "two"
    if 3 <= n % 100 <= 10:
        return "few"
    if 11 <= n % 100 <= 99:
        return "many"
    return "other"


def label(lang: str, key: str, n: int | None = None, **values: object) -> str:
    """The text ``key`` in ``lang``; counted texts pick their plural form from ``n``."""
    entry = _labels()[language(lang)][key]
    if isinstance(entry, dict):
        count = int(n or 0)
        form = plural_form(lang, count)
        entry = entry.get(form) or entry.get("many") or next(iter(entry.values()))
        values.setdefault("n", count)
    return str(entry).format(**values)


def label_list(lang: str, key: str) -> list[str]:
    """A list of texts (weekday names)."""
    return [str(x) for x in _labels()[language(lang)][key]]
