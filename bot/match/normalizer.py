"""Arabic/Latin text normalizer for matching, with an offset map back to the original.

Stored text stays as published; this module produces a *matching view* of it:

* Arabic: diacritics, Quranic marks and tatweel removed; alef forms (أ إ آ ٱ) -> ا; ى -> ي; ة -> ه;
  ؤ -> و; ئ -> ي; Persian/Urdu letters (ک ی ڤ پ گ چ ھ ...) folded to their Arabic look-alikes.
* Digits: Arabic-Indic and Persian digits -> ASCII.
* Invisible characters: zero-width and bidi controls (LRM, RLM, ZWJ, isolates ...) removed.
* Presentation forms and full-width characters: NFKC (ligatures such as ﻻ expand to two letters).
* Punctuation, symbols, quotes (« » " " ' ') and all whitespace become one space; runs of spaces collapse.
* Latin: casefolded, accents stripped; hyphens become spaces (high-bandwidth -> high bandwidth);
  model numbers written with a separator are joined (H-20, H 20 -> h20).

Linear time: one ``str.translate`` pass with a precomputed table, then one regex pass for the
space collapse and model-number join. Offsets are not stored per character: only the places where
the length changes (deletions, expansions) are recorded as breakpoints, and spans are mapped back
with a binary search, so the cost is paid per *match*, not per character.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

_SPACE = " "

# Character ranges deleted outright: Arabic harakat, Quranic annotation marks, tatweel,
# and format controls that are invisible but break matching (ZWJ, RLM, bidi isolates, BOM ...).
_DELETE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0670, 0x0670),
    (0x06D6, 0x06DC),
    (0x06DF, 0x06E8),
    (0x06EA, 0x06ED),
    (0x0640, 0x0640),  # tatweel
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x2069),
    (0x061C, 0x061C),
    (0xFEFF, 0xFEFF),
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0xFE00, 0xFE0F),  # variation selectors (emoji presentation)
)

_ARABIC_FOLD: dict[str, str] = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ٵ": "ا",
    "ى": "ي",
    "ة": "ه",
    "ؤ": "و",
    "ئ": "ي",
    "ٸ": "ي",
    "ک": "ك",
    "ڪ": "ك",
    "گ": "ك",
    "ڭ": "ك",
    "ی": "ي",
    "ې": "ي",
    "ے": "ي",
    "ێ": "ي",
    "ڤ": "ف",
    "ڥ": "ف",
    "پ": "ب",
    "چ": "ج",
    "ڨ": "ق",
    "ھ": "ه",
    "ہ": "ه",
    "ۀ": "ه",
    "ۃ": "ه",
    "ە": "ه",
    "ٶ": "و",
    "ۆ": "و",
    "ۇ": "و",
    "ژ": "ز",
}


def _fold_char(ch: str) -> str:
    """Fold one character (already NFKC-normalized where that applies) to its matching form."""
    cp = ord(ch)
    for lo, hi in _DELETE_RANGES:
        if lo <= cp <= hi:
            return ""
    if ch in _ARABIC_FOLD:
        return _ARABIC_FOLD[ch]
    if 0x0660 <= cp <= 0x0669:
        return chr(ord("0") + cp - 0x0660)
    if 0x06F0 <= cp <= 0x06F9:
        return chr(ord("0") + cp - 0x06F0)
    cat = unicodedata.category(ch)
    if cat == "Mn":  # combining marks (Latin accents once decomposed, other scripts' vowel signs)
        return ""
    if cat == "Cf" or 0xE0000 <= cp <= 0xE007F:
        return ""
    if cat[0] in "PSZ" or cat in ("Cc", "Cs"):
        return _SPACE
    if cp < 0x2000 and ch.isalpha() and not (0x0600 <= cp <= 0x06FF):
        # Latin (and Greek/Cyrillic): strip accents, casefold.
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
        return base.casefold()
    return ch


def _needs_nfkc(cp: int) -> bool:
    # Arabic presentation forms, Latin ligatures, full-width/half-width forms, compatibility digits.
    return 0xFB00 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFC or 0xFF00 <= cp <= 0xFFEF


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[int, str], re.Pattern[str]]:
    """Build the translate table and the regex of characters whose output is not exactly one char."""
    table: dict[int, str] = {}
    irregular: list[int] = []
    # The BMP, plus the emoji and symbol blocks and the tag characters of flag sequences.
    for cp in [*range(0x10000), *range(0x1F000, 0x1FB00), *range(0xE0000, 0xE0080)]:
        if 0xD800 <= cp <= 0xDFFF:
            table[cp] = _SPACE  # lone surrogates: a separator, never a crash
            continue
        ch = chr(cp)
        src = unicodedata.normalize("NFKC", ch) if _needs_nfkc(cp) else ch
        out = "".join(_fold_char(c) for c in src)
        # Identity entries too: str.translate raises and swallows a KeyError for every character
        # missing from the table, which halves its speed on Arabic text.
        table[cp] = out
        if len(out) != 1:
            irregular.append(cp)
    # Character class of all irregular code points, written as ranges.
    parts: list[str] = []
    start = prev = irregular[0]
    for cp in [*irregular[1:], -2]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev != start else ""))
        start = prev = cp
    return table, re.compile("[" + "".join(parts) + "]+")


# Stage 2, on the translated text: collapse space runs; join a model prefix to its digits (H 20 -> h20).
# The prefixes are the letters chip makers use; "a" is left out on purpose: "a 100-day truce" is no A100.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_STAGE2 = re.compile(r"( {2,})|(?<![a-z0-9])(?:h|b|mi|gb)( )(?=[0-9]{2,4}(?![0-9]))")


class OffsetMap:
    """Piecewise map from positions in a stage's output to positions in its input.

    Between breakpoints the map is ``input = in_bp + (n - out_bp)``; breakpoints are recorded where
    characters were deleted or expanded.
    """

    __slots__ = ("_in", "_out")

    def __init__(self) -> None:
        self._out: list[int] = []
        self._in: list[int] = []

    def add(self, out_pos: int, in_pos: int) -> None:
        if self._out and self._out[-1] == out_pos:
            self._in[-1] = in_pos  # several deletions at one output position: the last one wins
        else:
            self._out.append(out_pos)
            self._in.append(in_pos)

    def __call__(self, n: int) -> int:
        i = bisect_right(self._out, n) - 1
        if i < 0:
            return n
        return self._in[i] + n - self._out[i]


@dataclass(frozen=True, slots=True)
class Normalized:
    """The matching view of ``original``; ``span()`` maps a normalized span back to the original."""

    original: str
    text: str
    _stage1: OffsetMap
    _stage2: OffsetMap

    def orig_index(self, n: int) -> int:
        """Original index of the normalized character at ``n``."""
        return min(self._stage1(self._stage2(n)), max(len(self.original) - 1, 0))

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` of the normalized span ``[start, end)`` (end exclusive)."""
        if end <= start:
            s = self.orig_index(start) if self.original else 0
            return s, s
        return self.orig_index(start), self.orig_index(end - 1) + 1


def _blank_entities(text: str) -> str:
    # HTML character references (&nbsp; &#160; &amp;) left in feed text become spaces of the same
    # length, so offsets are unchanged and "Entity&#160;List" still reads as two words.
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda m: " " * len(m.group()), text)


def normalize(original: str) -> Normalized:
    """Normalize ``original`` for matching; never raises on any ``str``."""
    table, irregular = _tables()
    src = _blank_entities(original)
    s1 = src.translate(table)
    map1 = OffsetMap()
    if len(s1) != len(src) or irregular.search(src):
        delta = 0  # in_pos - out_pos so far
        for m in irregular.finditer(src):
            for p in range(m.start(), m.end()):
                out = table.get(ord(src[p]), src[p])
                q = p - delta
                if not out:
                    delta += 1
                    map1.add(q, p + 1)
                elif len(out) > 1:
                    for i in range(len(out)):
                        map1.add(q + i, p)
                    map1.add(q + len(out), p + 1)
                    delta -= len(out) - 1
    map2 = OffsetMap()
    pieces: list[str] = []
    last = 0
    removed = 0
    for m in _STAGE2.finditer(s1):
        if m.group(1) is not None:
            cut_from, cut_to = m.start(1) + 1, m.end(1)
        else:
            cut_from, cut_to = m.start(2), m.end(2)
        pieces.append(s1[last:cut_from])
        removed += cut_to - cut_from
        map2.add(cut_from - (removed - (cut_to - cut_from)), cut_to)
        last = cut_to
    if pieces:
        pieces.append(s1[last:])
        s2 = "".join(pieces)
    else:
        s2 = s1
    return Normalized(original, s2, map1, map2)


def normalize_text(text: str) -> str:
    """Only the normalized string (for lexicon aliases and queries)."""
    return normalize(text).text.strip()
