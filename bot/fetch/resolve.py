"""Host names to addresses for the fetcher: one lookup per name every ``DNS_CACHE_SECONDS``, shared.

Why: unless private addresses are allowed, every fetch resolves its host before the request (the SSRF guard,
``bot.fetch.guard``) and every new connection resolves it again to connect only to checked addresses
(``bot.fetch.netio``). A cycle polls many feeds of one site within seconds: without a cache that is two
lookups a feed, each a blocking ``getaddrinfo`` in the event loop's default thread pool, which the single
writer's transactions also go through (``asyncio.to_thread``). aiohttp's connector keeps answers 10 s for the
same reason; a feed poller can keep them a little longer. Failures are not kept: the next fetch asks again.

Concurrent fetches of one name wait for the same lookup. The guard and the connection then judge and use the
same answer, so caching does not reopen the DNS-rebinding gap that pinning closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import time
from collections import OrderedDict
from collections.abc import Callable

DNS_CACHE_SECONDS = 30.0
MAX_NAMES = 1024  # names kept; the least recently asked go first

Answer = list[tuple[int, str]]  # (address family, address) in the resolver's order


class Resolver:
    """``addresses(host)``: the TCP addresses of ``host``, from a lookup at most ``ttl`` seconds old."""

    def __init__(
        self, ttl: float = DNS_CACHE_SECONDS, max_names: int = MAX_NAMES, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl, self.max_names, self._clock = ttl, max_names, clock
        self._names: OrderedDict[str, tuple[float, asyncio.Task[Answer]]] = OrderedDict()
        self.lookups = 0  # getaddrinfo calls made (tests)

    async def addresses(self, host: str) -> Answer:
        """Raises what ``getaddrinfo`` raises (``socket.gaierror``, ``UnicodeError``)."""
        literal = _literal(host)
        if literal is not None:
            return literal
        loop = asyncio.get_running_loop()
        entry = self._names.get(host)
        if entry is None or entry[0] <= self._clock() or entry[1].get_loop() is not loop:
            lookup = loop.create_task(self._lookup(host))
            lookup.add_done_callback(_retrieved)
            entry = self._names[host] = (self._clock() + self.ttl, lookup)
            while len(self._names) > max(1, self.max_names):
                self._names.popitem(last=False)
        self._names.move_to_end(host)
        # Shielded: a fetch that gives up (its time budget) does not cancel the lookup others wait for.
        return await asyncio.shield(entry[1])

    async def _lookup(self, host: str) -> Answer:
        self.lookups += 1
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except BaseException:
            entry = self._names.get(host)
            if entry is not None and entry[1] is asyncio.current_task():
                del self._names[host]  # a failure is not kept
            raise
        return [(family, str(addr[0])) for family, _type, _proto, _name, addr in infos]


def _literal(host: str) -> Answer | None:
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    return [(socket.AF_INET6 if ip.version == 6 else socket.AF_INET, host)]


def _retrieved(task: asyncio.Task[Answer]) -> None:
    """A failed lookup whose every waiter gave up is not logged as an exception nobody retrieved."""
    if not task.cancelled():
        with contextlib.suppress(BaseException):
            task.exception()
