"""Raqib's MinHash is datasketch's, bit for bit: persisted signatures keep comparing with new ones."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
from datasketch import MinHash

from bot.stories.minhash import minhash
from bot.stories.signatures import NUM_PERM, SEED, shingles


def test_signatures_equal_datasketch_on_random_arabic_and_english_texts() -> None:
    rng = random.Random(5)
    vocab = ("إنفيديا", "رقائق", "ضوابط", "التصدير", "هواوي", "الصين", "Nvidia", "chips", "export", "HBM", "SMIC")
    for n in (0, 1, 3, 40, 400):
        text = " ".join(rng.choice(vocab) for _ in range(n))
        values = [s.encode("utf-8") for s in shingles(text)]
        theirs = MinHash(num_perm=NUM_PERM, seed=SEED)
        theirs.update_batch(values)
        assert np.array_equal(minhash(values, NUM_PERM, SEED), theirs.hashvalues), n


def test_hashing_a_text_imports_neither_datasketch_nor_scipy() -> None:
    code = (
        "import sys; from bot.stories.signatures import signature; signature('chips ' * 50);"
        "print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
