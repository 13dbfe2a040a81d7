"""Benchmark: per-item near-duplicate lookup + clustering cost as the store grows.

Run: ``.venv/bin/python -m bench.bench_stories [--sizes 10000,100000,1000000]``.

Stored items are synthetic MinHash signatures (random 32-bit values: unrelated texts), serialized
exactly as storage keeps them; each measured new item is either an edited copy of a stored item
(30% of its hash values replaced, like a syndicated edit) or a fresh text. Per item we time
``query_signature`` + ``decide`` (against 50 open stories of 3 members, what the time window holds
at a busy rate) + ``add_signature``.

Baselines, side by side: (a) naive — a Python loop estimating Jaccard against every stored
signature (what a simple implementation with ``MinHash.jaccard`` does), measured on a sample and
extrapolated linearly to the full store; (b) brute force vectorized with numpy over the whole
signature matrix — the best a non-indexed scan can do.
"""

from __future__ import annotations

import argparse
import gc
import resource
import struct
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from bot.stories.cluster import ItemFeatures, StoryCandidate, decide
from bot.stories.fingerprint import fingerprint
from bot.stories.neardup import NUM_PERM, SIGNATURE_VERSION, NearDupIndex, Signature

_HEADER = struct.Struct("<BHI")
N_QUERIES = 300
NAIVE_SAMPLE = 20_000


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _blobs(sigs: np.ndarray) -> list[tuple[int, bytes]]:
    head = _HEADER.pack(SIGNATURE_VERSION, NUM_PERM, 120)
    return [(i, head + row.tobytes()) for i, row in enumerate(sigs.astype("<u4"))]


def _stories(now: datetime) -> list[StoryCandidate]:
    titles = [
        "Nvidia H20 licence required, $5.5 billion charge",
        "China bans gallium and germanium exports on Tuesday",
        "US adds 140 companies to Entity List",
        "Malaysia requires permits for AI chips",
    ]
    out = []
    for s in range(50):
        members = tuple(
            ItemFeatures(
                key=f"s{s}m{m}",
                published=now - timedelta(hours=(s % 60) + m),
                lang="en" if m % 2 else "ar",
                entities=frozenset({"china", "us", f"ent{s}", f"ent{s + 1}"}),
                fingerprint=fingerprint(titles[s % len(titles)] + f" {s}0 units"),
            )
            for m in range(3)
        )
        out.append(StoryCandidate(f"s{s}", members))
    return out


def run(sizes: list[int]) -> list[dict[str, float]]:
    rng = np.random.default_rng(42)
    now = datetime(2025, 12, 8, tzinfo=UTC)
    stories = _stories(now)
    rows: list[dict[str, float]] = []
    for n in sizes:
        gc.collect()
        rss0 = _rss_mb()
        sigs = rng.integers(0, 2**32 - 1, size=(n, NUM_PERM), dtype=np.uint32)
        blobs = _blobs(sigs)
        t = time.perf_counter()
        idx = NearDupIndex.from_signatures(blobs)
        rebuild = time.perf_counter() - t
        del blobs
        gc.collect()
        rss1 = _rss_mb()

        queries: list[Signature] = []
        for q in range(N_QUERIES):
            if q % 2:  # an edited copy of a stored item
                base = sigs[rng.integers(0, n)].copy()
                mask = rng.random(NUM_PERM) < 0.3
                base[mask] = rng.integers(0, 2**32 - 1, size=int(mask.sum()), dtype=np.uint32)
                queries.append(Signature(base, 120))
            else:
                queries.append(Signature(rng.integers(0, 2**32 - 1, size=NUM_PERM, dtype=np.uint32), 120))
        item_fp = fingerprint("Nvidia H20 licence, $5.5 billion charge on Tuesday")
        found = 0
        t = time.perf_counter()
        for q, sig in enumerate(queries):
            hits = idx.query_signature(sig)
            found += bool(hits and hits[0].is_near_duplicate)
            feats = ItemFeatures(f"new{q}", now, "en", frozenset({"china", "ent3"}), item_fp)
            decide(feats, stories, hits)
            idx.add_signature(f"new{q}", sig)
        per_item_ms = (time.perf_counter() - t) / N_QUERIES * 1000

        # (a) naive Python loop on a sample, extrapolated
        sample = sigs[: min(n, NAIVE_SAMPLE)]
        q = queries[1].hashvalues
        t = time.perf_counter()
        for row in sample:
            float(np.count_nonzero(row == q)) / NUM_PERM
        naive_ms = (time.perf_counter() - t) / len(sample) * n * 1000
        # (b) vectorized brute force over the full matrix
        t = time.perf_counter()
        for sig in queries[:20]:
            (sigs == sig.hashvalues).mean(axis=1)
        brute_ms = (time.perf_counter() - t) / 20 * 1000
        rows.append(
            {
                "n": n,
                "per_item_ms": per_item_ms,
                "naive_ms": naive_ms,
                "brute_ms": brute_ms,
                "rebuild_s": rebuild,
                "index_mb": idx.memory_bytes() / 2**20,
                "rss_mb": rss1 - rss0,
                "recall_copies": found / (N_QUERIES // 2),
            }
        )
        print(
            f"n={n:>9,}  index+cluster {per_item_ms:7.3f} ms/item | naive loop {naive_ms:10.1f} ms/item"
            f" (sample {len(sample):,}) | numpy brute {brute_ms:8.2f} ms/item | rebuild {rebuild:6.2f} s"
            f" | index arrays {idx.memory_bytes() / 2**20:7.1f} MiB, RSS +{rss1 - rss0:7.1f} MiB"
            f" | edited copies found {found}/{N_QUERIES // 2}",
            flush=True,
        )
        del idx, sigs
        gc.collect()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    args = ap.parse_args()
    rows = run([int(s) for s in args.sizes.split(",")])
    print(
        "\n| stored items | index + clustering, ms/item | naive loop, ms/item | numpy brute force, ms/item |"
        " rebuild from signatures | index memory | RSS growth |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {int(r['n']):,} | {r['per_item_ms']:.3f} | {r['naive_ms']:,.0f} | {r['brute_ms']:.1f} |"
            f" {r['rebuild_s']:.2f} s | {r['index_mb']:.0f} MiB | {r['rss_mb']:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
