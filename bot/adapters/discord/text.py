"""Feed text made inert for Discord, Latin runs isolated in Arabic, and cuts that never break what we add.

Everything that comes from a feed goes through ``escape()``: Discord markdown is backslash-escaped (bold,
italics, code, spoilers ``||``, strikethrough, quotes, headings, lists, masked links) and every token Discord
would turn into a mention, a channel link, a timestamp or an emoji (``@everyone``, ``<@123>``, ``<#1>``,
``<@&1>``, ``</cmd:1>``, ``<t:1>``, ``<:e:1>``) gets a zero-width space so it neither pings nor formats.
``allowed_mentions`` none is the second lock on the same door.

Bidi controls from feeds are removed (a stray U+202E could reverse a whole line), then Latin phrases inside
Arabic text are wrapped in LRI … PDI (U+2066 … U+2069) so "H200" or "SK Hynix" keep their order in a
right-to-left line (``bot.text.bidi``'s phrase rule, the one Telegram and the digest use). Lengths are measured
in UTF-16 code units (``bot.text.length``), never less than what Discord counts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from discord.utils import escape_markdown

from bot.text.bidi import LRI, PDI, drop_bidi_controls, has_arabic, latin_phrases
from bot.text.length import utf16_len

ZWSP = "\u200b"
ELLIPSIS = "…"

_OTHER_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ANGLE_TOKEN = re.compile(r"<(?=[@#:/]|[a-z]{1,12}:)")  # <@1> <@&1> <#1> </c:1> <:e:1> <a:e:1> <t:1:f> <id:home>
_AT_ALL = re.compile(r"@(?=everyone|here)")
_NUMBERED_LIST = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)


def clean(text: str) -> str:
    """Remove bidi overrides and C0 controls (keeps newlines and tabs). For text shown without markdown."""
    return _OTHER_CONTROLS.sub("", drop_bidi_controls(text))


def neutralise_mentions(text: str) -> str:
    return _AT_ALL.sub("@" + ZWSP, _ANGLE_TOKEN.sub("<" + ZWSP, text))


def escape(text: str) -> str:
    """Feed text → Discord markdown that shows exactly that text and can neither format nor mention."""
    escaped = escape_markdown(clean(text))
    escaped = _NUMBERED_LIST.sub(r"\1\\.", escaped)
    return neutralise_mentions(escaped)


@dataclass(frozen=True)
class Piece:
    """A run of raw (unescaped) text and how to wrap it."""

    text: str
    bold: bool = False
    isolate: bool = False

    def render(self, text: str | None = None) -> str:
        body = escape(self.text if text is None else text)
        if not body:
            return ""
        if self.bold:
            body = f"**{body}**"
        if self.isolate:
            body = f"{LRI}{body}{PDI}"
        return body


def pieces(text: str, *, bold: Iterable[tuple[int, int]] = (), rtl: bool | None = None) -> list[Piece]:
    """Split ``text`` into pieces by (bold, isolated). ``rtl`` None: isolate Latin runs iff the text has Arabic."""
    text = clean(text)
    n = len(text)
    is_bold = [False] * n
    for start, end in bold:
        start, end = max(0, start), min(n, end)
        # Bold markers hugging whitespace do not render: keep them on the visible characters.
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        for i in range(start, end):
            is_bold[i] = True
    is_iso = [False] * n
    if rtl if rtl is not None else has_arabic(text):
        for start, end in latin_phrases(text):
            for i in range(start, end):
                is_iso[i] = True
    out: list[Piece] = []
    start = 0
    for i in range(1, n + 1):
        if i == n or (is_bold[i], is_iso[i]) != (is_bold[start], is_iso[start]):
            out.append(Piece(text[start:i], is_bold[start], is_iso[start]))
            start = i
    return out


def _safe_cut(text: str, k: int) -> int:
    """Move a cut point left so it never separates a base letter from its marks (Arabic harakat, ZWJ...)."""
    while 0 < k < len(text) and (unicodedata.combining(text[k]) or text[k] in "\u200d\ufe0f"):
        k -= 1
    return k


def _longest_prefix(piece: Piece, room: int, *, prefer_words: bool) -> int:
    """The largest k such that ``piece.render(piece.text[:k])`` fits in ``room`` (binary search, then verified)."""
    text = piece.text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if utf16_len(piece.render(text[:mid])) <= room:
            lo = mid
        else:
            hi = mid - 1
    k = _safe_cut(text, lo)
    if prefer_words and k < len(text):
        space = max(text.rfind(" ", 0, k), text.rfind("\n", 0, k))
        if space > 0 and k - space <= 30:
            k = space
    while k > 0 and utf16_len(piece.render(text[:k])) > room:  # escaping is not quite monotonic: make sure
        k = _safe_cut(text, k - 1)
    return k


def fit(parts: Sequence[Piece], limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """Render pieces within ``limit``; when cut, end on a whole piece boundary or word plus an ellipsis."""
    rendered = [p.render() for p in parts]
    if sum(utf16_len(r) for r in rendered) <= limit:
        # Pieces always meet at a wrapper (** or an isolate), so no token can form across them; checking the
        # joined text again costs nothing and keeps that true if the wrapping ever changes.
        return _joined("".join(rendered), limit)
    room = limit - utf16_len(ellipsis)
    out: list[str] = []
    for piece, text in zip(parts, rendered, strict=True):
        if utf16_len(text) <= room:
            out.append(text)
            room -= utf16_len(text)
            continue
        k = _longest_prefix(piece, room, prefer_words=True)
        if k:
            out.append(piece.render(piece.text[:k].rstrip()))
        break
    return _joined("".join(out).rstrip() + ellipsis, limit)


def _joined(text: str, limit: int) -> str:
    text = neutralise_mentions(text)
    return text if utf16_len(text) <= limit else truncate_plain(text, limit)


def fit_text(text: str, limit: int, *, bold: Iterable[tuple[int, int]] = (), rtl: bool | None = None) -> str:
    return fit(pieces(text, bold=bold, rtl=rtl), limit)


def truncate_plain(text: str, limit: int) -> str:
    """For fields Discord shows without markdown (author, footer): clean and cut, no escaping."""
    text = clean(text).strip()
    if utf16_len(text) <= limit:
        return text
    k = limit - utf16_len(ELLIPSIS)
    while utf16_len(text[:k]) > limit - utf16_len(ELLIPSIS):
        k -= 1
    return text[: _safe_cut(text, k)].rstrip() + ELLIPSIS


def split_plain(text: str, limit: int = 2000) -> list[str]:
    """Escape a plain-text reply and split it into messages of at most ``limit``, at line breaks when possible."""
    chunks: list[str] = []
    current = ""
    for line in clean(text).split("\n"):
        parts = pieces(line)
        rendered = "".join(p.render() for p in parts)
        candidate = f"{current}\n{rendered}" if current else rendered
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
            current = ""
        # A single line longer than a message: cut it piece by piece into message-sized parts.
        for piece in parts:
            rest = piece.text
            while rest:
                room = limit - utf16_len(current)
                if utf16_len(piece.render(rest)) <= room:
                    current += piece.render(rest)
                    break
                k = _longest_prefix(Piece(rest, piece.bold, piece.isolate), room, prefer_words=True)
                if k == 0:
                    if not current:  # cannot happen for limit >= 16: a single escaped char always fits
                        raise ValueError("limit too small")
                    chunks.append(current)
                    current = ""
                    continue
                current += piece.render(rest[:k])
                chunks.append(current)
                current = ""
                rest = rest[k:]
    if current or not chunks:
        chunks.append(current)
    return [c for c in chunks if c] or [""]
