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
the limit a guarantee rather than a hope. The pieces (escaping, links, directions, rich text, the excerpt's
window, times and hashtags) are ``richtext``'s.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.pack import blocks_of, pack
from bot.adapters.telegram import labels
from bot.adapters.telegram.markup import MESSAGE_LIMIT, split_html, truncate_html
from bot.adapters.telegram.richtext import (
    any_arabic,
    clean,
    directed,
    esc,
    excerpt_window,
    format_time,
    hashtag,
    link,
    rich,
    value,
)
from bot.deliver.model import AlertView, Button, Reply, SourceRef
from bot.text.bidi import ARABIC_RE, LRI, PDI, clean_text, is_rtl
from bot.text.length import utf16_len

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


# ---- alerts ---------------------------------------------------------------------------------------------


def _names(refs: Sequence[SourceRef], shape: _Shape, lang: str, line_rtl: bool) -> str:
    shown = [r for r in refs if r.name.strip()][: shape.others]
    parts = []
    for ref in shown:
        name = value(clean(ref.name, _MAX_SOURCE), line_rtl)
        parts.append(link(name, ref.url) if shape.link_others else name)
    sep = "، " if line_rtl else ", "
    text = sep.join(parts)
    hidden = len([r for r in refs if r.name.strip()]) - len(shown)
    if hidden > 0:
        text += " " + esc(labels.alert_labels(lang)["more"].format(n=hidden))
    return text


def _why(reasons: Sequence[str], line_rtl: bool) -> str:
    """The matcher's first reasons in one line: a hit as "'matched words' → entity", the rest as given;
    each cleaned, capped and escaped (a hit quotes the feed's own text)."""
    parts = []
    for reason in reasons:
        hit = _HIT_REASON.match(reason)
        if hit:
            said = value(clean(hit["text"], 40), line_rtl)
            entity = esc(hit["id"])
            parts.append(f"«{said}» → {f'{LRI}{entity}{PDI}' if line_rtl else entity}")
        else:
            reason_text = clean(reason, _MAX_REASON)
            if reason_text:
                parts.append(value(reason_text, line_rtl))
    return " · ".join(parts)


def _build(alert: AlertView, lang: str, tz_name: str | None, shape: _Shape, compact: bool) -> str:
    words = labels.alert_labels(lang)
    ui_rtl = lang == "ar"
    item_rtl = alert.language == "ar"
    lines: list[str] = []

    title = clean(alert.title, shape.title) or clean(alert.source, _MAX_SOURCE) or "…"
    title_rtl = is_rtl(title, default=item_rtl)
    title_html = f"<b>{link(rich(title, rtl=title_rtl), alert.url)}</b>"
    lines.append(directed(f"{labels.marker(alert.severity)} {title_html}", title_rtl, bool(ARABIC_RE.search(title))))

    meta = [f"<i>{value(clean(alert.source, _MAX_SOURCE), ui_rtl)}</i>"] if alert.source.strip() else []
    when = format_time(alert.published, tz_name)
    meta.append(f"{LRI}{esc(when)}{PDI}" if ui_rtl else esc(when))
    severity = words["severity"].get(alert.severity, "")
    if severity:
        meta.append(f"<b>{esc(severity)}</b>")
    tags = [t for t in dict.fromkeys(hashtag(t) for t in alert.topics[: shape.topics]) if t]
    tags_html = " ".join((f"{LRI}{esc(t)}{PDI}" if ui_rtl else esc(t)) for t in tags)
    if compact:
        lines.append(directed(" · ".join(meta + ([tags_html] if tags_html else [])), ui_rtl, any_arabic(meta)))
        return "\n".join(lines)
    lines.append(directed(" · ".join(meta), ui_rtl, any_arabic(meta)))

    if shape.excerpt and alert.excerpt.strip():
        text, bold = excerpt_window(alert, shape.excerpt)
        if text:
            rtl = is_rtl(text, default=item_rtl)
            lines.append(directed(rich(text, bold, rtl=rtl), rtl, bool(ARABIC_RE.search(text))))

    sep = "، " if ui_rtl else ", "
    entities = [e for e in dict.fromkeys(clean(e, _MAX_SOURCE) for e in alert.entities) if e]
    if entities and shape.entities:
        shown = sep.join(value(e, ui_rtl) for e in entities[: shape.entities])
        more = len(entities) - shape.entities
        if more > 0:
            shown += " " + esc(words["more"].format(n=more))
        lines.append(directed(f"{esc(words['entities'])}: {shown}", ui_rtl, any_arabic(entities)))

    if alert.also_reported_by and shape.others:
        names = _names(alert.also_reported_by, shape, lang, ui_rtl)
        if names:
            lines.append(directed(f"{esc(words['also_reported_by'])}: {names}", ui_rtl, any_arabic([names])))

    if alert.reasons and shape.reasons:
        why = _why(alert.reasons[: shape.reasons], ui_rtl)
        lines.append(directed(f"{esc(words['why'])}: {why}", ui_rtl, any_arabic([why])))

    primary = alert.primary_source
    if primary and primary.name.strip():
        name = value(clean(primary.name, _MAX_SOURCE), ui_rtl)
        lines.append(directed(f"{esc(words['primary_source'])}: {link(name, primary.url)}", ui_rtl, any_arabic([name])))

    if tags_html:
        lines.append(directed(tags_html, ui_rtl, False))
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
        lines.append(directed(rich(line, rtl=rtl), rtl, bool(ARABIC_RE.search(line))))
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
            buttons.append(InlineKeyboardButton(clean(button.text, 64) or "·", callback_data=button.data))
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


# format_time and hashtag are richtext's, exported here too: callers (and tests) know them as the renderer's.
__all__ = ["RenderedMessage", "format_time", "hashtag", "keyboard", "render_alert", "render_reply"]
