"""Near-duplicate lookup: a banded LSH index over MinHash signatures (``bot.stories.signatures``).

Why a custom LSH instead of ``datasketch.MinHashLSH``: its in-memory storage keeps a Python set per
bucket per band, several kilobytes per item, so 1M items need gigabytes. Here each band is a sorted
numpy array of 32-bit band hashes (main segment, binary search) plus a small dict for recent
inserts (delta segment), merged when the delta grows; candidates are verified against a 16-bit
("b-bit MinHash") copy of the signatures. Memory is ~620 bytes per item, lookup is O(bands · log n).

Groups (issue 14: a breaking story copied by hundreds of outlets). A key may belong to a *group* (storage:
its story). A bucket holds at most ``group_cap`` rows of one group — the first ones in; a later member whose
band value is already held that many times by its group is stored (signature, identity) but not banded
there: the rows that are banded share that band with it, so a query that would have met it meets them and
finds the group. ``query_signature(per_group=k)`` keeps the k best hits of each group. Together they bound
a lookup by the number of groups it meets, not by how many near-copies one story has collected (without
them a story of 10,000 near-copies made every lookup verify and return 10,000 rows). Ungrouped keys (the
default) are each their own group, as before. ``twin(sig)`` finds a key whose signature is identical
(same hash values and shingle count): an exact copy of the body, found without any LSH work through one more
sorted array of 64-bit keys (every informative row, whatever the caps left out of the buckets).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np

from bot.stories.buckets import HeldCounts
from bot.stories.signatures import (
    BANDS,
    HEADER,
    MIN_SHINGLES,
    NUM_PERM,
    SIGNATURE_VERSION,
    NearDup,
    Signature,
    band_keys,
    bands_of,
    estimate_containment,
    signature,
    twin_hash,
    twin_keys,
)

__all__ = ["GROUP_CAP", "NearDupIndex"]

# rows of one group a bucket holds; 8 keeps every story of the labeled sets whole (they have fewer near-copies
# per bucket) while a story of 10,000 copies costs a lookup at most 42 · 8 verified rows
GROUP_CAP = 8
# Recent adds wait in per-band dicts (~4.6 KB a row: a list and a key per band) until this many (or an eighth of
# the rows) move to the sorted arrays (~0.75 KB a row). At 20,000 a small deployment held ~50 days of rows in the
# dicts, ~90 MB when the merge came (issue 14's simulated month); a merge costs 42 sorts of the rows held, a few
# ms at this size, and an eighth of the rows keeps it amortized for big indexes.
_MERGE_MIN = 2_000
_B_BITS_COLLISION = 2.0**-16


def _own_group(row: int) -> int:
    """The group of an ungrouped row: its own (negative, so never a caller's group id)."""
    return -(row + 1)


class NearDupIndex:
    """In-memory LSH over MinHash signatures; keys are any hashable (item ids).

    Not thread-safe; one index per process, owned by the stories service.
    """

    def __init__(self, *, capacity: int = 1024, group_cap: int | None = GROUP_CAP) -> None:
        self.group_cap = group_cap  # None: every row banded in every bucket (the behaviour before groups)
        self.rows_verified = 0  # rows compared by ``query_signature`` since creation (cost accounting)
        self._keys: list[Hashable] = []
        self._row: dict[Hashable, int] = {}
        self._sig16 = np.zeros((capacity, NUM_PERM), dtype=np.uint16)
        self._sizes = np.zeros(capacity, dtype=np.int32)
        self._alive = np.zeros(capacity, dtype=bool)
        self._group = np.zeros(capacity, dtype=np.int64)
        # rows ever added per group (an upper bound of what a bucket can hold of it): a group smaller than the
        # cap needs no bucket counted, which spares most stories the 42 look-ups of ``_held``
        self._group_rows: dict[int, int] = {}
        # the buckets the last lookup read (band keys, rows, their band), reused when the same signature is
        # added next with nothing changed in between — ``Assigner`` looks an item up, then adds it
        self._probe: tuple[bytes, np.ndarray, np.ndarray] | None = None
        self._held_counts = HeldCounts()
        # twins: a key of every informative signature, sorted (main) + recent ones (delta) as the bands are —
        # 12 bytes a row where a dict would take ~100
        self._twin_keys = np.zeros(0, dtype=np.uint64)
        self._twin_rows = np.zeros(0, dtype=np.int32)
        self._twin_delta: dict[int, list[int]] = {}
        self._twin_delta_n = 0
        self._main_keys = [np.zeros(0, dtype=np.uint32) for _ in range(BANDS)]
        self._main_rows = [np.zeros(0, dtype=np.int32) for _ in range(BANDS)]
        self._delta: list[dict[int, list[int]]] = [{} for _ in range(BANDS)]
        self._delta_rows: list[int] = []

    # -- size and growth ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, key: object) -> bool:
        return key in self._row

    def _grow(self, need: int) -> None:
        cap = len(self._sizes)
        if need <= cap:
            return
        new = max(need, cap + max(1024, cap // 8))  # +12.5%: doubling 1M rows would waste 300 MB
        self._sig16 = np.resize(self._sig16, (new, NUM_PERM))
        self._sizes = np.resize(self._sizes, new)
        alive = np.zeros(new, dtype=bool)
        alive[:cap] = self._alive
        self._alive = alive
        self._group = np.resize(self._group, new)

    # -- writes --------------------------------------------------------------------------------
    def add(self, key: Hashable, text: str) -> Signature:
        """Index ``text`` under ``key`` (replacing an earlier entry) and return its signature."""
        sig = signature(text)
        self.add_signature(key, sig)
        return sig

    def add_signature(self, key: Hashable, sig: Signature, *, group: int | None = None) -> None:
        """Index a known signature. Uninformative signatures are remembered but never banded,
        so they can never be returned as candidates. ``group``: see the module docstring (``None``: the key
        is a group of its own)."""
        if key in self._row:
            self.remove(key)
        probe, self._probe = self._probe, None  # any add changes the buckets
        row = len(self._keys)
        self._grow(row + 1)
        self._keys.append(key)
        self._row[key] = row
        self._sig16[row] = sig.hashvalues.astype(np.uint16)
        self._sizes[row] = sig.n_shingles
        self._alive[row] = True
        self._group[row] = _own_group(row) if group is None else group
        if not sig.informative:
            return
        self._twin_delta.setdefault(twin_hash(sig), []).append(row)
        self._twin_delta_n += 1
        bands = bands_of(sig)
        banded = False
        cap = 0  # 0: nothing to count (ungrouped, no cap, or a group smaller than the cap so far)
        if group is not None and self.group_cap is not None:
            if self._group_rows.get(group, 0) >= self.group_cap:
                cap = self.group_cap
            self._group_rows[group] = self._group_rows.get(group, 0) + 1
        g = int(self._group[row])
        held = self._held_all(bands, g, probe) if cap else None
        into = np.ones(BANDS, dtype=bool) if held is None else held < cap
        for b in np.flatnonzero(into).tolist():
            # (where into[b] is False, the group's rows already in this bucket stand for this one)
            self._delta[b].setdefault(int(bands[b]), []).append(row)
            banded = True
        if banded:
            self._delta_rows.append(row)
            self._held_counts.banded(g, bands, into)
        if max(len(self._delta_rows), self._twin_delta_n) > max(_MERGE_MIN, len(self._keys) // 8):
            self._merge()

    def remove(self, key: Hashable) -> bool:
        """Forget ``key``; its rows stay in the band arrays as tombstones until a rebuild."""
        row = self._row.pop(key, None)
        if row is None:
            return False
        self._alive[row] = False
        self._probe = None
        self._held_counts.forget(int(self._group[row]))
        return True

    def _held_all(
        self, bands: np.ndarray, group: int | np.integer, probe: tuple[bytes, np.ndarray, np.ndarray] | None
    ) -> np.ndarray:
        """Live rows of ``group`` in each band's bucket ``bands[b]``: from the last lookup's buckets when it
        read these (one vectorised count), else as counted for the last add with these band keys
        (``bot.stories.buckets``), else bucket by bucket."""
        known = self._held_counts.get(int(group), bands)
        if known is not None:
            return known
        if probe is not None and probe[0] == bands.tobytes():
            rows, band_of = probe[1], probe[2]
            mine = (self._group[rows] == group) & self._alive[rows]
            held = np.bincount(band_of[mine], minlength=BANDS)
        else:
            held = np.asarray([self._held(b, int(bands[b]), group) for b in range(BANDS)])
        self._held_counts.remember(int(group), bands, held)
        return held

    def _held(self, band: int, k: int, group: int | np.integer) -> int:
        """Live rows of ``group`` in bucket ``k`` of ``band`` (bounded: at most ``group_cap`` per group)."""
        keys = self._main_keys[band]
        lo = np.searchsorted(keys, k, side="left")
        hi = np.searchsorted(keys, k, side="right")
        n = 0
        if hi > lo:
            rows = self._main_rows[band][lo:hi]
            n = int(np.count_nonzero((self._group[rows] == group) & self._alive[rows]))
        for r in self._delta[band].get(k, ()):
            n += int(self._group[r] == group and self._alive[r])
        return n

    def twin(self, sig: Signature) -> Hashable | None:
        """A live key whose signature equals ``sig`` (an informative one): a copy of the same body."""
        if not sig.informative:
            return None
        k = twin_hash(sig)
        lo = np.searchsorted(self._twin_keys, np.uint64(k), side="left")
        hi = np.searchsorted(self._twin_keys, np.uint64(k), side="right")
        rows = [*self._twin_rows[lo:hi].tolist(), *self._twin_delta.get(k, ())]
        q16 = sig.hashvalues.astype(np.uint16)
        for row in reversed(rows):  # the latest first
            # the key may collide: the whole (16-bit) signature and the shingle count decide
            if self._alive[row] and int(self._sizes[row]) == sig.n_shingles and np.array_equal(self._sig16[row], q16):
                return self._keys[row]
        return None

    def _merge(self) -> None:
        if self._twin_delta:
            d_keys = np.fromiter((k for k, rs in self._twin_delta.items() for _ in rs), dtype=np.uint64)
            d_rows = np.fromiter((r for rs in self._twin_delta.values() for r in rs), dtype=np.int32)
            keys = np.concatenate([self._twin_keys, d_keys])
            allrows = np.concatenate([self._twin_rows, d_rows])
            order = np.lexsort((allrows, keys))  # by key, then row: ``twin`` tries the latest first
            self._twin_keys, self._twin_rows = keys[order], allrows[order]
            self._twin_delta, self._twin_delta_n = {}, 0
        self._probe = None
        if not self._delta_rows:
            return
        for b in range(BANDS):
            d_keys = np.fromiter((k for k, rs in self._delta[b].items() for _ in rs), dtype=np.uint32)
            d_rows = np.fromiter((r for rs in self._delta[b].values() for r in rs), dtype=np.int32)
            keys = np.concatenate([self._main_keys[b], d_keys])
            allrows = np.concatenate([self._main_rows[b], d_rows])
            order = np.argsort(keys, kind="stable")
            self._main_keys[b] = keys[order]
            self._main_rows[b] = allrows[order]
            self._delta[b] = {}
        self._delta_rows = []

    # -- reads ---------------------------------------------------------------------------------
    def query(self, text: str) -> list[NearDup]:
        """Indexed items similar to ``text``, best first (empty for uninformative text)."""
        return self.query_signature(signature(text))

    def query_signature(
        self, sig: Signature, *, min_jaccard: float = 0.2, per_group: int | None = None
    ) -> list[NearDup]:
        """Candidates sharing at least one LSH band, with estimated Jaccard ≥ ``min_jaccard``; with
        ``per_group``, only the best that many of each group."""
        if not sig.informative:
            return []
        bands = bands_of(sig)
        found: list[np.ndarray] = []
        found_band: list[int] = []
        for b in range(BANDS):
            k = bands[b]
            keys = self._main_keys[b]
            lo = np.searchsorted(keys, k, side="left")
            hi = np.searchsorted(keys, k, side="right")
            if hi > lo:
                found.append(self._main_rows[b][lo:hi])
                found_band.append(b)
            extra = self._delta[b].get(int(k))
            if extra:
                found.append(np.asarray(extra, dtype=np.int32))
                found_band.append(b)
        if self.group_cap is not None:
            everything = np.concatenate(found) if found else np.zeros(0, dtype=np.int32)
            band_of = np.repeat(np.asarray(found_band, dtype=np.int64), [len(f) for f in found])
            self._probe = (bands.tobytes(), everything, band_of)
        if not found:
            return []
        rows = np.unique(np.concatenate(found))
        rows = rows[self._alive[rows] & (self._sizes[rows] >= MIN_SHINGLES)]
        if len(rows) == 0:
            return []
        self.rows_verified += len(rows)
        q16 = sig.hashvalues.astype(np.uint16)
        match = (self._sig16[rows] == q16).mean(axis=1)
        jac = np.clip((match - _B_BITS_COLLISION) / (1.0 - _B_BITS_COLLISION), 0.0, 1.0)
        keep = jac >= min_jaccard
        rows, jac = rows[keep], jac[keep]
        if per_group is not None and len(rows) > per_group:
            # best first within each group (rows, i.e. insertion order, break ties), then the first k of each
            order = np.lexsort((rows, -jac, self._group[rows]))
            groups = self._group[rows][order]
            start = np.ones(len(order), dtype=bool)
            start[1:] = groups[1:] != groups[:-1]
            first = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
            chosen = order[np.arange(len(order)) - first < per_group]
            rows, jac = rows[chosen], jac[chosen]
        out: list[NearDup] = []
        for row, j in zip(rows.tolist(), jac.tolist(), strict=True):
            c = estimate_containment(j, sig.n_shingles, int(self._sizes[row]))
            out.append(NearDup(self._keys[row], round(j, 4), round(c, 4)))
        out.sort(key=lambda n: (-n.jaccard, str(n.key)))
        return out

    # -- persistence ---------------------------------------------------------------------------
    @classmethod
    def from_signatures(
        cls,
        rows: Iterable[tuple[Hashable, bytes] | tuple[Hashable, bytes, int | None]],
        *,
        group_cap: int | None = GROUP_CAP,
    ) -> NearDupIndex:
        """Rebuild from ``(key, Signature.to_bytes())`` pairs as stored in the database, or
        ``(key, blob, group)`` triples (groups ≥ 0; ``None`` for none).

        Vectorised: parses blobs into one matrix, computes all band keys at once and sorts each
        band once. Blobs of a foreign version are skipped (their items are simply not indexed).
        The same rows are banded as if they had been added one by one in this order.
        """
        keys: list[Hashable] = []
        blobs: list[bytes] = []
        groups: list[int] = []
        expected = HEADER.size + 4 * NUM_PERM
        for entry in rows:
            key, blob = entry[0], entry[1]
            if len(blob) == expected and blob[0] == SIGNATURE_VERSION:
                group = entry[2] if len(entry) > 2 else None
                groups.append(_own_group(len(keys)) if group is None else int(group))
                keys.append(key)
                blobs.append(blob)
        n = len(keys)
        idx = cls(capacity=n + max(1024, n // 8), group_cap=group_cap)  # headroom so new items do not copy at once
        if n == 0:
            return idx
        raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(n, expected)
        sizes = raw[:, 3:7].copy().view("<u4").reshape(n).astype(np.int32)
        sigs = raw[:, HEADER.size :].copy().view("<u4").astype(np.uint32)
        del raw, blobs
        idx._keys = keys
        idx._row = {k: i for i, k in enumerate(keys)}
        if len(idx._row) != n:  # duplicate keys: the last one wins, earlier rows are tombstones
            idx._alive[:n] = False
            idx._alive[list(idx._row.values())] = True
        else:
            idx._alive[:n] = True
        idx._sig16[:n] = sigs.astype(np.uint16)
        idx._sizes[:n] = sizes
        group_arr = np.asarray(groups, dtype=np.int64)
        idx._group[:n] = group_arr
        informative_groups = group_arr[sizes >= MIN_SHINGLES]
        ids, counts = np.unique(informative_groups[informative_groups >= 0], return_counts=True)
        idx._group_rows = dict(zip(ids.tolist(), counts.tolist(), strict=True))
        informative = np.flatnonzero(sizes >= MIN_SHINGLES).astype(np.int32)
        tk = twin_keys(sigs[informative], sizes[informative])
        twin_order = np.lexsort((informative, tk))
        idx._twin_keys, idx._twin_rows = tk[twin_order], informative[twin_order]
        for start in range(0, len(informative), 200_000):  # bound the temporary band matrix
            part = informative[start : start + 200_000]
            bk = band_keys(sigs[part])
            for b in range(BANDS):
                idx._main_keys[b] = np.concatenate([idx._main_keys[b], bk[:, b]])
                idx._main_rows[b] = np.concatenate([idx._main_rows[b], part])
        alive = idx._alive[:n]
        for b in range(BANDS):
            bkeys, brows = idx._main_keys[b], idx._main_rows[b]
            if group_cap is None:
                order = np.argsort(bkeys, kind="stable")
            else:
                # by bucket, then group, then row: a grouped row beyond the first ``group_cap`` live rows of
                # its group in a bucket is left out, as ``add_signature`` would have left it out
                bgroups = group_arr[brows]
                order = np.lexsort((brows, bgroups, bkeys))
                k, g = bkeys[order], bgroups[order]
                live = alive[brows[order]]
                run_start = np.ones(len(order), dtype=bool)
                run_start[1:] = (k[1:] != k[:-1]) | (g[1:] != g[:-1])
                rank = np.cumsum(live)  # live rows up to here; minus those before the run = rank in the run
                before = np.maximum.accumulate(np.where(run_start, rank - live, 0))
                order = order[(g < 0) | ~live | (rank - before <= group_cap)]
            idx._main_keys[b] = bkeys[order]
            idx._main_rows[b] = brows[order]
        return idx

    def memory_bytes(self) -> int:
        """Bytes held by the numpy arrays (the key list and dicts come on top)."""
        arrays: list[np.ndarray] = [self._sig16, self._sizes, self._alive, self._group]
        arrays += [self._twin_keys, self._twin_rows, *self._main_keys, *self._main_rows]
        return int(sum(a.nbytes for a in arrays))
