"""Concurrency limits: one global semaphore and one per host name, created on demand and dropped when idle."""

from __future__ import annotations

import asyncio
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
