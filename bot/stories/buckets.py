"""Counts of a group's live rows in the buckets a signature falls into, remembered between adds.

``NearDupIndex`` bands a new member of a capped group only into buckets holding fewer than ``group_cap`` of
the group's rows, so each such add counts the group's rows in all 42 of its buckets (84 binary searches).
When a breaking story is copied word for word by a hundred outlets, every copy falls into the very buckets
the last copy did: the counts are kept here per (group, band keys) and updated in place when a row of the
same group is banded, so the copies after the first cost one dictionary look-up. Exact, not approximate:
a row that leaves (its liveness is the only other input) makes its group's counts forgotten."""

from __future__ import annotations

import numpy as np

MAX_ENTRIES = 4096  # (group, band keys) pairs remembered, ~1 KB each; all dropped beyond


class _Group:
    """One group's remembered band-key vectors (a row each) and their counts: updated in one numpy step."""

    def __init__(self, width: int) -> None:
        self.rows: dict[bytes, int] = {}
        self.bands = np.zeros((4, width), dtype=np.uint32)
        self.held = np.zeros((4, width), dtype=np.int64)

    def add(self, bands: np.ndarray, held: np.ndarray) -> None:
        n = len(self.rows)
        if n == len(self.bands):
            self.bands = np.resize(self.bands, (2 * n, self.bands.shape[1]))
            self.held = np.resize(self.held, (2 * n, self.held.shape[1]))
        self.bands[n], self.held[n] = bands, held
        self.rows[bands.tobytes()] = n


class HeldCounts:
    def __init__(self) -> None:
        self._groups: dict[int, _Group] = {}
        self._entries = 0

    def get(self, group: int, bands: np.ndarray) -> np.ndarray | None:
        """The remembered counts for these band keys (a copy: the caller may change it), or None."""
        g = self._groups.get(group)
        row = None if g is None else g.rows.get(bands.tobytes())
        return None if g is None or row is None else g.held[row].copy()

    def remember(self, group: int, bands: np.ndarray, held: np.ndarray) -> None:
        if self._entries >= MAX_ENTRIES:
            self._groups.clear()
            self._entries = 0
        g = self._groups.get(group)
        if g is None:
            g = self._groups[group] = _Group(len(bands))
        if bands.tobytes() not in g.rows:
            g.add(bands, held)
            self._entries += 1

    def banded(self, group: int, bands: np.ndarray, into: np.ndarray) -> None:
        """A row of ``group`` was put into the buckets ``bands[b]`` for each band ``b`` where ``into[b]``: every
        remembered count of that group over a shared bucket grows by one."""
        g = self._groups.get(group)
        if g is not None:
            n = len(g.rows)
            g.held[:n] += (g.bands[:n] == bands) & into

    def forget(self, group: int) -> None:
        """A row of ``group`` left (only its own group's counts change)."""
        g = self._groups.pop(group, None)
        if g is not None:
            self._entries -= len(g.rows)
