"""A feed's lease held while its poll lasts (scale-out: ``storage.leases``).

The lease is renewed every third of its length until the poll ends, its write releases the lease, or the lease
was lost (an event loop stalled longer than the lease): only a dead worker's lease expires, so no other worker
takes a feed over mid-poll and polls it again within its interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from storage.leases import FeedClaim

log = logging.getLogger("raqib.pipeline")


@contextlib.asynccontextmanager
async def holding(claim: FeedClaim, feed_id: str, clock: Callable[[], datetime]) -> AsyncIterator[None]:
    async def renew() -> None:
        held = True
        while held:
            await asyncio.sleep(claim.lease / 3)  # a schedule: the renewal's period
            try:
                held = await asyncio.to_thread(claim.renew, feed_id, clock())
            except Exception:  # a database hiccup: the next renewal may still come before the lease ends
                log.exception("could not renew the lease of %s", feed_id)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
