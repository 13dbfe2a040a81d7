"""How the service's process runs CPython: no full garbage collection while feeds are being stored, and a
shorter thread switch for the event loop's sake.

CPython's cyclic collector walks every tracked object of the old generation on a full collection. With the
story index and the start-up tables alive, one took 120–150 ms in bench_poll's 500-feed field cycle, nine
times a cycle: 0.8–1.0 s of the service process's CPU, and each a stall of the event loop (command replies
and dispatch wait for it; bench/README.md). Reference counting frees most garbage, and the young
generations are still collected as CPython does; only the full collections move:

- ``settle()``, once the service has started: the start-up heap (modules, lexicon, tables) is collected and
  frozen out of every later collection, and automatic full collections stop;
- ``FullCollections.tick(busy)``, from a scheduler job: a full collection when the writer is idle, or when
  ``FULL_AFTER`` seconds have passed since the last (a service that is never idle still frees its old
  cycles: what piles up is bounded by that interval).

The event loop shares the GIL with the writer thread, which computes for seconds at a time during a flood;
the loop gives the GIL up at each socket call and then waits for it, up to the switch interval each time.
``settle()`` shortens that interval from CPython's 5 ms to 1 ms: in six alternating pairs of field cycles,
the loop's worst stall 49–88 ms against 73–143 ms, the cycle no slower (bench/README.md).

``restore()`` puts CPython's defaults back (tests, and a process that goes on after the service).
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable

DEFERRED = 1_000_000  # young collections before an automatic full one: never, in a service's life
FULL_AFTER = 600.0  # seconds: a full collection at least this often, busy or not
TICK = 30.0  # seconds between the scheduler's looks
SWITCH_INTERVAL = 0.001  # seconds a thread may hold the GIL while another waits (CPython: 0.005)

_defaults: tuple[tuple[int, int, int], float] | None = None


def settle() -> None:
    """Freeze what start-up built, leave full collections to ``FullCollections``, shorten the switch."""
    global _defaults
    gc.collect()
    gc.freeze()
    if _defaults is None:
        _defaults = (gc.get_threshold(), sys.getswitchinterval())
    young, middle, _ = _defaults[0]
    gc.set_threshold(young, middle, DEFERRED)
    sys.setswitchinterval(SWITCH_INTERVAL)


def restore() -> None:
    """CPython's thresholds and switch interval back, and the frozen heap in the collector's sight again."""
    global _defaults
    if _defaults is not None:
        gc.set_threshold(*_defaults[0])
        sys.setswitchinterval(_defaults[1])
        _defaults = None
    gc.unfreeze()


class FullCollections:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last = clock()
        self.runs = 0

    def tick(self, busy: bool) -> bool:
        """A full collection if one is due; True when it ran."""
        if gc.get_count()[2] == 0:  # no young collection since the last full one: nothing old to look at
            return False
        if busy and self.clock() - self.last < FULL_AFTER:
            return False
        gc.collect()
        self.last, self.runs = self.clock(), self.runs + 1
        return True
