"""``/watch``, ``/mute``, ``/unwatch``, ``/unmute``: a chat's own terms, beside its topics.

A watched term brings the chat the items that name it, off its topics too; a muted term keeps away every
item that names it, and always wins. Both lists are one path each way: ``_add_term`` and
``_remove_term`` take which list they change. Terms are compared as the matcher reads them
(``bot.deliver.terms``: ``same_term``, ``term_key``), so two spellings of one term are one term; a pattern
(``*``, a regular expression) is refused, since it would only ever match itself.
"""

from __future__ import annotations

import json
from functools import partialmethod
from typing import Literal

from sqlmodel import Session

from bot.commands.base import CommandBase, short
from bot.commands.model import Invocation
from bot.deliver.model import Reply
from bot.deliver.terms import looks_like_pattern, same_term, term_key
from bot.text.messages import text
from storage import subscriptions as subs
from storage.tables import Subscription

MAX_TERMS = 20
Which = Literal["watch", "mute"]
NOT_LISTED = {"watch": "not_watching", "mute": "not_muted"}  # the text for a term not in the list


class TermCommands(CommandBase):
    def _add_term(
        self,
        which: Which,
        s: Session,
        inv: Invocation,
        target: str,
        sub: Subscription | None,
        lang: str,
        args: list[str],
    ) -> Reply:
        term = _typed(args)
        if not args:  # /watch or /mute alone lists the chat's terms
            return Reply(text=terms_text(sub, lang) or text(lang, "terms_none"), language=lang)
        if looks_like_pattern(term):  # never stored: it would only ever match itself, literally
            return Reply(text=text(lang, "term_pattern", term=short(term, 64)), error=True, language=lang)
        if not 2 <= len(term) <= 64:
            return Reply(text=text(lang, "bad_term"), error=True, language=lang)
        if not term_key(term):
            return Reply(text=text(lang, "term_no_words", term=short(term, 64)), error=True, language=lang)
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
        self,
        which: Which,
        s: Session,
        inv: Invocation,
        target: str,
        sub: Subscription | None,
        lang: str,
        args: list[str],
    ) -> Reply:
        term = _typed(args)
        if not term:
            return Reply(text=text(lang, f"un{which}_usage"), error=True, language=lang)
        current = subs.terms(sub, which) if sub else []
        known = next((t for t in current if t == term), None) or next((t for t in current if same_term(t, term)), None)
        if sub is None or known is None:
            listed = ", ".join(current) or text(lang, "none")
            return Reply(text=text(lang, NOT_LISTED[which], term=short(term, 64), terms=listed), language=lang)
        self._store_terms(s, sub, which, [t for t in current if t != known])
        return Reply(text=text(lang, f"un{which}_done", term=known), language=lang)

    def _store_terms(self, s: Session, sub: Subscription, which: Which, terms: list[str]) -> None:
        value = json.dumps(list(dict.fromkeys(terms)), ensure_ascii=False)
        if which == "watch":
            sub.watch_terms = value
        else:
            sub.mute_terms = value
        sub.updated_at = self.clock()
        s.add(sub)

    # The four commands are the two paths above with their list bound: handlers like every other ``cmd_*``.
    cmd_watch = partialmethod(_add_term, "watch")
    cmd_mute = partialmethod(_add_term, "mute")
    cmd_unwatch = partialmethod(_remove_term, "watch")
    cmd_unmute = partialmethod(_remove_term, "mute")


def _typed(args: list[str]) -> str:
    """The term as typed, on one line, without the quotes a user may put around it."""
    return " ".join(" ".join(args).split()).strip("\"“”«»'").strip()


def terms_text(sub: Subscription | None, lang: str) -> str | None:
    """The chat's watch and mute terms (the ``term_list`` text); None when it has neither."""
    watch, mute = (subs.terms(sub, "watch"), subs.terms(sub, "mute")) if sub else ([], [])
    if not (watch or mute):
        return None
    none = text(lang, "none")
    return text(lang, "term_list", watch=", ".join(watch) or none, mute=", ".join(mute) or none)
