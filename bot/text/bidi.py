"""Right-to-left layout for Arabic text that carries Latin tokens (H20, 3A090, SMIC, Applied Materials).

In an RTL paragraph a Latin phrase next to digits and punctuation can be reordered by the Unicode bidi
algorithm until it reads wrong ("H20" next to a number, "Nvidia H20" split around a comma). Wrapping each
Latin *phrase* (not each word: two isolates separated by a space would be laid out right-to-left and swap)
in LRI … PDI makes it one neutral unit laid out left-to-right inside. A paragraph starts with RLM so the
client picks RTL even when its first letter is Latin.

Feed text is cleaned first: bidi controls coming from a feed could reverse or hide text (the "Trojan
Source" trick), and C0 controls have no business in a chat message. Cleaning keeps an offset map so
highlight spans computed on the original text still land on the right characters.

One phrase rule for every place that writes Arabic lines with Latin in them (Telegram alerts and replies,
Discord embeds and messages, digests): the chat renders them all with the same bidi algorithm, so they isolate
the same spans. Earlier copies differed (the digest's wrapped "H20 2025" whole, carrying the year to the
wrong side, and split URLs at ":"; Discord's pulled a sentence's final "." into the isolate and left
accented Latin letters out); this module's rule is the one that handles those cases.
"""

from __future__ import annotations

import re

LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
LRM, RLM = "\u200e", "\u200f"

# Explicit embeddings, overrides, isolates and marks; ALM. ZWJ/ZWNJ stay (Arabic and Persian use ZWNJ).
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NO_BIDI_CONTROLS = dict.fromkeys(map(ord, _BIDI_CONTROLS))
_WS = frozenset(" \t\n\r\f\v\u00a0\u2028\u2029")

_ARABIC_CHARS = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
ARABIC_RE = re.compile(f"[{_ARABIC_CHARS}]")
LATIN_LETTER_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
_ARABIC_WORD_RE = re.compile(f"[{_ARABIC_CHARS}]+")
_LATIN_WORD_RE = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_LATIN = r"A-Za-z0-9\u00c0-\u024f"
# One Latin token: "U.S." style abbreviations, or letters/digits with inner joiners (3A090, AI-chip, 7nm,
# S&P, 5G/6G, example.com/feed?x=1). A trailing "%" belongs to its number; a leading "/", "@" or "#" to its
# command, username or hashtag.
_TOKEN_RE = re.compile(rf"(?:[A-Za-z]\.){{2,}}|[/@#]?[{_LATIN}](?:[{_LATIN}._+&'’/:?=#~\-]*[{_LATIN}%])?")
_GAP_RE = re.compile(r"[ \t]+")


def clean_text(text: str, *, keep_newlines: bool = False) -> tuple[str, list[int]]:
    """Drop bidi and control characters and collapse whitespace runs to one space (or one newline).

    Returns the clean text and ``index``: ``index[i]`` is where original offset ``i`` lands in the clean
    text (``len(index) == len(text) + 1``), so spans can be carried over.
    """
    out: list[str] = []
    index: list[int] = []
    pending_ws = ""
    for ch in text:
        if ch in _WS:
            index.append(len(out))
            if ch in "\n\u2028\u2029" and keep_newlines:
                pending_ws = "\n"
            elif not pending_ws:
                pending_ws = " "
            continue
        if ch in _BIDI_CONTROLS or ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0:
            index.append(len(out))
            continue
        if pending_ws:
            if out:
                out.append(pending_ws)
            pending_ws = ""
        index.append(len(out))
        out.append(ch)
    index.append(len(out))
    return "".join(out), index


def drop_bidi_controls(text: str) -> str:
    """The text without bidi controls, and nothing else changed (for text whose whitespace matters)."""
    return text.translate(_NO_BIDI_CONTROLS)


def has_arabic(text: str) -> bool:
    """Whether the text holds any Arabic letter."""
    return ARABIC_RE.search(text) is not None


def is_rtl(text: str, default: bool = False) -> bool:
    """Whether a text reads right-to-left: more Arabic words than Latin ones. On a tie ("CNN بالعربية",
    "Nvidia تبيع") the caller's ``default`` decides: the item's language, or the line's direction."""
    arabic = len(_ARABIC_WORD_RE.findall(text))
    latin = len(_LATIN_WORD_RE.findall(text))
    return default if arabic == latin else arabic > latin


def latin_phrases(text: str) -> list[tuple[int, int]]:
    """Spans of Latin phrases to isolate: runs of tokens separated by blanks, starting and ending with a
    token that has a letter (a lone year or figure is laid out correctly without help, and a phrase must not
    swallow one at its edge, which would move it to the wrong side)."""
    tokens = [(m.start(), m.end(), bool(LATIN_LETTER_RE.search(m.group(0)))) for m in _TOKEN_RE.finditer(text)]
    spans: list[tuple[int, int]] = []
    run: list[tuple[int, int, bool]] = []

    def flush() -> None:
        while run and not run[-1][2]:
            run.pop()
        while run and not run[0][2]:
            run.pop(0)
        if run:
            spans.append((run[0][0], run[-1][1]))
        run.clear()

    for tok in tokens:
        if run and not _GAP_RE.fullmatch(text[run[-1][1] : tok[0]]):
            flush()
        run.append(tok)
    flush()
    return spans


def isolate_latin(text: str) -> str:
    """Wrap Latin phrases in LRI … PDI (for plain text inside an RTL paragraph); a text without an Arabic
    letter is returned as is (a Latin line, or a lone figure, needs nothing)."""
    if not has_arabic(text):
        return text
    out, last = [], 0
    for start, end in latin_phrases(text):
        out += [text[last:start], LRI, text[start:end], PDI]
        last = end
    out.append(text[last:])
    return "".join(out)


def first_strong_isolate(text: str) -> str:
    """Wrap a value of unknown direction (a source name, a quoted title) so it is laid out in its own
    direction and cannot reorder the label around it: FSI … PDI."""
    return f"{FSI}{text}{PDI}" if text else text


def strip_isolates(text: str) -> str:
    """The text without the isolates added here (for measuring, drawing a chart, comparing words)."""
    return text.replace(LRI, "").replace(FSI, "").replace(PDI, "").replace(RLI, "")
