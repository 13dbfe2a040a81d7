"""The read-only commands: ``/start``, ``/help``, ``/latest``, ``/feeds``, ``/status``, ``/digest``, ``/export``.

None of them writes: a chat without a row is answered with the defaults and gets no row. ``/latest`` reads a
topic, an entity or words, with modifiers at the end in any order; its "More" button carries them in its
signed data. Lists are capped to one reply (``base.capped``: "…and N more").
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.commands.base import CommandBase, ago, capped, short
from bot.commands.export_command import export_reply
from bot.commands.model import Invocation
from bot.commands.period import MAX_PERIOD, period_seconds
from bot.deliver.model import Button, Reply
from bot.deliver.views import alert_view
from bot.log import REDACT
from bot.text.messages import help_lines, text
from bot.text.mojibake import GARBLED_TEXT
from bot.text.names import topic_name
from storage import subscriptions as subs
from storage.feeds import list_feeds
from storage.queries import latest_stories, search_stories
from storage.tables import Feed, ItemRow, StoryItem, Subscription

MAX_LATEST = 10  # stories per /latest: at most two Telegram messages even with maximal items
LATEST_PAGE, LATEST_PAGES = 50, 10  # /latest … ar reads at most this many stories to find those in a language
MAX_NAME = 80  # a feed's title as shown in a reply (feeds choose their titles)


class QueryCommands(CommandBase):
    def cmd_start(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        return Reply(text=text(lang, "start"), language=lang)

    def cmd_help(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        lines = help_lines(lang, inv.platform, inv.commands)  # only what this platform registers
        return Reply(text="\n".join([text(lang, "help"), "", *lines]), language=lang)

    def cmd_latest(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        """``/latest QUERY [N] [PERIOD] [ar|en]``: a topic, an entity or words; the modifiers at the end in any
        order (``/latest hbm 7d ar 5``). Nothing found for what looks like a misspelt topic suggests the topic."""
        from bot.match import entity_lookup, suggest_topic, topic_lookup

        offset, count = 0, None
        if inv.callback_data is not None and len(args) >= 3 and args[-1].isdecimal() and args[-2].isdecimal():
            count, offset = max(1, min(int(args.pop()), MAX_LATEST)), int(args.pop())
        tokens = " ".join(args).split()
        period: str | None = None
        language: str | None = None
        while len(tokens) > 1:  # the query itself is never taken for a modifier
            last = tokens[-1].lower()
            if count is None and _number(last):
                count = max(1, min(int(last), MAX_LATEST))
            elif period is None and period_seconds(last) is not None:
                period = last
            elif language is None and last in ("ar", "en"):
                language = last
            else:
                break
            tokens.pop()
        count = count or 5
        query = " ".join(tokens).strip()
        if not query:
            return Reply(text=text(lang, "latest_usage"), error=True, language=lang)
        seconds = period_seconds(period) if period else None
        if seconds is not None and seconds > MAX_PERIOD:
            return Reply(text=text(lang, "bad_period", value=period), error=True, language=lang)
        since = self.clock() - timedelta(seconds=seconds) if seconds else None
        topic = topic_lookup(query)
        entity = None if topic else entity_lookup(query)
        stories = self._latest(s, query, topic, entity, since, language, count + 1, offset)
        shown = query[:64] + "".join(f" · {x}" for x in (period, language) if x)
        if not stories:
            msg = text(lang, "latest_none", query=shown)
            hint = None if topic or entity else suggest_topic(query)
            if hint:
                msg += " " + text(lang, "did_you_mean", suggestion=hint, name=topic_name(hint, lang))
            return Reply(text=msg, language=lang)
        views = tuple(v for st in stories[:count] if st.id is not None and (v := alert_view(s, st.id)) is not None)
        buttons: tuple[tuple[Button, ...], ...] = ()
        if len(stories) > count:
            more = " ".join([query[:24].replace(":", " "), *(x for x in (period, language) if x)])
            data = self.sign(f"latest:{more}:{offset + count}:{count}")
            if len(data.encode()) <= 64:
                buttons = ((Button(text(lang, "more"), data),),)
        return Reply(text=text(lang, "latest_header", query=shown), alerts=views, buttons=buttons, language=lang)

    @staticmethod
    def _latest(
        s: Session,
        query: str,
        topic: str | None,
        entity: str | None,
        since: datetime | None,
        language: str | None,
        limit: int,
        offset: int,
    ) -> list[Any]:
        """Stories for /latest; with a ``language``, those with at least one report in it (read page by page)."""

        def page(n: int, at: int) -> list[Any]:
            if topic or entity:
                return latest_stories(s, topic=topic, entity=entity, limit=n, offset=at, since=since)
            days = 90 if since is None else max(1, math.ceil((datetime.now(UTC) - since).total_seconds() / 86400))
            found = search_stories(s, query, limit=n, offset=at, days=days)
            return [st for st in found if since is None or (st.last_published and st.last_published >= since)]

        if language is None:
            return page(limit, offset)
        kept: list[Any] = []
        skipped, at = 0, 0
        for _ in range(LATEST_PAGES):
            batch = page(LATEST_PAGE, at)
            at += LATEST_PAGE
            ids = [st.id for st in batch if st.id is not None]
            spoken = _in_language(s, ids, language) if ids else set()
            for st in batch:
                if st.id in spoken:
                    if skipped < offset:
                        skipped += 1
                    elif len(kept) < limit:
                        kept.append(st)
            if len(kept) >= limit or len(batch) < LATEST_PAGE:
                break
        return kept

    def cmd_feeds(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        feeds = list_feeds(s)
        now = self.clock()
        lines = [text(lang, "feeds_header", count=len(feeds))]
        for f in feeds:
            name = short(f.title or f.id, MAX_NAME)
            if not f.enabled:
                lines.append(text(lang, "feed_disabled", name=name, reason=short(f.disabled_reason or "", 120)))
            elif f.consecutive_failures:
                lines.append(
                    text(
                        lang,
                        "feed_failing",
                        name=name,
                        failures=f.consecutive_failures,
                        error=REDACT(f.last_error or "")[:120],  # a feed URL may carry credentials
                    )
                )
            elif f.last_error_code == GARBLED_TEXT:  # polled fine, but some items' text is unreadable
                lines.append(text(lang, "feed_garbled", name=name, ago=ago(f.last_success, now, lang)))
            else:
                lines.append(text(lang, "feed_ok", name=name, ago=ago(f.last_success, now, lang)) + _pace(f, lang))
        return Reply(text=capped(lines, lang), language=lang)

    def cmd_status(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        c = subs.service_counts(s)
        last = c["last_poll"]
        c["last_poll"] = ago(last, self.clock(), lang) if isinstance(last, datetime) else text(lang, "never")
        return Reply(text=text(lang, "status", **c), language=lang)

    def cmd_digest(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        probe = sub or Subscription(
            platform=inv.platform,
            target=target,
            interface_language=lang,
            created_at=self.clock(),
            updated_at=self.clock(),
        )
        reply = self.digest(s, probe, self.clock()) if self.digest else None
        return reply or Reply(text=text(lang, "digest_unavailable"), language=lang)

    def cmd_export(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        """``/export [TOPIC|ENTITY|WORDS] [PERIOD] [ar|en] [csv|json]``: the stories as files (export_command)."""
        return export_reply(s, sub, lang, args, now=self.clock(), topic_name=topic_name)


def _number(arg: str) -> bool:
    """A count typed by a user: up to three decimal digits, ASCII or Arabic-Indic ("٥"); "²" and "½" are not."""
    return 0 < len(arg) <= 3 and arg.isdecimal()


def _in_language(s: Session, story_ids: list[int], language: str) -> set[int]:
    """Of ``story_ids``, those with at least one item in ``language``."""
    stmt = (
        select(StoryItem.story_id)
        .join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
        .where(col(StoryItem.story_id).in_(story_ids), ItemRow.language == language)
        .distinct()
    )
    return set(s.exec(stmt).all())


def _pace(feed: Feed, lang: str) -> str:
    """`` · every 1 h, as the feed asks (ttl)``: only when the feed's own ask set its interval or was capped.

    An ask below the configured interval changed nothing (the feeds file's interval is the floor): not shown.
    """
    every, asks = feed.poll_interval, feed.paced_asks
    if not (feed.paced_by and every and asks) or asks < every:
        return ""
    key = "feed_paced" if asks == every else "feed_paced_capped"
    return " · " + text(lang, key, every=_span(every, lang), asks=_span(asks, lang), source=feed.paced_by)


def _span(seconds: float, lang: str) -> str:
    """A poll interval in the chat's language: minutes below two hours, hours below two days, then days."""
    if seconds < 7200:
        return text(lang, "span_minutes", n=round(seconds / 60))
    if seconds < 2 * 86400:
        return text(lang, "span_hours", n=f"{round(seconds / 3600, 1):g}")
    return text(lang, "span_days", n=f"{round(seconds / 86400, 1):g}")
