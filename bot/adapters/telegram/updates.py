"""``ChatUpdateProcessor``: updates from different chats run concurrently, one chat's updates one at a time.

python-telegram-bot handles one update at a time by default, so one chat's flood (and each reply waiting for
that chat's send pacing) held every other chat's commands. With this processor a chat's updates keep their
order (a ``/subscribe`` then ``/unsubscribe`` are applied in that order) while other chats go on at once.

A chat may have at most ``backlog`` updates waiting behind the one being handled; more are dropped at once
(logged, counted in ``dropped``): a flood is not queued, it is refused. Commands that do get through still meet
the per-user and per-chat cooldown (``bot.commands.limits``) before any work is done.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)


def chat_of(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    query = update.callback_query
    return query.from_user.id if query is not None else None


class ChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256, *, backlog: int = 8) -> None:
        super().__init__(max_concurrent_updates)
        self.backlog = backlog
        self.dropped = 0
        self._locks: dict[int, asyncio.Lock] = {}
        self._count: dict[int, int] = {}  # per chat: handled now + waiting

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = chat_of(update)
        if chat is None:
            await coroutine
            return
        if self._count.get(chat, 0) > self.backlog:
            self.dropped += 1
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # never started: nothing to clean up
            log.info("telegram: chat %s has %d updates waiting; one more dropped", chat, self.backlog)
            return
        self._count[chat] = self._count.get(chat, 0) + 1
        lock = self._locks.setdefault(chat, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            self._count[chat] -= 1
            if not self._count[chat]:  # nobody holds or waits for the lock: forget the chat
                del self._count[chat]
                del self._locks[chat]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: per-chat state goes with the last update of each chat."""
