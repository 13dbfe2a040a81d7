"""The platform-neutral command core: ``Core.handle(Invocation) -> Reply``.

Adapters only translate. Here live argument parsing and caps, permission checks (settings change only by
admins outside private chats), topic resolution (ids, Arabic and English names and aliases, suggestions on
a typo), signed callback data, and the replies in the chat's language.

This module is the entry point and the dispatch: a command's handler is ``Core.cmd_<command>``, found by name;
the handlers live in the command groups ``Core`` is made of, one module each (shared parts in ``base``):

* ``subscribe`` — ``/topics``, ``/subscribe``, ``/unsubscribe``, ``/subscriptions``;
* ``settings`` — ``/settings``, ``/lang``;
* ``watch`` — ``/watch``, ``/mute``, ``/unwatch``, ``/unmute``;
* ``queries`` — the read-only ``/start``, ``/help``, ``/latest``, ``/feeds``, ``/status``, ``/digest``,
  ``/export`` (its files: ``export_command``, ``export``).

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
import dataclasses
import logging
import unicodedata
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.commands.base import MAX_REPLY_CHARS, MAX_TOPICS, DigestFn, utcnow
from bot.commands.model import ADMIN_COMMANDS, LISTING_COMMANDS, Invocation, callback_target
from bot.commands.queries import QueryCommands
from bot.commands.settings import SettingsCommands
from bot.commands.subscribe import SubscriptionCommands
from bot.commands.watch import TermCommands
from bot.deliver.model import Reply
from bot.text.messages import text
from storage import subscriptions as subs
from storage.db import session

# The limits callers and tests name from here, wherever they are defined.
__all__ = ["HEAVY_SLOTS", "MAX_ARGS_CHARS", "MAX_REPLY_CHARS", "MAX_TOPICS", "Core", "DigestFn"]

log = logging.getLogger("raqib.commands")

MAX_ARGS_CHARS = 1024
# Commands that take real CPU (a digest draws a chart, an export writes files): at most HEAVY_SLOTS run at once, so
# a flood of them waits for its turn instead of taking every worker thread the other chats' commands need.
HEAVY = frozenset({"digest", "export"})
HEAVY_SLOTS = 2
NO_LEXICON = frozenset({"help", "start", "status", "feeds", "lang"})  # answered without topics or entities


class Core(SubscriptionCommands, SettingsCommands, TermCommands, QueryCommands):
    def __init__(
        self,
        engine: Engine,
        *,
        secret: bytes,
        clock: Callable[[], datetime] = utcnow,
        digest: DigestFn | None = None,
    ) -> None:
        super().__init__(engine, secret=secret, clock=clock, digest=digest)
        self._heavy = asyncio.Semaphore(HEAVY_SLOTS)
        self._warm = False
        self._warming = asyncio.Lock()

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


def _clean(arg: str) -> str:
    """User input without what no database column holds: NUL and other control characters, lone surrogates
    (PostgreSQL refuses NUL in text, and a lone surrogate cannot be encoded)."""
    return "".join(ch for ch in arg if unicodedata.category(ch) not in ("Cc", "Cs"))
