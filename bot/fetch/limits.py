"""Concurrency limits: one global semaphore and one per host name, created on demand and dropped when idle;
and ``FairSlots``, a few slots shared fairly between feeds (article pages)."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HostLimiter:
    """At most ``per_host`` requests in flight per host and ``total`` overall.

    Hosts are keyed by name without the port: politeness is owed to a site, not to a socket.
    The host slot is taken BEFORE the global one: a request queued behind a busy host then holds only
    that host's slot, never a global slot that requests to other hosts could use.
    """

    def __init__(self, total: int, per_host: int) -> None:
        self._global = asyncio.Semaphore(total)
        self._per_host = per_host
        # host -> (semaphore, number of users holding or waiting); entries vanish at zero users so a
        # long-running bot polling thousands of hosts over time keeps no garbage.
        self._hosts: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        key = host.lower()
        semaphore, users = self._hosts.get(key, (None, 0))
        if semaphore is None:
            semaphore = asyncio.Semaphore(self._per_host)
        self._hosts[key] = (semaphore, users + 1)
        try:
            async with semaphore, self._global:
                yield
        finally:
            semaphore, users = self._hosts[key]
            if users <= 1:
                del self._hosts[key]
            else:
                self._hosts[key] = (semaphore, users - 1)

    @property
    def hosts_tracked(self) -> int:
        return len(self._hosts)


class FairSlots:
    """``total`` slots shared by keys (feeds, for article pages): fair between keys, not between requests.

    A key holds at most ``per_key`` slots at once, and a freed slot goes to the waiting key that holds the
    fewest (among equals, the one waiting longest). However many requests one key queues, another key's
    request waits at most for one slot to come free — never behind the whole queue of the first.
    """

    def __init__(self, total: int, per_key: int) -> None:
        if total < 1 or per_key < 1:
            raise ValueError("FairSlots needs at least one slot, and one per key")
        self.total = total
        self.per_key = min(per_key, total)
        self._free = total
        self._held: dict[str, int] = {}
        self._waiting: dict[str, deque[tuple[int, asyncio.Future[None]]]] = {}
        self._order = itertools.count()

    def held(self, key: str) -> int:
        return self._held.get(key, 0)

    @property
    def free(self) -> int:
        return self._free

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        await self._acquire(key)
        try:
            yield
        finally:
            self._release(key)

    async def _acquire(self, key: str) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, deque()).append((next(self._order), waiter))
        self._grant()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release(key)  # granted, but its owner went away before using it
            else:
                queue = self._waiting.get(key)
                if queue is not None:
                    self._waiting[key] = deque(entry for entry in queue if entry[1] is not waiter)
                    if not self._waiting[key]:
                        del self._waiting[key]
            raise

    def _release(self, key: str) -> None:
        held = self._held[key] - 1
        if held:
            self._held[key] = held
        else:
            del self._held[key]
        self._free += 1
        self._grant()

    def _grant(self) -> None:
        while self._free > 0:
            eligible = [
                (self.held(key), queue[0][0], key)
                for key, queue in self._waiting.items()
                if queue and self.held(key) < self.per_key
            ]
            if not eligible:
                return
            _, _, key = min(eligible)
            queue = self._waiting[key]
            _, waiter = queue.popleft()
            if not queue:
                del self._waiting[key]
            if waiter.done():  # cancelled while queued
                continue
            self._held[key] = self.held(key) + 1
            self._free -= 1
            waiter.set_result(None)
