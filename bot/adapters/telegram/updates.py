"""``ChatUpdateProcessor``: updates from different chats run concurrently, one chat's updates one at a time.

python-telegram-bot handles one update at a time by default, so one chat's flood (and each reply waiting for
that chat's send pacing) held every other chat's commands. With this processor a chat's updates keep their
order (a ``/subscribe`` then ``/unsubscribe`` are applied in that order) while other chats go on at once.

Before an update joins its chat's queue it passes ``gate`` (the adapter's cooldown check, which answers "slow
down" once): a flood is refused at the door, not queued. As a last resort a chat may have at most ``backlog``
updates waiting behind the one being handled; more are dropped at once (logged, counted in ``dropped``).
``received(update)`` tells a handler when its update arrived, so an answer can be given up once it is late.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
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
    def __init__(
        self,
        max_concurrent_updates: int = 256,
        *,
        backlog: int = 16,
        gate: Callable[[object], Awaitable[bool]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.backlog = backlog
        self.gate = gate
        self.dropped = 0
        self._clock = clock
        self._locks: dict[int, asyncio.Lock] = {}
        self._count: dict[int, int] = {}  # per chat: handled now + waiting
        self._received: dict[int, float] = {}  # id(update) → when it arrived, while it is being processed
        self._idle = asyncio.Event()
        self._idle.set()

    def received(self, update: object) -> float:
        """When ``update`` reached the processor (now, for an update it does not know)."""
        return self._received.get(id(update), self._clock())

    async def idle(self) -> None:
        """Return when no update is being processed (at once if none is)."""
        await self._idle.wait()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        self._received[id(update)] = self._clock()
        self._idle.clear()
        try:
            await self._process(update, coroutine)
        finally:
            del self._received[id(update)]
            if not self._received:
                self._idle.set()

    async def _process(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = chat_of(update)
        if chat is None:
            await coroutine
            return
        if (self.gate is not None and not await self.gate(update)) or self._count.get(chat, 0) > self.backlog:
            if self._count.get(chat, 0) > self.backlog:
                self.dropped += 1
                log.info("telegram: chat %s has %d updates waiting; one more dropped", chat, self.backlog)
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # never started: nothing to clean up
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
