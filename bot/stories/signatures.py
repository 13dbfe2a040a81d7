"""A body's MinHash signature: word-shingle MinHash (datasketch's, in ``minhash``), its persisted form, the
similarity estimates and the near-duplicate decision; the band and twin keys ``NearDupIndex`` files it under.

Pipeline for one text: ``strip_boilerplate`` (read-more blocks, bylines, copyright lines) →
``normalize`` (Arabic folding, digits) → word 3-shingles → 128-permutation MinHash. The title is
*not* shingled: republishers rewrite headlines freely, bodies they copy.

Signatures are persisted as bytes (``Signature.to_bytes``, 7 + 4·128 = 519 bytes) so that storage
keeps one per item and ``NearDupIndex.from_signatures`` rebuilds the index at start-up without
re-reading any text.

Decision (thresholds chosen on ``eval/stories/pairs.jsonl``, see ``is_near_duplicate``): a pair is a
near-duplicate when estimated Jaccard ≥ ``JACCARD_MIN`` or, for cut copies, estimated containment
of the shorter in the longer ≥ ``CONTAINMENT_MIN`` — and only when both texts have at least
``MIN_SHINGLES`` shingles: a title-only item or a one-line live-blog entry is never merged on
near-duplicate evidence.
"""

from __future__ import annotations

import struct
from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np

from bot.stories.minhash import minhash
from bot.stories.text import strip_boilerplate, words

SIGNATURE_VERSION = 1
NUM_PERM = 128
SHINGLE_WORDS = 3
SEED = 1  # fixed forever: persisted signatures depend on it
MIN_SHINGLES = 15  # about 17 words of body; less is "too little text"
JACCARD_MIN = 0.45  # labeled set: negatives ≤ 0.09, syndicated copies ≥ 0.27
CONTAINMENT_MIN = 0.65  # labeled set: negatives ≤ 0.17, cut+edited copies ≥ 0.67
BANDS, ROWS = 42, 3  # S-curve threshold ≈ (1/42)^(1/3) ≈ 0.29: cut copies have low Jaccard

HEADER = struct.Struct("<BHI")  # version, num_perm, shingle count


@dataclass(frozen=True, slots=True)
class Signature:
    """A MinHash signature plus the shingle count (needed for containment and "too short")."""

    hashvalues: np.ndarray  # uint32, shape (NUM_PERM,)
    n_shingles: int
    # The index's keys, computed with the signature (``signature``: in a parse worker, not in the single writer
    # that files it); None when made otherwise (read back from storage), and then computed where needed.
    bands: np.ndarray | None = field(default=None, compare=False, repr=False)
    twin: int | None = field(default=None, compare=False, repr=False)

    def __reduce__(self) -> tuple[object, ...]:  # as ``bot.normalize.item.Item.__reduce__``
        return (Signature, (self.hashvalues, self.n_shingles, self.bands, self.twin))

    @property
    def informative(self) -> bool:
        """Enough text to be judged a near-duplicate of anything."""
        return self.n_shingles >= MIN_SHINGLES

    def to_bytes(self) -> bytes:
        return HEADER.pack(SIGNATURE_VERSION, NUM_PERM, self.n_shingles) + self.hashvalues.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        """Inverse of ``to_bytes``; ``ValueError`` on a foreign version or a truncated blob."""
        if len(data) != HEADER.size + 4 * NUM_PERM:
            raise ValueError(f"signature blob has {len(data)} bytes")
        version, num_perm, n = HEADER.unpack_from(data)
        if version != SIGNATURE_VERSION or num_perm != NUM_PERM:
            raise ValueError(f"signature version {version}/{num_perm} is not {SIGNATURE_VERSION}/{NUM_PERM}")
        values = np.frombuffer(data, dtype="<u4", offset=HEADER.size).astype(np.uint32)
        return cls(values, n)


@dataclass(frozen=True, slots=True)
class NearDup:
    """One candidate from the index with its estimated similarity to the query."""

    key: Hashable
    jaccard: float
    containment: float  # |A∩B| / min(|A|,|B|), estimated from Jaccard and shingle counts

    @property
    def is_near_duplicate(self) -> bool:
        return is_near_duplicate(self.jaccard, self.containment)


def is_near_duplicate(jaccard: float, containment: float) -> bool:
    """The near-duplicate decision (both sides already known to be informative)."""
    return jaccard >= JACCARD_MIN or containment >= CONTAINMENT_MIN


def shingles(text: str) -> set[str]:
    """Word 3-shingles of the boilerplate-stripped, normalized body."""
    toks = words(strip_boilerplate(text))
    if len(toks) < SHINGLE_WORDS:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i : i + SHINGLE_WORDS]) for i in range(len(toks) - SHINGLE_WORDS + 1)}


def signature(text: str) -> Signature:
    """The signature of a body text (empty text gives an uninformative all-max signature)."""
    sh = shingles(text or "")
    values = minhash((s.encode("utf-8") for s in sh), NUM_PERM, SEED).astype(np.uint32)
    if len(sh) < MIN_SHINGLES:  # never banded nor twinned (``NearDupIndex.add_signature``)
        return Signature(values, len(sh))
    bare = Signature(values, len(sh))
    return Signature(values, len(sh), bands_of(bare), twin_hash(bare))


def estimate(a: Signature, b: Signature) -> tuple[float, float]:
    """(Jaccard, containment) estimates between two signatures."""
    j = float(np.mean(a.hashvalues == b.hashvalues))
    return j, estimate_containment(j, a.n_shingles, b.n_shingles)


def estimate_containment(j: float, na: int, nb: int) -> float:
    if min(na, nb) <= 0:
        return 0.0
    inter = j * (na + nb) / (1.0 + j)
    return min(1.0, inter / min(na, nb))


# Odd 64-bit multipliers for band hashing (fixed: band keys are recomputed on rebuild, not stored).
_BAND_MULT = np.random.default_rng(7).integers(1, 2**63, size=(ROWS,), dtype=np.uint64) | np.uint64(1)


def band_keys(sigs: np.ndarray) -> np.ndarray:
    """(n, NUM_PERM) uint32 → (n, BANDS) uint32 band hashes."""
    used = sigs[:, : BANDS * ROWS].astype(np.uint64).reshape(len(sigs), BANDS, ROWS)
    with np.errstate(over="ignore"):
        h = (used * _BAND_MULT).sum(axis=2, dtype=np.uint64)
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    return h.astype(np.uint32)


def twin_hash(sig: Signature) -> int:
    """A key for the twins map: all hash values mixed (near-copies share most of them, so fewer would
    collide), vectorised at rebuild (``twin_keys``). A collision only hides a twin: ``twin`` compares the
    whole signature."""
    if sig.twin is not None:
        return sig.twin
    return int(twin_keys(sig.hashvalues[None, :], np.asarray([sig.n_shingles]))[0])


def bands_of(sig: Signature) -> np.ndarray:
    """``band_keys`` of one signature: the ones computed with it, when they were."""
    return sig.bands if sig.bands is not None else band_keys(sig.hashvalues[None, :])[0]


_TWIN_MULT = np.random.default_rng(11).integers(1, 2**63, size=(NUM_PERM,), dtype=np.uint64) | np.uint64(1)


def twin_keys(sigs: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        mixed = (sigs.astype(np.uint64) * _TWIN_MULT).sum(axis=1, dtype=np.uint64)
    return mixed ^ sizes.astype(np.uint64)
