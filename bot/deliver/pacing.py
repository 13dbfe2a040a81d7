"""Send pacing, owned by each notifier: a global rate and a minimum interval per target.

A notifier paces in ``pace(target)``, which the dispatcher awaits before it builds what it sends, so that a
paced queue sends each story as it stands when its turn comes (``bot.deliver.dispatcher``). The rates are the
platform's, chosen by its notifier (``PER_TARGET_INTERVAL``/``GLOBAL_RATE`` are the ones every notifier used when
the dispatcher paced for all of them); a platform's own flood limits (Telegram's 20 a minute in a group) stay in
its notifier's send path.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

PER_TARGET_INTERVAL = 1.0  # seconds between two sends to one chat (Telegram asks for about one a second)
GLOBAL_RATE = 30.0  # sends a second through one notifier (Telegram: about 30 a second per bot)


class Pacer:
    """A global rate and a minimum interval per target, shared by every send of one notifier. A rate or an
    interval of 0 turns that part off."""

    def __init__(
        self,
        global_rate: float = GLOBAL_RATE,
        per_target_interval: float = PER_TARGET_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1.0 / global_rate if global_rate > 0 else 0.0
        self.per_target = per_target_interval
        self.monotonic = monotonic
        self._next_global = 0.0
        self._next_target: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, target: str) -> None:
        """Returns when a send to ``target`` may go; reserves that slot."""
        async with self._lock:
            now = self.monotonic()
            at = max(now, self._next_global, self._next_target.get(target, 0.0))
            self._next_global = at + self.interval
            self._next_target[target] = at + self.per_target
        if at > now:
            await asyncio.sleep(at - now)
