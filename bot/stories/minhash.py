"""MinHash signatures bit-for-bit equal to ``datasketch.MinHash`` (SHA-1 32-bit hashes, universal hashing
modulo the Mersenne prime 2**61 - 1, permutations drawn from ``numpy.random.RandomState(seed)``).

Why not datasketch itself at run time: importing ``datasketch`` runs its package ``__init__``, which imports
every sketch it has and with them scipy — 63 MB of resident memory and 0.2–0.35 s in each process that
hashes (the service and each parse worker), for one class of ~30 lines. The arithmetic below is datasketch's
CPU path; ``tests/stories/test_minhash.py`` compares it with datasketch (a test dependency) on random texts,
so persisted signatures stay comparable with every one stored before.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable

import numpy as np

_MERSENNE_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


@functools.cache
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) parameters of ``num_perm`` hash permutations, in datasketch's order of draws."""
    gen = np.random.RandomState(seed)
    pairs = [
        (gen.randint(1, _MERSENNE_PRIME, dtype=np.uint64), gen.randint(0, _MERSENNE_PRIME, dtype=np.uint64))
        for _ in range(num_perm)
    ]
    a, b = np.array(pairs, dtype=np.uint64).T
    return a, b


def hash32(data: bytes) -> int:
    """The first four bytes of SHA-1, little-endian (datasketch's ``sha1_hash32``)."""
    return int.from_bytes(hashlib.sha1(data, usedforsecurity=False).digest()[:4], "little")


def minhash(values: Iterable[bytes], num_perm: int, seed: int) -> np.ndarray:
    """The MinHash values (uint64, ``num_perm`` of them; all 2**32 - 1 for no values)."""
    hashed = [hash32(v) for v in values]
    if not hashed:
        return np.full(num_perm, _MAX_HASH, dtype=np.uint64)
    a, b = permutations(num_perm, seed)
    hv = np.array(hashed, dtype=np.uint64, ndmin=2).T
    phv = np.bitwise_and((hv * a + b) % _MERSENNE_PRIME, _MAX_HASH)
    return np.minimum(np.full(num_perm, _MAX_HASH, dtype=np.uint64), phv.min(axis=0))
