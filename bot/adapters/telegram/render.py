"""Pure rendering: ``AlertView`` and ``Reply`` → Telegram HTML (parse_mode HTML) within Telegram's limits.

Everything that came from a feed is cleaned (bidi and control characters dropped), escaped, and only then
wrapped in the tags we generate (``<b>``, ``<i>``, ``<a href>``). Links are http(s) only. An alert reads::

    🔴 <b><a href="…">Title</a></b>
    <i>Source</i> · 2025-01-14 21:05 UTC+03 · <b>Critical</b>
    excerpt with the <b>matched words</b> in bold…
    Entities: Nvidia, SMIC
    Also reported by: <a href="…">Outlet</a>, Outlet +2 more
    Primary source: <a href="…">Federal Register</a>
    Why: «Nvidia» → nvidia · «H20» → h20 · rule: control term with a chip object (+1.5)
    #export_controls #hbm

Each line is marked with its direction (RLM for right-to-left lines), Latin phrases inside Arabic text are
isolated (see ``bidi``), and values whose script differs from their line's are first-strong isolated.
When the result is over the limit the optional parts shrink step by step; a last ``truncate_html`` makes
the limit a guarantee rather than a hope.
"""

from __future__ import annotations

import functools
import html
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.pack import blocks_of, pack
from bot.adapters.telegram import labels
from bot.adapters.telegram.markup import MESSAGE_LIMIT, split_html, truncate_html
from bot.deliver.model import AlertView, Button, Highlight, Reply, SourceRef
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
from bot.text.length import utf16_len
from bot.text.urls import safe_url

log = logging.getLogger(__name__)

_MAX_SOURCE = 80
_MAX_CALLBACK_BYTES = 64  # Bot API limit for callback_data


@dataclass(frozen=True)
class RenderedMessage:
    """One Telegram message: HTML text and the keyboard under it."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class _Shape:
    """How much of the optional material an alert carries; shrunk step by step to meet a limit."""

    title: int = 300
    excerpt: int = 600
    entities: int = 12
    others: int = 8
    link_others: bool = True
    topics: int = 10
    reasons: int = 3


_SHAPES = (
    _Shape(),
    _Shape(excerpt=300, entities=8, others=5, link_others=False),
    _Shape(title=200, excerpt=120, entities=5, others=3, link_others=False, topics=6, reasons=2),
    _Shape(title=120, excerpt=0, entities=3, others=0, link_others=False, topics=4, reasons=1),
)
_MAX_REASON = 90
# The matcher's reason for a hit, "title: 'إنفيديا' -> nvidia (company, +3.00)", shown as "'إنفيديا' → nvidia".
_HIT_REASON = re.compile(r"^\w+: '(?P<text>.+)' -> (?P<id>[\w.-]+) \(")


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


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _link(label_html: str, url: str | None) -> str:
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


def _clean(text: str, max_chars: int | None = None) -> str:
    # Cleaning only collapses whitespace and drops controls, so a generous prefix is enough to fill
    # ``max_chars``: this keeps a 20,000-character title cheap.
    out, _ = clean_text(text[: max_chars * 8] if max_chars else text)
    return shorten(out, max_chars) if max_chars else out


def _value(text: str, line_rtl: bool) -> str:
    """An escaped value (a source or entity name) laid out in its own direction inside a line of
    ``line_rtl`` direction: an Arabic name keeps its Latin parts isolated ("CNN بالعربية" reads right to left
    from "CNN"); a Latin name in an Arabic line, or an Arabic one in a Latin line, is isolated whole."""
    value_rtl = is_rtl(text, default=line_rtl)
    if value_rtl:
        inner = isolate_latin(text)
        return _esc(inner if line_rtl else f"{RLI}{inner}{PDI}")
    if line_rtl and LATIN_LETTER_RE.search(text):
        return _esc(f"{LRI}{text}{PDI}")
    return _esc(first_strong_isolate(text) if ARABIC_RE.search(text) else text)


def _has_arabic(parts: Sequence[str]) -> bool:
    return any(ARABIC_RE.search(p) for p in parts)


def _line(content: str, rtl: bool, has_arabic: bool) -> str:
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
        out.append(_esc(text[last:pos]))
        out.extend(m[1:] for m in sorted(marks[pos]))
        last = pos
    out.append(_esc(text[last:]))
    return "".join(out)


@functools.lru_cache(maxsize=64)
def _clean_mapped(text: str) -> tuple[str, list[int]]:
    # Shapes are tried in turn on the same alert: clean its excerpt once. Callers must not mutate the list.
    return clean_text(text)


def _excerpt(alert: AlertView, max_chars: int) -> tuple[str, list[tuple[int, int]]]:
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


# ---- alerts ---------------------------------------------------------------------------------------------


def _names(refs: Sequence[SourceRef], shape: _Shape, lang: str, line_rtl: bool) -> str:
    shown = [r for r in refs if r.name.strip()][: shape.others]
    parts = []
    for ref in shown:
        name = _value(_clean(ref.name, _MAX_SOURCE), line_rtl)
        parts.append(_link(name, ref.url) if shape.link_others else name)
    sep = "، " if line_rtl else ", "
    text = sep.join(parts)
    hidden = len([r for r in refs if r.name.strip()]) - len(shown)
    if hidden > 0:
        text += " " + _esc(labels.alert_labels(lang)["more"].format(n=hidden))
    return text


def _why(reasons: Sequence[str], line_rtl: bool) -> str:
    """The matcher's first reasons in one line: a hit as "'matched words' → entity", the rest as given;
    each cleaned, capped and escaped (a hit quotes the feed's own text)."""
    parts = []
    for reason in reasons:
        hit = _HIT_REASON.match(reason)
        if hit:
            said = _value(_clean(hit["text"], 40), line_rtl)
            entity = _esc(hit["id"])
            parts.append(f"«{said}» → {f'{LRI}{entity}{PDI}' if line_rtl else entity}")
        else:
            reason_text = _clean(reason, _MAX_REASON)
            if reason_text:
                parts.append(_value(reason_text, line_rtl))
    return " · ".join(parts)


def _build(alert: AlertView, lang: str, tz_name: str | None, shape: _Shape, compact: bool) -> str:
    words = labels.alert_labels(lang)
    ui_rtl = lang == "ar"
    item_rtl = alert.language == "ar"
    lines: list[str] = []

    title = _clean(alert.title, shape.title) or _clean(alert.source, _MAX_SOURCE) or "…"
    title_rtl = is_rtl(title, default=item_rtl)
    title_html = f"<b>{_link(rich(title, rtl=title_rtl), alert.url)}</b>"
    lines.append(_line(f"{labels.marker(alert.severity)} {title_html}", title_rtl, bool(ARABIC_RE.search(title))))

    meta = [f"<i>{_value(_clean(alert.source, _MAX_SOURCE), ui_rtl)}</i>"] if alert.source.strip() else []
    when = format_time(alert.published, tz_name)
    meta.append(f"{LRI}{_esc(when)}{PDI}" if ui_rtl else _esc(when))
    severity = words["severity"].get(alert.severity, "")
    if severity:
        meta.append(f"<b>{_esc(severity)}</b>")
    tags = [t for t in dict.fromkeys(hashtag(t) for t in alert.topics[: shape.topics]) if t]
    tags_html = " ".join((f"{LRI}{_esc(t)}{PDI}" if ui_rtl else _esc(t)) for t in tags)
    if compact:
        lines.append(_line(" · ".join(meta + ([tags_html] if tags_html else [])), ui_rtl, _has_arabic(meta)))
        return "\n".join(lines)
    lines.append(_line(" · ".join(meta), ui_rtl, _has_arabic(meta)))

    if shape.excerpt and alert.excerpt.strip():
        text, bold = _excerpt(alert, shape.excerpt)
        if text:
            rtl = is_rtl(text, default=item_rtl)
            lines.append(_line(rich(text, bold, rtl=rtl), rtl, bool(ARABIC_RE.search(text))))

    sep = "، " if ui_rtl else ", "
    entities = [e for e in dict.fromkeys(_clean(e, _MAX_SOURCE) for e in alert.entities) if e]
    if entities and shape.entities:
        shown = sep.join(_value(e, ui_rtl) for e in entities[: shape.entities])
        more = len(entities) - shape.entities
        if more > 0:
            shown += " " + _esc(words["more"].format(n=more))
        lines.append(_line(f"{_esc(words['entities'])}: {shown}", ui_rtl, _has_arabic(entities)))

    if alert.also_reported_by and shape.others:
        names = _names(alert.also_reported_by, shape, lang, ui_rtl)
        if names:
            lines.append(_line(f"{_esc(words['also_reported_by'])}: {names}", ui_rtl, _has_arabic([names])))

    if alert.reasons and shape.reasons:
        why = _why(alert.reasons[: shape.reasons], ui_rtl)
        lines.append(_line(f"{_esc(words['why'])}: {why}", ui_rtl, _has_arabic([why])))

    primary = alert.primary_source
    if primary and primary.name.strip():
        name = _value(_clean(primary.name, _MAX_SOURCE), ui_rtl)
        lines.append(_line(f"{_esc(words['primary_source'])}: {_link(name, primary.url)}", ui_rtl, _has_arabic([name])))

    if tags_html:
        lines.append(_line(tags_html, ui_rtl, False))
    return "\n".join(lines)


def render_alert(
    alert: AlertView,
    *,
    language: str = "en",
    timezone: str | None = "UTC",
    limit: int = MESSAGE_LIMIT,
    compact: bool = False,
) -> str:
    """One alert as Telegram HTML of at most ``limit`` UTF-16 units (4096 a message, 1024 a caption).

    ``language`` is the chat's interface language (labels, line direction of labels); the item's own
    direction comes from its text and ``alert.language``. ``compact`` is the two-line form used in lists.
    """
    lang = labels.language(language)
    text = ""
    for shape in _SHAPES:
        text = _build(alert, lang, timezone, shape, compact)
        if utf16_len(text) <= limit:
            return text
    return truncate_html(text, limit)


# ---- replies --------------------------------------------------------------------------------------------


def _reply_text(text: str, lang: str) -> str:
    """Plain reply text from the core → escaped HTML, each paragraph marked with its direction."""
    lines = []
    for raw in text.split("\n"):
        line, _ = clean_text(raw)
        if not line:
            lines.append("")
            continue
        rtl = is_rtl(line, default=lang == "ar")
        lines.append(_line(rich(line, rtl=rtl), rtl, bool(ARABIC_RE.search(line))))
    return "\n".join(lines).strip("\n")


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """Inline keyboard from the core's buttons; a button whose data Telegram would refuse is dropped."""
    out = []
    for row in rows:
        buttons = []
        for button in row:
            size = len(button.data.encode("utf-8"))
            if not 1 <= size <= _MAX_CALLBACK_BYTES:
                log.warning("dropping button %r: callback data is %d bytes (1-64 allowed)", button.text, size)
                continue
            buttons.append(InlineKeyboardButton(_clean(button.text, 64) or "·", callback_data=button.data))
        if buttons:
            out.append(buttons)
    return InlineKeyboardMarkup(out) if out else None


def render_reply(reply: Reply, *, timezone: str | None = None, limit: int = MESSAGE_LIMIT) -> list[RenderedMessage]:
    """A command's answer as messages of at most ``limit`` in order; the keyboard goes under the last one.

    The text's blocks (separated by blank lines) and the alerts are packed whole into messages
    (``bot.adapters.pack``); only a block longer than a message is cut, at its lines where possible.

    Alerts in a reply (``/latest``) are rendered in their compact form, one paragraph each. The chat's
    timezone is ``timezone`` (UTC when not given).
    """
    lang = labels.language(reply.language)
    tz_name = timezone or "UTC"
    blocks = []
    if reply.text.strip():
        body = _reply_text(reply.text, lang)  # line by line: the blank lines between blocks stay
        blocks += blocks_of(("⚠️ " + body) if reply.error else body)
    blocks += [render_alert(a, language=lang, timezone=tz_name, compact=True) for a in reply.alerts]
    markup = keyboard(reply.buttons)
    # A block is cut only when it alone is longer than a message; split_html keeps each piece valid HTML.
    pieces = pack(([b] if utf16_len(b) <= limit else split_html(b, limit) for b in blocks if b), limit, utf16_len)
    if not pieces:
        return [RenderedMessage("·", markup)] if markup else []
    return [RenderedMessage(p, markup if i == len(pieces) - 1 else None) for i, p in enumerate(pieces)]
