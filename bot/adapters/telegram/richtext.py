"""Pieces of Telegram HTML text, pure: the chat's time and hashtags, escaping and links, cleaning and shortening
feed text, a value's and a line's direction, and rich text (matched spans in bold, Latin phrases isolated in
right-to-left text, the excerpt's window around its first highlight). ``render`` builds alerts and replies from
them.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from bot.deliver.model import AlertView, Highlight
from bot.text.bidi import (
    ARABIC_RE,
    LATIN_LETTER_RE,
    LRI,
    LRM,
    PDI,
    RLI,
    RLM,
    clean_text,
    first_strong_isolate,
    is_rtl,
    isolate_latin,
    latin_phrases,
)
from bot.text.urls import safe_url

# ---- small pure helpers ---------------------------------------------------------------------------------


def zone(name: str | None) -> tzinfo:
    """The chat's zone; anything unknown or malformed falls back to UTC rather than failing a delivery."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return UTC


def format_time(when: datetime, tz_name: str | None) -> str:
    """``2025-01-14 21:05 UTC+03`` (or ``… EST`` where the zone has a letter abbreviation)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(zone(tz_name))
    name = local.tzname() or ""
    if not name or name[0] in "+-" or name == "UTC":
        offset = local.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        sign = "+" if minutes >= 0 else "-"
        hours, mins = divmod(abs(minutes), 60)
        name = "UTC" if minutes == 0 else f"UTC{sign}{hours:02d}" + (f":{mins:02d}" if mins else "")
    return f"{local:%Y-%m-%d %H:%M} {name}"


def hashtag(topic: str) -> str:
    """``export-controls`` → ``#export_controls``: Telegram ends a hashtag at any non-word character."""
    body = re.sub(r"[^\w]+", "_", topic, flags=re.UNICODE).strip("_")
    body = re.sub(r"_+", "_", body)
    if not body:
        return ""
    if not any(ch.isalpha() for ch in body):
        body = f"t_{body}"  # Telegram does not link a hashtag made only of digits
    return f"#{body}"


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def link(label_html: str, url: str | None) -> str:
    href = safe_url(url)
    return f'<a href="{html.escape(href, quote=True)}">{label_html}</a>' if href else label_html


def _boundary(text: str, i: int) -> int:
    """Move a cut point left so it never separates a character from its combining marks."""
    while 0 < i < len(text) and (unicodedata.combining(text[i]) or text[i] in "\u200d\ufe0f"):
        i -= 1
    return i


def shorten(text: str, max_chars: int) -> str:
    """At most ``max_chars`` characters, cut at a word boundary when one is near, with an ellipsis."""
    if len(text) <= max_chars:
        return text
    cut = _boundary(text, max_chars - 1)
    space = text.rfind(" ", 0, cut)
    if space > max_chars * 2 // 3:
        cut = space
    return text[:cut].rstrip() + "…"


def clean(text: str, max_chars: int | None = None) -> str:
    # Cleaning only collapses whitespace and drops controls, so a generous prefix is enough to fill
    # ``max_chars``: this keeps a 20,000-character title cheap.
    out, _ = clean_text(text[: max_chars * 8] if max_chars else text)
    return shorten(out, max_chars) if max_chars else out


def value(text: str, line_rtl: bool) -> str:
    """An escaped value (a source or entity name) laid out in its own direction inside a line of
    ``line_rtl`` direction: an Arabic name keeps its Latin parts isolated ("CNN بالعربية" reads right to left
    from "CNN"); a Latin name in an Arabic line, or an Arabic one in a Latin line, is isolated whole."""
    value_rtl = is_rtl(text, default=line_rtl)
    if value_rtl:
        inner = isolate_latin(text)
        return esc(inner if line_rtl else f"{RLI}{inner}{PDI}")
    if line_rtl and LATIN_LETTER_RE.search(text):
        return esc(f"{LRI}{text}{PDI}")
    return esc(first_strong_isolate(text) if ARABIC_RE.search(text) else text)


def any_arabic(parts: Sequence[str]) -> bool:
    return any(ARABIC_RE.search(p) for p in parts)


def directed(content: str, rtl: bool, has_arabic: bool) -> str:
    # The first strong character decides a paragraph's direction in Telegram's clients: say it explicitly.
    if rtl:
        return RLM + content
    return (LRM + content) if has_arabic else content


# ---- rich text: highlights and bidi isolates ------------------------------------------------------------


def _spans(highlights: Sequence[Highlight], field: str, index: list[int], length: int) -> list[tuple[int, int]]:
    """Highlight spans of one field, carried through the cleaning map, clipped, sorted and merged."""
    raw = []
    last = len(index) - 1
    for h in highlights:
        if h.field != field or h.start >= h.end or h.end <= 0 or h.start > last:
            continue
        start, end = index[max(h.start, 0)], index[min(h.end, last)]
        start, end = max(0, min(start, length)), max(0, min(end, length))
        if start < end:
            raw.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(raw):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def rich(text: str, bold: Sequence[tuple[int, int]] = (), *, rtl: bool = False) -> str:
    """Escape clean text, put ``bold`` spans in ``<b>`` and, in RTL text, Latin phrases in LRI … PDI."""
    marks: dict[int, list[str]] = {}

    def add(pos: int, order: int, mark: str) -> None:
        marks.setdefault(pos, []).append(f"{order}{mark}")

    for start, end in bold:
        add(start, 3, "<b>")
        add(end, 0, "</b>")
    if rtl:
        for start, end in latin_phrases(text):
            add(start, 2, LRI)
            add(end, 1, PDI)
    out: list[str] = []
    last = 0
    for pos in sorted(marks):
        out.append(esc(text[last:pos]))
        out.extend(m[1:] for m in sorted(marks[pos]))
        last = pos
    out.append(esc(text[last:]))
    return "".join(out)


@functools.lru_cache(maxsize=64)
def _clean_mapped(text: str) -> tuple[str, list[int]]:
    # Shapes are tried in turn on the same alert: clean its excerpt once. Callers must not mutate the list.
    return clean_text(text)


def excerpt_window(alert: AlertView, max_chars: int) -> tuple[str, list[tuple[int, int]]]:
    """A window of the excerpt of at most ``max_chars``, around the first highlight when it is far in."""
    text, index = _clean_mapped(alert.excerpt)
    spans = _spans(alert.highlights, "excerpt", index, len(text))
    if len(text) <= max_chars:
        return text, spans
    start = 0
    if spans and spans[0][0] > max_chars * 2 // 3:
        start = _boundary(text, spans[0][0] - max_chars // 4)
        space = text.find(" ", start, spans[0][0])
        start = space + 1 if space != -1 else start
    end = _boundary(text, min(len(text), start + max_chars - 2))
    space = text.rfind(" ", start + max_chars // 2, end)
    if end < len(text) and space != -1:
        end = space
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    window = [(max(s, start) + shift, min(e, end) + shift) for s, e in spans if s < end and e > start]
    return prefix + text[start:end].strip() + suffix, [(s, e) for s, e in window if s < e]
