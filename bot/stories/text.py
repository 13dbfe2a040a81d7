"""Text preparation shared by near-duplicate detection and fingerprints.

The Arabic folding here is deliberately local and frozen rather than imported from
``bot.match.normalizer``: MinHash signatures are persisted, and a signature computed today must
compare equal with one computed next year. Any change to ``normalize`` or ``strip_boilerplate``
that alters output must bump ``bot.stories.signatures.SIGNATURE_VERSION``.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic-Indic (U+0660..) and Extended Arabic-Indic / Persian (U+06F0..) digits → ASCII.
_DIGITS: dict[int, str] = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}
_DIGITS.update({0x066B: ".", 0x066C: ",", 0x066A: "%"})  # Arabic decimal/thousands separators, percent
_FOLDS: dict[str | int, str | None] = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
    "ة": "ه",
    "ؤ": "و",
    "ئ": "ي",
    "ـ": None,  # tatweel: pure elongation
    "\u200c": None,  # ZWNJ / ZWJ / LRM / RLM carry no letters
    "\u200d": None,
    "\u200e": None,
    "\u200f": None,
}
_FOLDS.update(_DIGITS.items())  # letters are keyed by str, digits by code point: maketrans takes both
_ARABIC_FOLD = str.maketrans(_FOLDS)
_DIACRITICS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_WORD = re.compile(r"\w+", re.UNICODE)


def fold_digits(text: str) -> str:
    """Arabic-Indic digits and separators to ASCII, nothing else changed."""
    return text.translate(_DIGITS)


def normalize(text: str) -> str:
    """Lower-case, NFKC, Arabic letters folded (alef, ya, ta marbuta, hamza seats), diacritics and
    tatweel dropped, digits folded to ASCII. Keeps word boundaries and punctuation."""
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text)
    return text.translate(_ARABIC_FOLD).lower()


def words(text: str) -> list[str]:
    """Tokens of normalized text (letters and digits)."""
    return _WORD.findall(normalize(text))


# --- boilerplate -------------------------------------------------------------------------------

_READ_MORE = re.compile(
    r"^\W*(?:(?:اقرا|إقرأ|اقرأ)\s+(?:ايضا|أيضا|أيضاً|ايضاً|كذلك)|شاهد\s+(?:ايضا|أيضا|أيضاً)|"
    r"read\s+more|related(?:\s+(?:stories|articles|coverage|news))?|see\s+also|also\s+read|"
    r"recommended|more\s+from|you\s+may\s+also\s+like|المزيد|مواضيع\s+ذات\s+صلة|أخبار\s+ذات\s+صلة)\b",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^\W*(?:by|written\s+by|reporting\s+by|editing\s+by|additional\s+reporting\s+by|"
    r"كتب|كتبت|بقلم|تحرير|إعداد|اعداد|متابعة|المحرر)\b",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"all\s+rights\s+reserved|جميع\s+الحقوق\s+محفوظة|حقوق\s+النشر|©|\(c\)\s*\d{4}|copyright\s+\d{4}",
    re.IGNORECASE,
)
_BYLINE_MAX_WORDS = 12
_READ_MORE_MAX_WORDS = 20


def strip_boilerplate(text: str) -> str:
    """Drop lines that republishers add or remove freely: "Read more"/"اقرأ أيضا" blocks (the
    marker and, when the marker stands alone, the linked headline after it), bylines and copyright
    lines. Paragraph text is never touched, so the result is still the article."""
    out: list[str] = []
    skip_next = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if skip_next:
            skip_next = False
            if len(line.split()) <= _READ_MORE_MAX_WORDS:
                continue
        n_words = len(line.split())
        m = _READ_MORE.match(line)
        if m and n_words <= _READ_MORE_MAX_WORDS:
            # a bare marker ("اقرأ أيضا..") introduces the headline on the next line
            skip_next = not re.search(r"\w", line[m.end() :])
            continue
        if _BYLINE.match(line) and n_words <= _BYLINE_MAX_WORDS:
            continue
        if _COPYRIGHT.search(line) and n_words <= _BYLINE_MAX_WORDS * 2:
            continue
        out.append(line)
    return "\n".join(out)
