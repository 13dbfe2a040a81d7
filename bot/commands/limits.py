"""Command cooldowns: one user, or one busy chat, cannot make the bot work for them alone.

``CommandLimiter.check(chat, user)`` runs in the adapters before anything else (before any platform call, the
database or the command core) and answers:

* ``ADMIT`` — go on;
* ``WARN`` — refuse, and say "slow down" once (a short text in the chat's language, ``text(lang, "slow_down")``);
* ``DROP`` — refuse silently: the user was told already, and answering each refused command would itself be
  the flood the cooldown stops.

Two token buckets decide: one per user (across chats) and one per chat (across users). A bucket holds
``burst`` tokens and gains one every ``every`` seconds; a command spends its cost (``/digest`` draws a chart,
``/export`` writes files of up to 500 stories and ``/feeds`` reads every feed, so they cost more). A refusal
spends nothing, so a flood never prolongs its own cooldown beyond the refill time. After a refusal was
announced, the next one is silent until that key is admitted again. The tables are bounded (least recently used
keys are forgotten) and the clock is injected.
"""

from __future__ import annotations

import enum
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# What a command costs in tokens; unknown commands and buttons cost 1.
COSTS = {"digest": 3, "export": 3, "feeds": 2}


class Admission(enum.Enum):
    ADMIT = "admit"
    WARN = "warn"
    DROP = "drop"


@dataclass(frozen=True)
class Bucket:
    burst: float  # tokens when full: commands in a row before the cooldown starts
    every: float  # seconds per token regained


@dataclass
class _State:
    tokens: float
    at: float
    warned: bool = False


class CommandLimiter:
    def __init__(
        self,
        *,
        per_user: Bucket = Bucket(burst=10, every=2.0),
        per_chat: Bucket = Bucket(burst=20, every=3.0),
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 20_000,
    ) -> None:
        self.per_user = per_user
        self.per_chat = per_chat
        self._clock = clock
        self._max = max_keys
        self._states: OrderedDict[tuple[str, str], _State] = OrderedDict()

    def check(self, chat: str, user: str, command: str = "") -> Admission:
        """Admit a command from ``user`` in ``chat`` or refuse it (``WARN`` the first time, then ``DROP``)."""
        now = self._clock()
        cost = float(COSTS.get(command, 1))
        keys = [(("user", user), self.per_user)]
        if chat != user:  # a private chat is its user: one bucket
            keys.append((("chat", chat), self.per_chat))
        states = [(self._state(key, bucket, now), bucket) for key, bucket in keys]
        if all(state.tokens >= min(cost, bucket.burst) for state, bucket in states):
            for state, _ in states:
                state.tokens -= cost
                state.warned = False
            return Admission.ADMIT
        refused = [state for state, bucket in states if state.tokens < min(cost, bucket.burst)]
        if any(state.warned for state in refused):
            return Admission.DROP
        for state in refused:
            state.warned = True
        return Admission.WARN

    def _state(self, key: tuple[str, str], bucket: Bucket, now: float) -> _State:
        state = self._states.pop(key, None)
        if state is None:
            state = _State(tokens=bucket.burst, at=now)
            while len(self._states) >= self._max:
                self._states.popitem(last=False)
        else:
            state.tokens = min(bucket.burst, state.tokens + (now - state.at) / bucket.every)
            state.at = now
        self._states[key] = state
        return state
