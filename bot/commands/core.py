"""The platform-neutral command core: ``Core.handle(Invocation) -> Reply``.

Adapters only translate. Here live argument parsing and caps, permission checks (settings change only by
admins outside private chats), topic resolution (ids, Arabic and English names and aliases, suggestions on
a typo), signed callback data, and the replies in the chat's language.

Rules the rest of the code relies on:

* input is validated before anything is written, and a refused command (an error reply) is rolled back;
  arguments lose what no database column holds (NUL and other controls, lone surrogates);
* a language, a setting or a watch term is stored on the chat's row, which then follows no topic
  (``subs.NO_TOPICS``): only ``/subscribe`` makes a chat follow topics, and only ``/subscribe all`` all of them;
* a button shown in one chat about another (a channel managed from a private chat) carries that chat's id
  inside its signed data, and acts there only;
* a reply's text is at most ``MAX_REPLY_CHARS``; lists end with "…and N more".
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import math
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.commands.export_command import export_reply
from bot.commands.model import ADMIN_COMMANDS, LISTING_COMMANDS, Invocation, callback_target
from bot.commands.period import MAX_PERIOD
from bot.commands.period import period_seconds as _period
from bot.deliver.model import Button, Reply
from bot.deliver.terms import looks_like_pattern, same_term, term_key
from bot.deliver.views import alert_view
from bot.domain import Severity
from bot.log import REDACT
from bot.text.messages import help_lines, text, words
from bot.text.mojibake import GARBLED_TEXT
from bot.text.names import topic_name
from storage import repositories as repo
from storage import subscriptions as subs
from storage.db import session
from storage.tables import Feed, ItemRow, StoryItem, Subscription

log = logging.getLogger("raqib.commands")

MAX_ARGS_CHARS = 1024
MAX_TOPICS = 20
MAX_LATEST = 10  # stories per /latest: at most two Telegram messages even with maximal items
LATEST_PAGE, LATEST_PAGES = 50, 10  # /latest … ar reads at most this many stories to find those in a language
MAX_TERMS = 20
MAX_REPLY_CHARS = 3500  # one Telegram message (4,096), two Discord ones: a reply never floods a chat
MAX_NAME = 80  # a feed's title as shown in a reply (feeds choose their titles)
# Commands that take real CPU (a digest draws a chart, an export writes files): at most HEAVY_SLOTS run at once, so
# a flood of them waits for its turn instead of taking every worker thread the other chats' commands need.
HEAVY = frozenset({"digest", "export"})
HEAVY_SLOTS = 2
NO_LEXICON = frozenset({"help", "start", "status", "feeds", "lang"})  # answered without topics or entities
# /settings severity: the word typed (either language; bot/locales/*.yaml words_severity_*) -> the stored level
SEVERITY_WORDS = {word: level for level in Severity.rising() for word in words(f"words_severity_{level}")}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DigestFn = Callable[[Session, Subscription, datetime], Reply | None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Core:
    def __init__(
        self,
        engine: Engine,
        *,
        secret: bytes,
        clock: Callable[[], datetime] = _utcnow,
        digest: DigestFn | None = None,
    ) -> None:
        self.engine = engine
        self.secret = secret
        self.clock = clock
        self.digest = digest
        self._heavy = asyncio.Semaphore(HEAVY_SLOTS)
        self._warm = False
        self._warming = asyncio.Lock()

    # -- callback data: short (Telegram allows 64 bytes), signed so a forged button does nothing ----------
    def sign(self, payload: str) -> str:
        mac = hmac.new(self.secret, payload.encode(), hashlib.sha256).digest()[:6]
        return f"{payload}|{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def verify(self, data: str) -> str | None:
        payload, _, mac = data.rpartition("|")
        return payload if payload and hmac.compare_digest(self.sign(payload), data) and mac else None

    # -- entry point ---------------------------------------------------------------------------------------
    async def handle(self, inv: Invocation) -> Reply:
        try:
            if inv.command.lower() not in NO_LEXICON:
                await self._warm_up()
            # Only a command that changes something needs the platform asked (getChatMember costs a request).
            asks = inv.command.lower() in ADMIN_COMMANDS or inv.callback_data is not None
            is_admin = await self._admin(inv) if asks else False
            if inv.command.lower() in HEAVY:
                async with self._heavy:
                    reply = await asyncio.to_thread(self._handle, inv, is_admin)
            else:
                reply = await asyncio.to_thread(self._handle, inv, is_admin)
        except Exception:
            log.exception("command /%s failed", inv.command)
            return Reply(text=text(self._lang_hint(inv), "error"), error=True, language=self._lang_hint(inv))
        if len(reply.text) > MAX_REPLY_CHARS:
            reply = dataclasses.replace(reply, text=reply.text[: MAX_REPLY_CHARS - 1] + "…")
        return reply

    async def _warm_up(self) -> None:
        """Build the lexicon (a few seconds) once, before the first command: commands arriving together must
        not each build it in their own thread, which took every worker for seconds."""
        if self._warm:
            return
        async with self._warming:
            if not self._warm:
                await asyncio.to_thread(self._lexicon)
                self._warm = True

    async def _admin(self, inv: Invocation) -> bool:
        if inv.chat_type == "private" and inv.target_chat_id in (None, inv.chat_id):
            return True
        return bool(inv.is_admin and await inv.is_admin())

    @staticmethod
    def _lang_hint(inv: Invocation) -> str:
        return "ar" if (inv.user_language or "").lower().startswith("ar") else "en"

    def _handle(self, inv: Invocation, is_admin: bool) -> Reply:
        try:
            return self._handle_once(inv, is_admin)
        except IntegrityError:
            # Two commands created the same chat's row at once (a channel's Discord interactions run concurrently;
            # Telegram's run one at a time per chat): this one was rolled back, and runs again on the row now there.
            return self._handle_once(inv, is_admin)

    def _handle_once(self, inv: Invocation, is_admin: bool) -> Reply:
        target = inv.target_chat_id or inv.chat_id
        with session(self.engine) as s:
            sub = subs.get_subscription(s, inv.platform, target)
            lang = sub.interface_language if sub else self._lang_hint(inv)
            command, args = inv.command.lower(), list(inv.args)
            if inv.callback_data is not None:
                payload = self.verify(inv.callback_data)
                # A button about another chat (a channel managed from a private chat) names it; the adapter
                # routed the press there and checked the presser administers it. Anything else is not ours.
                if payload is None or callback_target(inv.callback_data) not in (None, target):
                    return Reply(text=text(lang, "forged"), error=True, language=lang)
                command, *args = payload.split(":")
                if args and args[-1].startswith("@"):
                    args.pop()
            if sum(len(a) for a in args) > MAX_ARGS_CHARS:
                return Reply(text=text(lang, "too_long", max=MAX_ARGS_CHARS), error=True, language=lang)
            args = [c for c in (_clean(a) for a in args) if c]
            if command in ADMIN_COMMANDS and not is_admin and not (command in LISTING_COMMANDS and not args):
                key = "channel_admin_required" if inv.target_chat_id not in (None, inv.chat_id) else "admins_only"
                return Reply(text=text(lang, key), error=True, language=lang, ephemeral=True)
            handler = getattr(self, f"cmd_{command}", None)
            if handler is None:
                return Reply(text=text(lang, "unknown_command", command=command[:32]), error=True, language=lang)
            reply: Reply = handler(s, inv, target, sub, lang, args)
            if reply.error:
                s.rollback()  # a refused command changes nothing
            else:
                s.commit()
            return reply

    def _sign_for(self, inv: Invocation, target: str, payload: str) -> str:
        """Signed button data; a button about another chat than the one it is shown in names that chat, so a
        press acts there (and the adapter checks the presser administers it), never on the chat it sits in."""
        return self.sign(payload if target == inv.chat_id else f"{payload}:@{target}")

    # -- topics --------------------------------------------------------------------------------------------
    @staticmethod
    def _lexicon() -> Any:
        from bot.match import load_lexicon

        return load_lexicon()

    def _resolve_topics(self, args: list[str], lang: str) -> tuple[list[str], Reply | None]:
        from bot.match import suggest_topic, topic_lookup

        if len(args) > MAX_TOPICS:
            return [], Reply(text=text(lang, "too_many_topics", max=MAX_TOPICS), error=True, language=lang)
        # Names have several words ("export controls", "ضوابط التصدير"): try the whole phrase first.
        phrase = " ".join(args)
        whole = topic_lookup(phrase)
        if whole:
            return [whole], None
        found = []
        for arg in args:
            tid = topic_lookup(arg)
            if tid is None:
                msg = text(lang, "unknown_topic", query=arg[:64])
                hint = suggest_topic(arg)
                msg += " " + (
                    text(lang, "did_you_mean", suggestion=hint, name=topic_name(hint, lang))
                    if hint
                    else text(lang, "see_topics")
                )
                return [], Reply(text=msg, error=True, language=lang)
            found.append(tid)
        return list(dict.fromkeys(found)), None

    # -- commands ------------------------------------------------------------------------------------------
    def cmd_start(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        return Reply(text=text(lang, "start"), language=lang)

    def cmd_help(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        lines = help_lines(lang, inv.platform, inv.commands)  # only what this platform registers
        return Reply(text="\n".join([text(lang, "help"), "", *lines]), language=lang)

    def cmd_topics(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        lines = [text(lang, "topics_header")]
        for t in self._lexicon().topics.values():
            lines.append(f"• {t.id} — {topic_name(t.id, lang)}")
        return Reply(text=_capped(lines, lang), language=lang)

    def cmd_subscribe(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        if not args:
            rows = [
                (Button(topic_name(t.id, lang), self._sign_for(inv, target, f"subscribe:{t.id}")),)
                for t in self._lexicon().topics.values()
            ]
            return Reply(text=text(lang, "choose_topics"), buttons=tuple(rows), language=lang)
        everything = len(args) == 1 and args[0].lower() in words("words_all")
        # Resolve first: a refused /subscribe must neither create a subscription (new ones follow ALL topics)
        # nor resume a paused one.
        topics, error = ([], None) if everything else self._resolve_topics(args, lang)
        if error:
            return error
        now = self.clock()
        created = sub is None
        sub = sub or subs.get_or_create(s, inv.platform, target, now=now, language=lang)
        sub.paused, sub.paused_reason, sub.updated_at = False, None, now
        if inv.options is not None:  # the platform's own (Discord: the server, a role to ping)
            sub.options = inv.options.merged_into(sub.options)
        s.add(sub)
        if everything:
            sub.topics = ""
            return Reply(text=text(lang, "subscribed_all"), language=lang)
        current = subs.topic_ids(sub)
        if not created and subs.follows_all(sub):  # already following every topic
            return Reply(text=text(lang, "already", topics=text(lang, "all_topics")), language=lang)
        added = [t for t in topics if t not in current]
        sub.topics = " ".join(dict.fromkeys([*current, *topics]))
        names = ", ".join(topic_name(t, lang) for t in topics)
        return Reply(text=text(lang, "subscribed" if added else "already", topics=names), language=lang)

    def cmd_unsubscribe(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        if sub is None:
            return Reply(text=text(lang, "not_subscribed"), language=lang)
        now = self.clock()
        if not args or (len(args) == 1 and args[0].lower() in words("words_all")):
            # The chat stops receiving alerts; its language and settings stay (a later /subscribe finds them).
            subs.stop_alerts(s, sub, now)
            return Reply(text=text(lang, "unsubscribed_all"), language=lang)
        topics, error = self._resolve_topics(args, lang)
        if error:
            return error
        # "All topics" minus some is every other topic, named: the chat keeps its watch terms and settings.
        current = list(self._lexicon().topics) if subs.follows_all(sub) else subs.topic_ids(sub)
        if not set(topics) & set(current):
            names = ", ".join(topic_name(t, lang) for t in topics)
            return Reply(text=text(lang, "not_following", topics=names), language=lang)
        remaining = [t for t in current if t not in topics]
        sub.topics, sub.updated_at = " ".join(remaining) or subs.NO_TOPICS, now
        s.add(sub)
        names = ", ".join(topic_name(t, lang) for t in topics if t in current)
        if not remaining:
            return Reply(text=text(lang, "unsubscribed_last", topics=names), language=lang)
        rest = ", ".join(topic_name(t, lang) for t in remaining)
        return Reply(
            text=text(lang, "unsubscribed", topics=names) + " " + text(lang, "still_following", topics=rest),
            language=lang,
        )

    def _describe(self, sub: Subscription, lang: str) -> dict[str, object]:
        if subs.follows_all(sub):
            topics = text(lang, "all_topics")
        else:
            topics = ", ".join(topic_name(t, lang) for t in subs.topic_ids(sub)) or text(lang, "no_topics")
        digest = sub.digest if sub.digest == "off" else f"{sub.digest} {DAYS[sub.digest_day]} {sub.digest_hour:02d}:00"
        return {
            "topics": topics,
            "languages": sub.languages.replace(" ", "+"),
            "min_score": f"{sub.min_score:.2f}",
            "min_severity": text(lang, f"severity_{Severity.parse(sub.min_severity, Severity.NORMAL)}"),
            "timezone": sub.timezone,
            "digest": digest,
            "paused": text(lang, "paused", reason=sub.paused_reason or "") if sub.paused else "",
        }

    def cmd_subscriptions(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        watch, mute = (subs.terms(sub, "watch"), subs.terms(sub, "mute")) if sub else ([], [])
        if sub is None or not (subs.follows_all(sub) or subs.topic_ids(sub) or watch):
            return Reply(text=text(lang, "not_subscribed"), language=lang)  # settings alone are no subscription
        msg = text(lang, "subscriptions", **self._describe(sub, lang))
        if watch or mute:
            none = text(lang, "none")
            msg += "\n" + text(lang, "term_list", watch=", ".join(watch) or none, mute=", ".join(mute) or none)
        return Reply(text=msg, language=lang)

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
            elif period is None and _period(last) is not None:
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
        seconds = _period(period) if period else None
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
                return repo.latest_stories(s, topic=topic, entity=entity, limit=n, offset=at, since=since)
            days = 90 if since is None else max(1, math.ceil((datetime.now(UTC) - since).total_seconds() / 86400))
            found = repo.search_stories(s, query, limit=n, offset=at, days=days)
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

    def cmd_lang(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        if len(args) != 1 or args[0].lower() not in ("ar", "en"):
            return Reply(text=text(lang, "lang_usage"), error=True, language=lang)
        new = args[0].lower()
        sub = sub or subs.chat_settings(s, inv.platform, target, now=self.clock(), language=new)
        sub.interface_language, sub.updated_at = new, self.clock()
        s.add(sub)
        return Reply(text=text(new, "lang_set"), language=new)

    def cmd_settings(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        if not args:  # showing is reading: a chat without a row is shown the defaults, and gets no row
            shown = sub or self._defaults(inv, target, lang)
            return Reply(
                text=text(lang, "settings_show", **self._describe(shown, lang)),
                buttons=self._settings_buttons(inv, target, lang),
                language=lang,
            )
        key, values = args[0].lower(), args[1:]
        # Validate on a copy first: a refused setting must not create the chat's row (nor touch it).
        problem = self._apply_setting(self._defaults(inv, target, lang), key, values, lang)
        if problem:
            return Reply(text=problem, error=True, language=lang)
        sub = sub or subs.chat_settings(s, inv.platform, target, now=self.clock(), language=lang)
        self._apply_setting(sub, key, values, lang)
        sub.updated_at = self.clock()
        s.add(sub)
        return Reply(text=text(lang, "settings_saved", what=f"{key} {' '.join(values)}".strip()), language=lang)

    def _defaults(self, inv: Invocation, target: str, lang: str) -> Subscription:
        """An unsaved row with the defaults, for showing settings and validating changes."""
        now = self.clock()
        return Subscription(
            platform=inv.platform, target=target, interface_language=lang, created_at=now, updated_at=now
        )

    def _settings_buttons(self, inv: Invocation, target: str, lang: str) -> tuple[tuple[Button, ...], ...]:
        """One tap for the common choices; the time zone and the digest's hour are typed (/settings timezone …)."""

        def row(key: str, choices: list[tuple[str, str]]) -> tuple[Button, ...]:
            return tuple(
                Button(label, self._sign_for(inv, target, f"settings:{key}:{value}")) for label, value in choices
            )

        return (
            row("min_score", [(f"≥ {v}", v) for v in ("0", "0.3", "0.5", "0.7")]),
            row("severity", [(text(lang, f"severity_{v}"), v.value) for v in Severity.rising()]),
            row(
                "languages",
                [(text(lang, f"button_languages_{v}"), v) for v in ("ar", "en", "both")],
            ),
            row(
                "digest",
                [
                    (text(lang, "button_digest_off"), "off"),
                    (text(lang, "button_digest_daily"), "daily"),
                    (text(lang, "button_digest_weekly"), "weekly:mon"),
                ],
            ),
        )

    def _apply_setting(self, sub: Subscription, key: str, values: list[str], lang: str) -> str | None:
        if key in ("min_score", "score"):
            try:
                score = float(values[0])
            except (IndexError, ValueError):
                return text(lang, "bad_min_score")
            if not 0 <= score <= 1:
                return text(lang, "bad_min_score")
            sub.min_score = score
        elif key in ("severity", "min_severity"):
            severity = SEVERITY_WORDS.get(values[0].lower() if values else "")
            if severity is None:
                return text(lang, "bad_severity")
            sub.min_severity = severity
        elif key in ("languages", "language", "items"):
            choice = values[0].lower() if values else ""
            if choice not in ("ar", "en", "both"):
                return text(lang, "bad_languages")
            sub.languages = "ar en" if choice == "both" else choice
        elif key in ("timezone", "tz"):
            value = values[0] if values else ""
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                return text(lang, "bad_timezone", value=value[:64])
            sub.timezone = value
        elif key == "digest":
            return self._apply_digest(sub, [v.lower() for v in values], lang)
        elif key == "trends":
            choice = values[0].lower() if values else ""
            if choice not in ("on", "off"):
                return text(lang, "bad_trends")
            sub.trend_alerts = choice == "on"
        else:
            return text(lang, "unknown_setting", value=key[:32])
        return None

    @staticmethod
    def _apply_digest(sub: Subscription, values: list[str], lang: str) -> str | None:
        if values == ["off"]:
            sub.digest = "off"
            return None
        try:
            if values[0] == "daily" and len(values) in (1, 2):
                hour = int(values[1]) if len(values) == 2 else 8
                day = 0
            elif values[0] == "weekly" and len(values) in (2, 3):
                day = DAYS.index(values[1][:3])
                hour = int(values[2]) if len(values) == 3 else 8
            else:
                raise ValueError
        except (IndexError, ValueError):
            return text(lang, "bad_digest")
        if not 0 <= hour <= 23:
            return text(lang, "bad_digest")
        sub.digest, sub.digest_day, sub.digest_hour = values[0], day, hour
        return None

    def _add_term(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str], which: str
    ) -> Reply:
        term = " ".join(" ".join(args).split()).strip("\"“”«»'").strip()
        if not args:  # /watch or /mute alone lists the chat's terms
            return self._term_list(sub, lang)
        if looks_like_pattern(term):  # never stored: it would only ever match itself, literally
            return Reply(text=text(lang, "term_pattern", term=_short(term, 64)), error=True, language=lang)
        if not 2 <= len(term) <= 64:
            return Reply(text=text(lang, "bad_term"), error=True, language=lang)
        if not term_key(term):
            return Reply(text=text(lang, "term_no_words", term=_short(term, 64)), error=True, language=lang)
        current = subs.terms(sub, which) if sub else []
        known = next((t for t in current if same_term(t, term)), None)
        if known is not None:
            return Reply(text=text(lang, f"{which}_already", term=known), language=lang)
        if len(current) >= MAX_TERMS:
            return Reply(text=text(lang, "bad_term"), error=True, language=lang)
        # A new chat's first watch term follows only what it names: the row is created following no topic.
        sub = sub or subs.chat_settings(s, inv.platform, target, now=self.clock(), language=lang)
        self._store_terms(s, sub, which, [*current, term])
        msg = text(lang, f"{which}_added", term=term)
        muted = next((t for t in subs.terms(sub, "mute") if same_term(t, term)), None) if which == "watch" else None
        if muted is not None:  # a muted term always wins: say so rather than let the chat wait for alerts
            msg += " " + text(lang, "watch_but_muted", term=muted)
        return Reply(text=msg, language=lang)

    def _remove_term(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str], which: str
    ) -> Reply:
        term = " ".join(" ".join(args).split()).strip("\"“”«»'").strip()
        if not term:
            return Reply(text=text(lang, f"un{which}_usage"), error=True, language=lang)
        current = subs.terms(sub, which) if sub else []
        known = next((t for t in current if t == term), None) or next((t for t in current if same_term(t, term)), None)
        if sub is None or known is None:
            listed = ", ".join(current) or text(lang, "none")
            key = "not_watching" if which == "watch" else "not_muted"
            return Reply(text=text(lang, key, term=_short(term, 64), terms=listed), language=lang)
        self._store_terms(s, sub, which, [t for t in current if t != known])
        return Reply(text=text(lang, f"un{which}_done", term=known), language=lang)

    def _store_terms(self, s: Session, sub: Subscription, which: str, terms: list[str]) -> None:
        value = json.dumps(list(dict.fromkeys(terms)), ensure_ascii=False)
        if which == "watch":
            sub.watch_terms = value
        else:
            sub.mute_terms = value
        sub.updated_at = self.clock()
        s.add(sub)

    @staticmethod
    def _term_list(sub: Subscription | None, lang: str) -> Reply:
        watch, mute = (subs.terms(sub, "watch"), subs.terms(sub, "mute")) if sub else ([], [])
        if not (watch or mute):
            return Reply(text=text(lang, "terms_none"), language=lang)
        none = text(lang, "none")
        return Reply(
            text=text(lang, "term_list", watch=", ".join(watch) or none, mute=", ".join(mute) or none), language=lang
        )

    def cmd_watch(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        return self._add_term(s, inv, target, sub, lang, args, "watch")

    def cmd_mute(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        return self._add_term(s, inv, target, sub, lang, args, "mute")

    def cmd_unwatch(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        return self._remove_term(s, inv, target, sub, lang, args, "watch")

    def cmd_unmute(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        return self._remove_term(s, inv, target, sub, lang, args, "mute")

    def cmd_feeds(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        feeds = repo.list_feeds(s)
        now = self.clock()
        lines = [text(lang, "feeds_header", count=len(feeds))]
        for f in feeds:
            name = _short(f.title or f.id, MAX_NAME)
            if not f.enabled:
                lines.append(text(lang, "feed_disabled", name=name, reason=_short(f.disabled_reason or "", 120)))
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
                lines.append(text(lang, "feed_garbled", name=name, ago=_ago(f.last_success, now, lang)))
            else:
                lines.append(text(lang, "feed_ok", name=name, ago=_ago(f.last_success, now, lang)) + _pace(f, lang))
        return Reply(text=_capped(lines, lang), language=lang)

    def cmd_status(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        c = subs.service_counts(s)
        last = c["last_poll"]
        c["last_poll"] = _ago(last, self.clock(), lang) if isinstance(last, datetime) else text(lang, "never")
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


def _clean(arg: str) -> str:
    """User input without what no database column holds: NUL and other control characters, lone surrogates
    (PostgreSQL refuses NUL in text, and a lone surrogate cannot be encoded)."""
    return "".join(ch for ch in arg if unicodedata.category(ch) not in ("Cc", "Cs"))


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


def _short(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _capped(lines: list[str], lang: str, budget: int = MAX_REPLY_CHARS) -> str:
    """Lines joined up to ``budget`` characters; the rest are counted: "…and N more"."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        more = text(lang, "and_more", count=len(lines) - i)
        room = budget if i == len(lines) - 1 else budget - len(more) - 1  # the last line needs no "…and N more"
        if used + len(line) + 1 > room:
            out.append(more)
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def _ago(when: datetime | None, now: datetime, lang: str) -> str:
    if when is None:
        return text(lang, "never")
    minutes = max(0, int((now - when).total_seconds() // 60))
    return text(lang, "ago_minutes", n=minutes) if minutes < 120 else text(lang, "ago_hours", n=minutes // 60)
