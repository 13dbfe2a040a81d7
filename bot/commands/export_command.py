"""``/export [TOPIC|ENTITY|WORDS] [PERIOD] [ar|en] [csv|json]``: a chat's stories as files (``bot.commands.export``).

The query is read as ``/latest`` reads it — a topic (id, Arabic or English name, alias), else an entity, else
words in the headlines — and the modifiers at the end in any order: a period (``24h``, ``7d``, ``30d``, ``2w``,
up to ``365d``; default ``30d``), an item language (stories with a report in it), a format (default both files).
Without a query: the topics the chat follows (every story when it follows all of them); a chat that follows none
is told to name one. Nothing found for what looks like a misspelt topic suggests the topic, as ``/latest`` does.

At most ``MAX_ROWS`` stories, the most recently reported first; the caption then says "the newest N of M".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.commands.export import ExportRequest, build_files
from bot.commands.period import MAX_PERIOD, period_seconds
from bot.deliver.model import Reply
from bot.text.messages import text
from bot.text.names import entity_name
from storage import subscriptions as subs
from storage.exports import ExportFilter, count_stories, export_rows
from storage.tables import Subscription

MAX_ROWS = 500  # stories in one export: two files well under Discord's 8 MiB and Telegram's 50 MB uploads
DEFAULT_PERIOD = "30d"
FORMATS = ("csv", "json")


def export_reply(
    s: Session,
    sub: Subscription | None,
    lang: str,
    args: list[str],
    *,
    now: datetime,
    topic_name: Callable[[str, str], str],
) -> Reply:
    from bot.match import entity_lookup, suggest_topic, topic_lookup

    tokens = " ".join(args).split()
    period: str | None = None
    language: str | None = None
    fmt: str | None = None
    while tokens:
        last = tokens[-1].lower()
        if period is None and period_seconds(last) is not None:
            period = last
        elif language is None and last in ("ar", "en"):
            language = last
        elif fmt is None and last in FORMATS:
            fmt = last
        else:
            break
        tokens.pop()
    period = period or DEFAULT_PERIOD
    period = f"{int(period[:-1])}{period[-1]}"  # "٣٠d" (Arabic-Indic digits) is shown and named "30d"
    seconds = period_seconds(period) or 0
    if seconds > MAX_PERIOD:
        return Reply(text=text(lang, "bad_period", value=period), error=True, language=lang)
    since = now - timedelta(seconds=seconds)
    query = " ".join(tokens).strip()
    topic = entity = None
    if query:
        topic = topic_lookup(query)
        entity = None if topic else entity_lookup(query)
        words = () if topic or entity else tuple(w for w in query.split() if len(w) >= 2)
        if not (topic or entity or words):
            return Reply(text=text(lang, "export_usage"), error=True, language=lang)
        topics: tuple[str, ...] = (topic,) if topic else ()
        shown = topic_name(topic, lang) if topic else entity_name(entity, lang) if entity else query[:64]
        key = topic or entity or "search"
    else:
        if sub is None or not (subs.follows_all(sub) or subs.topic_ids(sub)):
            return Reply(text=text(lang, "export_no_topics"), error=True, language=lang)
        topics, words = tuple(subs.topic_ids(sub)), ()
        shown = text(lang, "export_chat_topics")
        key = "all" if subs.follows_all(sub) else "chat-topics"
    found = ExportFilter(since=since, topics=topics, entity=entity, words=words, language=language)
    total = count_stories(s, found)
    described = shown + "".join(f" · {x}" for x in (period, language) if x)
    if not total:
        msg = text(lang, "export_none", query=described)
        hint = suggest_topic(query) if query and not (topic or entity) else None
        if hint:
            msg += " " + text(lang, "did_you_mean", suggestion=hint, name=topic_name(hint, lang))
        return Reply(text=msg, language=lang)
    rows = export_rows(s, found, limit=MAX_ROWS)
    request = ExportRequest(
        language=lang,
        query=shown,
        slug=key,
        period=period,
        since=since,
        until=now,
        total=total,
        topics=topics,
        entity=entity,
        item_language=language,
    )
    files = build_files(
        rows, request, topic_name=topic_name, entity_name=entity_name, formats=(fmt,) if fmt else FORMATS
    )
    caption = (
        text(lang, "export_caption", query=described, count=len(rows))
        if len(rows) >= total
        else text(lang, "export_capped", query=described, count=len(rows), total=total)
    )
    return Reply(text=caption, documents=files, language=lang)
