"""Mojibake: text read in the wrong charset, recognised, and undone when the undoing is unambiguous.

The kinds we know, by how the feed's bytes were written and how someone (a server's wrong header, a
publisher's CMS, our parser's fallback) read them::

    utf-8         read as windows-1256    "ط§ظ„طµظٹظ†"   (every Arabic letter becomes ط or ظ and a symbol)
    utf-8         read as latin-1/1252    "Ø§Ù„ØµÙŠÙ†"   (Ø or Ù and a symbol or control character)
    windows-1256  read as latin-1/1252    "ÇáÕíä"      (words made only of accented Latin letters)
    windows-1252  read as latin-1         "Nvidia\x92s" (control characters where quotes were)
    windows-1256  read as utf-8           "�����"      (the letters were replaced: nothing to undo)

A repair encodes the text back with the charset it was read with and decodes the bytes with the one they
were written in. It is made only when both steps are lossless (strict codecs), the result shows no sign of
any kind, and every kind that applies gives the same result; the windows-1256 and windows-1252 kinds are
tried only when the text shows their signature (any latin-1 text decodes as windows-1256), the UTF-8 kinds
always (clean text practically never re-encodes to valid UTF-8). A false repair turns good news into
nonsense, so each test errs towards leaving text alone; text that still shows a signature afterwards is
reported as garbled (``Fixed.garbled``) and is stored but never alerted (``bot.analyze``). Figures: README,
"Feed fetching".
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

UTF8_AS_1256 = "utf-8 read as windows-1256"
UTF8_AS_LATIN = "utf-8 read as latin-1"
CP1256_AS_LATIN = "windows-1256 read as latin-1"
CP1252_AS_LATIN = "windows-1252 read as latin-1"
GARBLED_TEXT = "garbled_text"  # the feed-health code (``last_error_code``) of a feed whose text stays garbled
LOST = "characters replaced by U+FFFD: the feed's bytes were in another charset and are lost"


def _c1_as_bytes(exc: UnicodeError) -> tuple[bytes, int]:
    """Encoding error handler: U+0080-U+009F back to the byte they were read from (sloppy windows-1252)."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    if all(0x80 <= ord(ch) <= 0x9F for ch in bad):
        return bad.encode("latin-1"), exc.end
    raise exc


codecs.register_error("raqib-c1", _c1_as_bytes)
# windows-1252 with its five unassigned bytes read as latin-1 does (U+0081…), as browsers do.
_SLOPPY_1252 = "".join(bytes([b]).decode("cp1252", "replace").replace("\ufffd", chr(b)) for b in range(256))
_TABLES = {
    "windows-1256": bytes(range(256)).decode("cp1256"),
    "windows-1252": _SLOPPY_1252,
    "latin-1": bytes(range(256)).decode("latin-1"),
}
_CODEC = {
    "windows-1256": ("cp1256", "strict"),
    "windows-1252": ("cp1252", "raqib-c1"),
    "latin-1": ("latin-1", "strict"),
}


def _class(charset: str, lo: int, hi: int) -> str:
    return "[" + re.escape("".join(_TABLES[charset][lo : hi + 1])) + "]"


# A UTF-8 lead byte (0xC2-0xF4) followed by a continuation byte (0x80-0xBF), as read in each charset.
_PAIRS = {cs: re.compile(_class(cs, 0xC2, 0xF4) + _class(cs, 0x80, 0xBF)) for cs in _TABLES}
# Letters windows-1256 puts at 0xC0-0xFF (the Arabic alphabet) read as latin-1/1252: accented Latin letters.
# Runs of two or more: Arabic words. French or German text has its accented letters one at a time.
_LATIN_RUN = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]{2,}")
_LETTER = re.compile(r"[^\W\d_]")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a\u0671-\u06d3]")
_C1 = re.compile(r"[\x80-\x9f]")
_LATIN_SUSPECT = re.compile(r"[\x80-\x9f\u00c0-\u00ff]")
_REPLACEMENT = "\ufffd"

# (kind, charset the text was read with, codec the bytes were written in). See the module docstring for
# which are tried when.
_KINDS = (
    (UTF8_AS_1256, "windows-1256", "utf-8"),
    (UTF8_AS_LATIN, "latin-1", "utf-8"),
    (UTF8_AS_LATIN, "windows-1252", "utf-8"),
    (CP1256_AS_LATIN, "latin-1", "cp1256"),
    (CP1256_AS_LATIN, "windows-1252", "cp1256"),
    (CP1252_AS_LATIN, "latin-1", "cp1252"),
)
# Thresholds, measured on clean Arabic, English, French and German text (eval/mojibake): the share of
# non-ASCII characters in UTF-8 lead+continuation pairs, and of letters in runs of accented Latin letters.
PAIR_SHARE = 0.3
RUN_SHARE = 0.4
MIN_SIGNS = 2
MIN_LOST = 3  # U+FFFD: one or two come from a bad character reference or a stray byte, not a wrong charset
TA_ZAH_SHARE = 0.4
COMMON_SHARE = 0.3
_COMMON_ARABIC = frozenset("اليونمهرتب")  # the ten most frequent letters: 70-80% of clean Arabic text


@dataclass(frozen=True, slots=True)
class Fixed:
    """``text`` as it should be read; ``repaired``: which kind was undone; ``garbled``: why it still looks
    garbled (None when it reads as text)."""

    text: str
    repaired: str | None = None
    garbled: str | None = None


def _non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


def _mostly_ta_zah(text: str) -> bool:
    """UTF-8 Arabic read as windows-1256 turns every letter into ط or ظ (bytes D8, D9) and a symbol: in
    clean Arabic these two are under a tenth of the letters (at most 7% in our corpus), in mojibake over
    two thirds."""
    arabic = _ARABIC_LETTER.findall(text)
    return not arabic or sum(ch in "طظ" for ch in arabic) >= TA_ZAH_SHARE * len(arabic)


def _legacy_share(text: str) -> tuple[int, int]:
    """(letters in runs of accented Latin letters, all letters)."""
    return sum(len(m) for m in _LATIN_RUN.findall(text)), len(_LETTER.findall(text))


def _suspects(text: str) -> tuple[bool, bool]:
    """(may hold UTF-8 read as windows-1256, may hold anything read as latin-1/1252): C-speed tests that let
    clean Arabic skip the regular expressions. The first needs ط or ظ (bytes D8, D9) to be frequent, the
    second an accented Latin letter or a control character (not «» or a no-break space, common in Arabic)."""
    ta_zah = text.count("ط") + text.count("ظ")
    return ta_zah * 5 >= _non_ascii(text), _LATIN_SUSPECT.search(text) is not None


def signature(text: str) -> str | None:
    """The kind of mojibake ``text`` clearly shows, or None. Cheap: pure ASCII returns at once."""
    if text.isascii():
        return None
    lost = text.count(_REPLACEMENT)
    if lost >= MIN_LOST and lost * 5 >= len(text.replace(" ", "")):  # runs of them: whole words gone
        return LOST
    arabic_suspect, latin_suspect = _suspects(text)
    non_ascii = _non_ascii(text)
    if arabic_suspect:
        pairs = len(_PAIRS["windows-1256"].findall(text))
        # Arabic with much punctuation has pairs too («», ، ؟ follow letters as continuation bytes do)
        if pairs >= MIN_SIGNS and 2 * pairs >= PAIR_SHARE * non_ascii and _mostly_ta_zah(text):
            return UTF8_AS_1256
    if not latin_suspect:
        return None
    for charset in ("windows-1252", "latin-1"):
        pairs = len(_PAIRS[charset].findall(text))
        if pairs >= MIN_SIGNS and 2 * pairs >= PAIR_SHARE * non_ascii:
            return UTF8_AS_LATIN
    if len(_C1.findall(text)) >= MIN_SIGNS:
        return UTF8_AS_LATIN  # control characters are never text: bytes 0x80-0x9F read as latin-1
    return CP1256_AS_LATIN if _legacy(text) else None


def _legacy(text: str) -> bool:
    """Arabic windows-1256 read as latin-1: most letters in runs of accented Latin letters."""
    if not _LATIN_RUN.search(text):
        return False
    runs, letters = _legacy_share(text)
    return runs >= 2 * MIN_SIGNS and runs >= RUN_SHARE * letters


def _undo(text: str, read_as: str, written_in: str) -> str | None:
    codec, errors = _CODEC[read_as]
    try:
        return text.encode(codec, errors).decode(written_in)
    except UnicodeError:
        return None


def looks_arabic(text: str) -> bool:
    """Most letters Arabic, and the most frequent ones frequent: what a windows-1256 repair must give
    (accented Latin text read as windows-1256 gives Arabic letters too, but in no language's proportions)."""
    arabic = _ARABIC_LETTER.findall(text)
    return 2 * len(arabic) >= len(_LETTER.findall(text)) and sum(
        ch in _COMMON_ARABIC for ch in arabic
    ) >= COMMON_SHARE * len(arabic)


def _some_sign(text: str) -> bool:
    """One UTF-8 pair or control character: worth a strict round trip, which alone decides."""
    arabic_suspect, latin_suspect = _suspects(text)
    if arabic_suspect and _PAIRS["windows-1256"].search(text):
        return True
    return latin_suspect and (
        bool(_C1.search(text)) or any(_PAIRS[cs].search(text) for cs in ("windows-1252", "latin-1"))
    )


def repair(text: str) -> Fixed:
    """``text`` repaired when it is mojibake of a known kind and the repair is unambiguous (module docstring)."""
    if text.isascii():
        return Fixed(text)
    kind = signature(text)
    if kind == LOST:
        return Fixed(text, garbled=LOST)
    # UTF-8 kinds are always tried: a strict round trip costs two C-speed codec calls and fails at once on
    # clean text (an Arabic letter or a lone accented letter is never valid UTF-8 once re-encoded).
    found: dict[str, str] = {}
    for k, read_as, written_in in _KINDS:
        if k == CP1256_AS_LATIN and not _legacy(text):
            continue
        if k == CP1252_AS_LATIN and not _C1.search(text):
            continue
        r = _undo(text, read_as, written_in)
        if r is None or r == text or signature(r) is not None:
            continue
        if (written_in == "cp1256" and not looks_arabic(r)) or (written_in == "cp1252" and _some_sign(r)):
            continue
        found.setdefault(r, k)
    if len(found) == 1:
        [(r, k)] = found.items()
        return Fixed(r, repaired=k)
    if kind is None:
        return Fixed(text)  # a weak sign that no repair explains: clean text that happens to hold a pair
    if found:
        return Fixed(text, garbled=f"{kind}, but more than one repair fits")
    return Fixed(text, garbled=kind)
