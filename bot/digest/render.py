"""A ``Digest`` as text: plain text for chats, markdown and HTML for people, JSON for scripts.

Chat text is plain (the adapters escape it and mark it up in their own way): one headline, the numbers,
then a block per topic, then trends and entities, blocks separated by a blank line (and none inside a block:
titles are one line) so that each adapter packs them whole into its messages (``bot.adapters.pack``).
Titles stay in their own language inside FSI … PDI; in Arabic, Latin phrases, dates and signed numbers go in
LRI … PDI (see ``bot.text.bidi``).
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Any

from bot.digest.labels import label
from bot.digest.model import Digest, DigestStory, Spike
from bot.digest.period import zone
from bot.text.bidi import LRI, PDI, first_strong_isolate, isolate_latin, strip_isolates
from bot.text.names import entity_name, topic_name

BULLET = "•"
TOPIC_MARK = "■"
SEP = " · "


def ltr(text: str, lang: str) -> str:
    """Dates, signed numbers and URLs keep their order inside an Arabic line."""
    return f"{LRI}{text}{PDI}" if lang == "ar" else text


def _ar(text: str, lang: str) -> str:
    return isolate_latin(text) if lang == "ar" else text


def signed(delta: int) -> str:
    return f"+{delta}" if delta > 0 else ("±0" if delta == 0 else f"−{-delta}")


def _date(when: datetime, digest: Digest) -> str:
    return when.astimezone(zone(digest.period.timezone)).date().isoformat()


def title_line(d: Digest) -> str:
    lang = d.language
    key = {"weekly": "title", "daily": "title_daily"}.get(d.period.kind, "title_span")
    span = label(lang, "span", since=ltr(_date(d.since, d), lang), until=ltr(_date(d.until, d), lang))
    return f"{label(lang, key)}{SEP}{span}"


def empty_line(d: Digest) -> str:
    lang = d.language
    key = {"weekly": "title", "daily": "title_daily"}.get(d.period.kind, "title_span")
    span = label(lang, "span", since=ltr(_date(d.since, d), lang), until=ltr(_date(d.until, d), lang))
    return label(lang, "empty", title=label(lang, key), span=span)


def numbers_line(d: Digest) -> str:
    lang = d.language
    delta = d.counts["stories"] - d.previous.get("stories", 0)
    change = label(lang, "change", sign="", delta=ltr(signed(delta), lang)) if delta else label(lang, "no_change")
    stories = f"{label(lang, 'stories', d.counts['stories'])} {change}"
    return label(
        lang,
        "numbers",
        stories=stories,
        items=label(lang, "items", d.counts["items"]),
        sources=label(lang, "sources", d.counts["sources"]),
    )


def topics_line(d: Digest, limit: int = 6) -> str:
    lang = d.language
    parts = []
    for topic, (now, before) in list(d.topic_counts.items())[:limit]:
        if now == 0:
            continue
        parts.append(f"{topic_name(topic, lang)} {now} ({ltr(signed(now - before), lang)})")
    return f"{label(lang, 'by_topic')}: " + SEP.join(parts) if parts else ""


def story_meta(ds: DigestStory, lang: str) -> str:
    meta = label(lang, "story_sources", ds.sources)
    if {"ar", "en"} <= set(ds.languages):
        meta += SEP + label(lang, "both_languages")
    return meta


def spike_line(sp: Spike, lang: str) -> str:
    name = entity_name(sp.key, lang) if sp.kind == "entity" else topic_name(sp.key, lang)
    mentions = label(lang, "mentions", sp.count)
    if sp.ratio is None:
        days = max(1, round(sp.baseline_days))
        return _ar(label(lang, "spike_new", days, name=name, mentions=mentions, days=days), lang)
    r = max(1, round(sp.ratio))
    return _ar(label(lang, "spike_ratio", r, name=name, r=r, mentions=mentions), lang)


def spike_alert_text(sp: Spike, lang: str) -> str:
    """An instant trend alert (``bot.digest.spikes.enqueue_trend_alerts``): one short paragraph."""
    lang = "ar" if lang == "ar" else "en"
    return f"{label(lang, 'trend_alert')}: {spike_line(sp, lang)}"


def entities_line(d: Digest) -> str:
    lang = d.language
    if not d.entities:
        return ""
    names = SEP.join(f"{entity_name(e, lang)} ({n})" for e, n in d.entities)
    return _ar(f"{label(lang, 'entities')}: {names}", lang)


def new_line(d: Digest) -> str:
    lang = d.language
    if not d.new_entities:
        return ""
    key = "new_entities_daily" if d.period.kind == "daily" else "new_entities"
    return _ar(f"{label(lang, key)}: " + SEP.join(entity_name(e, lang) for e in d.new_entities), lang)


def shown_groups(d: Digest, top_per_topic: int = 5, max_stories: int = 15) -> list[tuple[str, list[DigestStory], int]]:
    """(topic, stories shown, stories left out) per group, within the per-topic and overall caps."""
    out = []
    left = max_stories
    for topic, stories in d.groups.items():
        shown = stories[: min(top_per_topic, left)]
        if not shown:
            break
        left -= len(shown)
        out.append((topic, shown, len(stories) - len(shown)))
    return out


# ---- chat text ------------------------------------------------------------------------------------------


def render_blocks(d: Digest) -> list[str]:
    """The chat text as blocks (headline, topic groups, trends, entities): the units the adapters keep whole,
    cutting one only when it alone is longer than a message."""
    if d.empty:
        return [empty_line(d)]
    lang = d.language
    head = [title_line(d), numbers_line(d)]
    if line := topics_line(d):
        head.append(line)
    blocks = ["\n".join(head)]
    for topic, stories, more in shown_groups(d):
        lines = [f"{TOPIC_MARK} {topic_name(topic, lang)}"]
        for ds in stories:
            lines.append(
                f"{BULLET} {first_strong_isolate(_ar(ds.title, 'ar') if ds.title_language == 'ar' else ds.title)}"
            )
            lines[-1] += f" — {story_meta(ds, lang)}"
            if ds.url:
                lines.append(f"  {ds.url}")
        if more:
            lines.append(f"  {label(lang, 'more_stories', more)}")
        blocks.append("\n".join(lines))
    if d.spikes:
        blocks.append("\n".join([label(lang, "spikes"), *(f"{BULLET} {spike_line(sp, lang)}" for sp in d.spikes)]))
    tail = [x for x in (entities_line(d), new_line(d)) if x]
    if tail:
        blocks.append("\n".join(tail))
    return blocks


def render_text(d: Digest) -> str:
    """The whole digest as one plain text; a digest with nothing in it is one line."""
    return "\n\n".join(render_blocks(d))


def caption(d: Digest) -> str:
    """A short text to go with the chart when the whole digest is too long for a caption."""
    if d.empty:
        return empty_line(d)
    return "\n".join([title_line(d), numbers_line(d), label(d.language, "full_below")])


# ---- markdown and HTML ----------------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text


def render_markdown(d: Digest) -> str:
    lang = d.language
    if d.empty:
        body = empty_line(d)
    else:
        lines = [f"## {title_line(d)}", "", f"**{numbers_line(d)}**"]
        if line := topics_line(d):
            lines += ["", line]
        for topic, stories, more in shown_groups(d):
            lines += ["", f"### {topic_name(topic, lang)}", ""]
            for i, ds in enumerate(stories, 1):
                title = _md_escape(ds.title)
                linked = f"[{first_strong_isolate(title)}]({ds.url})" if ds.url else first_strong_isolate(title)
                lines.append(f"{i}. {linked} — {story_meta(ds, lang)}")
            if more:
                lines.append(f"\n{label(lang, 'more_stories', more)}")
        if d.spikes:
            lines += ["", f"### {label(lang, 'spikes')}", ""]
            lines += [f"- {spike_line(sp, lang)}" for sp in d.spikes]
        tail = [x for x in (entities_line(d), new_line(d)) if x]
        if tail:
            lines += ["", *[f"{x}  " for x in tail]]
        body = "\n".join(lines)
    # Isolate marks belong in chat HTML: in a file they are invisible characters that break search and diffs.
    body = strip_isolates(body)
    # GitHub and most markdown viewers honour an HTML block's direction.
    return f'<div dir="rtl">\n\n{body}\n\n</div>' if lang == "ar" else body


def render_html(d: Digest, chart_src: str | None = None) -> str:
    """A standalone HTML page; Arabic pages are ``dir="rtl"``, and every title is a ``<bdi>``."""
    lang = d.language
    esc = html.escape
    parts = [
        "<!doctype html>",
        f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">',
        f'<head><meta charset="utf-8"><title>{esc(title_line(d))}</title></head>',
        "<body>",
    ]
    if d.empty:
        parts.append(f"<p>{esc(empty_line(d))}</p>")
    else:
        parts.append(f"<h1>{esc(title_line(d))}</h1>")
        parts.append(f"<p><strong>{esc(numbers_line(d))}</strong></p>")
        if line := topics_line(d):
            parts.append(f"<p>{esc(line)}</p>")
        if chart_src:
            parts.append(f'<p><img src="{esc(chart_src)}" alt="{esc(label(lang, "chart_title"))}" width="600"></p>')
        for topic, stories, more in shown_groups(d):
            parts.append(f"<h2>{esc(topic_name(topic, lang))}</h2><ol>")
            for ds in stories:
                title = f'<bdi lang="{esc(ds.title_language)}">{esc(ds.title)}</bdi>'
                if ds.url:
                    title = f'<a href="{esc(ds.url)}">{title}</a>'
                parts.append(f"<li>{title} — {esc(story_meta(ds, lang))}</li>")
            parts.append("</ol>")
            if more:
                parts.append(f"<p>{esc(label(lang, 'more_stories', more))}</p>")
        if d.spikes:
            parts.append(f"<h2>{esc(label(lang, 'spikes'))}</h2><ul>")
            parts += [f"<li>{esc(spike_line(sp, lang))}</li>" for sp in d.spikes]
            parts.append("</ul>")
        parts += [f"<p>{esc(x)}</p>" for x in (entities_line(d), new_line(d)) if x]
    parts += ["</body>", "</html>"]
    return "\n".join(parts)


def to_json(d: Digest) -> dict[str, Any]:
    """Everything a script needs, ids rather than display names (names are given beside them)."""
    lang = d.language
    return {
        "since": d.since.isoformat(),
        "until": d.until.isoformat(),
        "timezone": d.period.timezone,
        "period": d.period.kind,
        "language": lang,
        "topics": d.topics,
        "counts": d.counts,
        "previous": d.previous,
        "by_topic": {
            t: {"name": topic_name(t, lang), "stories": n, "previous": p} for t, (n, p) in d.topic_counts.items()
        },
        "groups": [
            {"topic": t, "name": topic_name(t, lang), "stories": [s.story_id for s in stories]}
            for t, stories in d.groups.items()
        ],
        "stories": [
            {
                "id": s.story_id,
                "title": s.title,
                "title_language": s.title_language,
                "url": s.url,
                "sources": s.sources,
                "languages": s.languages,
                "score": s.score,
                "rank": s.rank,
                "topics": s.topics,
                "main_topic": s.main_topic,
                "first_published": s.first_published.isoformat(),
            }
            for s in d.stories
        ],
        "entities": [{"id": e, "name": entity_name(e, lang), "mentions": n} for e, n in d.entities],
        "new_entities": [{"id": e, "name": entity_name(e, lang)} for e in d.new_entities],
        "spikes": [sp.to_json() | {"text": spike_line(sp, lang)} for sp in d.spikes],
    }


def render_json(d: Digest) -> str:
    return json.dumps(to_json(d), ensure_ascii=False, indent=2)


__all__ = [
    "caption",
    "render_blocks",
    "render_html",
    "render_json",
    "render_markdown",
    "render_text",
    "spike_alert_text",
    "to_json",
]
