"""``/topics``, ``/subscribe``, ``/unsubscribe``, ``/subscriptions``: which topics a chat follows.

Only ``/subscribe`` makes a chat follow topics, and only ``/subscribe all`` all of them; a refused
``/subscribe`` neither creates a subscription nor resumes a paused one. ``/unsubscribe`` alone stops every alert
(``subs.stop_alerts``: no topics, watch terms, digest or trend notices) and keeps the chat's language and
settings; ``/unsubscribe TOPIC`` of a chat following all topics leaves it following every other one, named.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.commands.base import CommandBase, capped
from bot.commands.model import Invocation
from bot.commands.settings import describe
from bot.commands.watch import terms_text
from bot.deliver.model import Button, Reply
from bot.text.messages import text, words
from bot.text.names import topic_name
from storage import subscriptions as subs
from storage.tables import Subscription


class SubscriptionCommands(CommandBase):
    def cmd_topics(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        lines = [text(lang, "topics_header")]
        for t in self._lexicon().topics.values():
            lines.append(f"• {t.id} — {topic_name(t.id, lang)}")
        return Reply(text=capped(lines, lang), language=lang)

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

    def cmd_subscriptions(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        watch = subs.terms(sub, "watch") if sub else []
        if sub is None or not (subs.follows_all(sub) or subs.topic_ids(sub) or watch):
            return Reply(text=text(lang, "not_subscribed"), language=lang)  # settings alone are no subscription
        msg = text(lang, "subscriptions", **describe(sub, lang))
        listed = terms_text(sub, lang)
        if listed:
            msg += "\n" + listed
        return Reply(text=msg, language=lang)
