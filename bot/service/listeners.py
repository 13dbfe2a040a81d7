"""The chat listeners: one worker listens for each bot token's updates, under a named lease.

Every chat worker keeps trying to take the lease of each token, so a listener comes back when its holder
dies; a worker that loses the lease (a long pause) stops listening. Leases held at shutdown are given back,
so the next worker need not wait for them to expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import Engine

from storage.leases import release_lease, take_lease

log = logging.getLogger("raqib.service")
LISTENER_START_GRACE = 60.0  # seconds a listener lease lasts while its bot is starting

Stop = Callable[[], Awaitable[None]]
Start = Callable[[], Awaitable[Stop]]  # starts a bot's adapter; returns how to stop it


def lease_name(platform: str, token: str) -> str:
    """The lease of one bot token (a hash: the token itself never reaches the database)."""
    return f"chat:{platform}:{hashlib.sha256(token.encode()).hexdigest()[:16]}"


class Listeners:
    def __init__(self, engine: Engine, owner: str, lease_seconds: float, stop_event: asyncio.Event) -> None:
        self.engine, self.owner, self.seconds, self.stop_event = engine, owner, lease_seconds, stop_event
        self.held: dict[str, str] = {}  # platform -> lease name, while this worker listens

    async def listen(self, platform: str, token: str, start: Start) -> None:
        """Hold the listener lease of a bot token: take it when free, renew it, listen while we hold it."""
        name = lease_name(platform, token)
        stop: Stop | None = None
        announced = False
        try:
            while not self.stop_event.is_set():
                # Starting a bot (login, menu) can take longer than a lease on a busy machine, and the lease is
                # renewed only between steps: ask for a longer one while we are not yet listening.
                span = self.seconds if stop is not None else max(self.seconds, LISTENER_START_GRACE)
                try:
                    held = await asyncio.to_thread(take_lease, self.engine, name, self.owner, span)
                except Exception:  # the database is away: keep listening if we were, and try again
                    log.warning("could not renew the %s listener lease; retrying", platform, exc_info=True)
                    held = stop is not None
                if held and stop is None:
                    self.held[platform] = name
                    try:
                        stop = await start()
                    except Exception as exc:
                        log.error("the %s bot could not start: %s", platform, exc)
                        self.held.pop(platform, None)
                        await asyncio.to_thread(release_lease, self.engine, name, self.owner)
                        return
                    log.info("this worker listens for the %s bot", platform)
                elif not held and stop is not None:  # we lost the lease (a long pause): another worker listens
                    log.warning("the %s listener lease was taken over; stopping this listener", platform)
                    await stop()
                    stop = None
                    self.held.pop(platform, None)
                elif not held and not announced:
                    log.info("another worker listens for the %s bot; this one takes over if it stops", platform)
                    announced = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_event.wait(), timeout=self.seconds / 3)
        finally:
            if stop is not None:
                with contextlib.suppress(Exception):
                    await stop()

    async def release(self) -> None:
        """At a clean shutdown: the next worker need not wait for our leases to expire."""
        for name in self.held.values():
            with contextlib.suppress(Exception):
                await asyncio.to_thread(release_lease, self.engine, name, self.owner)
