"""When each near-duplicate row ages out: the LSH index's rows by publication time, 16 bytes a row.

``StoryIndex`` loads the signatures of the last ``INDEX_HORIZON`` at start and adds every new one; a service
that runs for months must also let them go, or the index grows with everything ever stored (issue 14: ~0.6 KB
a relevant item, 600 MiB per million). ``Expiry`` remembers (key, time) in insertion order as two flat
arrays; ``expire`` hands back the keys older than a cut-off in one vectorised scan.
"""

from __future__ import annotations

from array import array
from datetime import datetime

import numpy as np

from bot.stories.summary import naive_utc

_EPOCH = datetime(1970, 1, 1)


def _seconds(t: datetime) -> int:
    return int((naive_utc(t) - _EPOCH).total_seconds())


class Expiry:
    def __init__(self) -> None:
        self._keys = array("q")
        self._times = array("q")

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: int, when: datetime) -> None:
        self._keys.append(key)
        self._times.append(_seconds(when))

    def expire(self, before: datetime) -> list[int]:
        """Forget and return the keys added with a time before ``before``."""
        if not self._keys:
            return []
        times = np.frombuffer(self._times, dtype=np.int64)
        old = times < _seconds(before)
        if not old.any():
            return []
        keys = np.frombuffer(self._keys, dtype=np.int64)
        gone = keys[old].tolist()
        keep = ~old
        kept_keys, kept_times = array("q"), array("q")
        kept_keys.frombytes(keys[keep].tobytes())
        kept_times.frombytes(times[keep].tobytes())
        self._keys, self._times = kept_keys, kept_times
        return gone
