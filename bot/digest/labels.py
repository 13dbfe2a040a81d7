"""The digest's texts from ``labels.yaml``, Arabic plural forms, and bidi isolates for mixed-direction lines.

Chat clients lay out each line by the Unicode bidi algorithm. In an Arabic line a Latin phrase next to
digits and punctuation ("HBM: 4×", "Nvidia H20 (3 مصادر)") can be reordered until it reads wrong, so Latin
phrases in Arabic lines go in LRI … PDI; a title quoted in a line of the other language goes in FSI … PDI
(laid out in its own direction, whatever it is). The chat adapters may strip and redo these marks: the
text stays correct either way, and the CLI and console show it as written here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
LABELS_FILE = Path(__file__).with_name("labels.yaml")

_LATIN = r"A-Za-z0-9\u00c0-\u024f"
# One Latin token (letters/digits with inner joiners: H20, 3A090, AI-chip, U.S.); a phrase is a run of them
# separated by blanks that starts and ends with a token holding a letter (a lone figure needs no help).
_TOKEN = rf"[{_LATIN}](?:[{_LATIN}._+&'’/\-]*[{_LATIN}%])?"
_PHRASE_RE = re.compile(rf"{_TOKEN}(?:[ \t]+{_TOKEN})*")
_LETTER_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
_ARABIC_RE = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))
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


def is_arabic(text: str) -> bool:
    return bool(_ARABIC_RE.search(text))


def isolate_latin(text: str) -> str:
    """Wrap Latin phrases of an Arabic line in LRI … PDI (a line without Arabic is returned as is)."""
    if not is_arabic(text):
        return text

    def wrap(m: re.Match[str]) -> str:
        phrase = m.group(0)
        return f"{LRI}{phrase}{PDI}" if _LETTER_RE.search(phrase) else phrase

    return _PHRASE_RE.sub(wrap, text)


def isolate(text: str) -> str:
    """A quoted string (a title, a name) as one unit laid out in its own direction: FSI … PDI."""
    return f"{FSI}{text}{PDI}" if text else text


def strip_isolates(text: str) -> str:
    """The text without our marks (for measuring and for tests that compare words)."""
    return text.replace(LRI, "").replace(FSI, "").replace(PDI, "").replace(RLI, "")
