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
* Scripts: a space is inserted where Arabic letters touch Latin letters or digits (لASML -> ل asml,
  H20ات -> h20 ات), so that after normalization every token is one script and every token boundary
  is a single space. The scanner builds its boundary rules on that (see bot.match.scanner).

Linear time, and C-speed passes only on the common path: one ``str.translate`` with a precomputed
table, one regex substitution for space runs, and sparse edits (model joins, script spaces) found by
scanning only digit runs and, in non-ASCII text, non-Arabic runs. Offsets are not stored per
character: only the places where the length changes (deletions, expansions, insertions) are recorded
as breakpoints, and spans are mapped back with a binary search. The breakpoints of the translate and
collapse stages are computed on the first ``span()`` call, so a text without matches never pays for
them.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right

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
    if not ch.isalnum():
        # Spacing marks, private-use and unassigned code points separate tokens, so that after
        # normalization a token boundary is always a space.
        return _SPACE
    if cp < 0x2000 and ch.isalpha() and not (0x0600 <= cp <= 0x06FF):
        # Latin (and Greek/Cyrillic): strip accents, casefold.
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
        return base.casefold()
    return ch


def _needs_nfkc(cp: int) -> bool:
    # Arabic presentation forms, Latin ligatures, full-width/half-width forms, compatibility digits.
    return 0xFB00 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFC or 0xFF00 <= cp <= 0xFFEF


Tables = tuple[dict[int, str], re.Pattern[str]]
_TABLES: Tables | None = None


def _tables() -> Tables:
    """The translate table and the regex of irregular characters: built at first use (~0.1 s), or given
    by ``install_tables`` from the compiled-lexicon cache (``bot.match.cache``), whose key holds this
    module's source and the Python version (the Unicode data)."""
    global _TABLES
    if _TABLES is None:
        _TABLES = _build_tables()
    return _TABLES


def install_tables(tables: Tables) -> None:
    global _TABLES
    _TABLES = tables


def _build_tables() -> Tables:
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


# Stage 2, on the translated text. Each step is a C-speed pass; the offset maps they imply are built
# only when a span is asked for (most fields of most items produce no match at all).
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_SPACE_RUN = re.compile(" {2,}")
_DIGIT_RUN = re.compile("[0-9]+")
# The Arabic letters of a token (same range as the scanner's token rule).
ARABIC_LETTERS = "\u0620-\u064a\u066e-\u06d3"
_NON_ARABIC_TOKEN = re.compile(f"[^ {ARABIC_LETTERS}]+")
# The prefixes chip makers put before model digits (H 20 -> h20). "a" is left out on purpose:
# "a 100-day truce" is no A100.
_MODEL_PREFIXES = frozenset({"h", "b", "mi", "gb"})
_LATIN_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class OffsetMap:
    """Piecewise map from positions in a stage's output to positions in its input.

    Between breakpoints the map is ``input = in_bp + (n - out_bp)``; breakpoints are recorded where
    characters were deleted, expanded or inserted.
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


_IDENTITY = OffsetMap()


def _translate_map(src: str) -> OffsetMap:
    """Map of stage 1 (the translate table): deletions and expansions of irregular characters."""
    table, irregular = _tables()
    map1 = OffsetMap()
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
    return map1


def _collapse_map(s1: str) -> OffsetMap:
    """Map of the space-run collapse: each run keeps its first space."""
    map2 = OffsetMap()
    outs, ins = map2._out, map2._in
    removed = 0
    for m in _SPACE_RUN.finditer(s1):
        a, b = m.span()
        outs.append(a + 1 - removed)  # runs are separated by non-spaces: output positions never repeat
        ins.append(b)
        removed += b - a - 1
    return map2


def _sparse_edits(s: str) -> list[tuple[int, int]]:
    """Rare edits on the collapsed text as (position, +1 insert a space before / -1 delete the char).

    * A model prefix joined to its digits: ``h 20`` -> ``h20`` (the space is deleted).
    * A space inserted where Arabic letters touch Latin letters or digits (``لASML``, ``H20ات``), so
      that every token is one script and token boundaries are spaces only.
    """
    edits: list[tuple[int, int]] = []
    if _has_digit(s):
        for m in _DIGIT_RUN.finditer(s):
            p = m.start()
            if p < 2 or s[p - 1] != " " or not 2 <= m.end() - p <= 4:
                continue
            for k in (1, 2):
                a = p - 1 - k
                if a >= 0 and s[a : p - 1] in _MODEL_PREFIXES and (a == 0 or s[a - 1] not in _LATIN_ALNUM):
                    edits.append((p - 1, -1))
                    break
    if not s.isascii():
        n = len(s)
        for m in _NON_ARABIC_TOKEN.finditer(s):
            a, b = m.start(), m.end()
            if a > 0 and s[a - 1] != " ":
                edits.append((a, 1))
            if b < n and s[b] != " ":
                edits.append((b, 1))
    if len(edits) > 1:
        edits.sort()
    return edits


def _has_digit(s: str) -> bool:
    return _DIGIT_RUN.search(s) is not None


class Normalized:
    """The matching view of ``original``; ``span()`` maps a normalized span back to the original.

    The offset maps of the translate and space-collapse stages are built on the first ``span()``
    call: computing them costs more than normalizing, and most texts never need them.
    """

    __slots__ = ("_maps", "_s1", "_src", "_stage3", "original", "text")

    def __init__(self, original: str, text: str, src: str, s1: str, stage3: OffsetMap) -> None:
        self.original = original
        self.text = text
        self._src = src
        self._s1 = s1
        self._stage3 = stage3
        self._maps: tuple[OffsetMap, ...] | None = None

    def _lazy_maps(self) -> tuple[OffsetMap, ...]:
        """The non-identity maps, last stage first (built once, on the first span asked for)."""
        if self._maps is None:
            maps = [self._stage3, _collapse_map(self._s1) if "  " in self._s1 else _IDENTITY]
            maps.append(_translate_map(self._src) if self._src else _IDENTITY)
            self._maps = tuple(m for m in maps if m._out)
        return self._maps

    def orig_index(self, n: int) -> int:
        """Original index of the normalized character at ``n``."""
        for m in self._maps if self._maps is not None else self._lazy_maps():
            n = m(n)
        return min(n, max(len(self.original) - 1, 0))

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
    table, _ = _tables()
    src = _blank_entities(original)
    s1 = src.translate(table)
    s2 = _SPACE_RUN.sub(" ", s1) if "  " in s1 else s1
    edits = _sparse_edits(s2)
    if not edits:
        return Normalized(original, s2, src, s1, _IDENTITY)
    map3 = OffsetMap()
    pieces: list[str] = []
    last = 0
    delta = 0  # output position - input position so far
    for pos, kind in edits:
        pieces.append(s2[last:pos])
        if kind < 0:
            map3.add(pos + delta, pos + 1)
            delta -= 1
            last = pos + 1
        else:
            map3.add(pos + delta, pos)
            map3.add(pos + delta + 1, pos)
            pieces.append(" ")
            delta += 1
            last = pos
    pieces.append(s2[last:])
    return Normalized(original, "".join(pieces), src, s1, map3)


def normalize_text(text: str) -> str:
    """Only the normalized string (for lexicon aliases and queries)."""
    return normalize(text).text.strip()
