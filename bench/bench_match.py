"""Benchmark: matcher throughput vs a regex-per-term loop and the bare automaton scan.

Run: ``.venv/bin/python -m bench.bench_match [--mb 5]``.

Input: synthetic mixed Arabic/English items (bench/match_text.py), at least 5 MB of UTF-8.
Measured, in one run, on the same items:

* ``classify``: the full matcher (normalize with offset map, automaton scan with boundary rules,
  recognizers, evidence, topics, severity, reasons) on title and body of every item.
* (a) regex per term: one compiled ``\\b...\\b`` case-insensitive regex per lexicon pattern, each
  run with ``finditer`` over the text — the keyword filter of common RSS bots, given every pattern we
  search for. Too slow to run over all items, so it runs on a sample and is reported in MB/s.
* (b) bare automaton: ``automaton.iter`` over the already-normalized text, consuming every raw
  match and doing nothing else — the floor any automaton-based matcher pays. Since the boundary
  rules moved into the keys (padded with spaces), this floor reports only whole-token matches and
  is itself faster than a scan that reports every substring hit.

Lexicon memory is measured with tracemalloc around a fresh build (the automaton's own C storage is
reported from ``get_stats()`` as well, since it may not go through Python's allocator).
"""

from __future__ import annotations

import argparse
import re
import time
import tracemalloc

from bench.match_text import make_items
from bench.summary import emit, target
from bot.match import classify, load_lexicon
from bot.match.lexicon import _read_yaml, build_lexicon
from bot.match.normalizer import normalize

REGEX_SAMPLE_BYTES = 300_000


def _mb(items: list[tuple[str, str]]) -> float:
    return sum(len(t.encode()) + len(b.encode()) for t, b in items) / 1e6


def _time(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_match")
    parser.add_argument("--mb", type=float, default=5.0)
    args = parser.parse_args(argv)

    # Warm the caches the build shares with everything else (wordfreq's Arabic list for the variant
    # filter, the normalizer's translate table), so tracemalloc sees the lexicon itself.
    from wordfreq import zipf_frequency

    from bot.match.variants import _arabic_real_words

    _arabic_real_words()
    zipf_frequency("chip", "en")
    normalize("x")
    tracemalloc.start()
    t0 = time.perf_counter()
    fresh = build_lexicon(_read_yaml("entities.yaml"), _read_yaml("topics.yaml"), _read_yaml("negatives.yaml"))
    build_s = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    current = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    ac_bytes = fresh.automaton.get_stats()["total_size"]
    del fresh

    lex = load_lexicon()
    items = make_items(int(args.mb * 1e6))
    mb = _mb(items)
    patterns = sorted({p.key for p in lex.patterns})

    classify("warm up", "")
    t_classify = _time(lambda: [classify(t, b, lexicon=lex) for t, b in items])

    normalized = [(normalize(t).text, normalize(b).text) for t, b in items]
    automaton = lex.automaton

    def bare() -> None:
        n = 0
        for t, b in normalized:
            for _ in automaton.iter(t):
                n += 1
            for _ in automaton.iter(b):
                n += 1

    t_bare = _time(bare)
    t_norm = _time(lambda: [(normalize(t), normalize(b)) for t, b in items])
    from bot.match.scanner import scan

    t_scan = _time(lambda: [(scan(t, lex), scan(b, lex)) for t, b in normalized])

    sample: list[tuple[str, str]] = []
    size = 0
    for t, b in items:
        if size >= REGEX_SAMPLE_BYTES:
            break
        sample.append((t, b))
        size += len(t.encode()) + len(b.encode())
    regexes = [re.compile(r"\b" + re.escape(p) + r"\b", re.IGNORECASE) for p in patterns]

    def regex_loop() -> None:
        for t, b in sample:
            for rx in regexes:
                for _ in rx.finditer(t):
                    pass
                for _ in rx.finditer(b):
                    pass

    t_regex = _time(regex_loop)
    sample_mb = _mb(sample)

    rate_c = mb / t_classify
    rate_b = mb / t_bare
    rate_r = sample_mb / t_regex
    print(f"# matcher benchmark ({mb:.2f} MB, {len(items)} items, mixed ar/en)\n")
    print(
        f"lexicon: {lex.pattern_count} distinct patterns (curated aliases + generated variants), "
        f"{lex.automaton_keys} automaton keys (padded, Arabic ones also with each proclitic), "
        f"built in {build_s:.2f} s; tracemalloc: {current / 1e6:.1f} MB retained, {peak / 1e6:.1f} MB peak; "
        f"automaton C storage {ac_bytes / 1e6:.1f} MB\n"
    )
    print("| method | MB/s | time | vs classify |")
    print("|---|---:|---:|---:|")
    print(f"| classify (full matcher) | {rate_c:.2f} | {t_classify:.2f} s | 1.0× |")
    print(
        f"| (a) regex per term ({len(regexes)} regexes, {sample_mb:.2f} MB sample) | {rate_r:.3f} | "
        f"{t_regex:.2f} s | {rate_c / rate_r:.0f}× slower |"
    )
    print(
        f"| (b) bare automaton scan of normalized text | {rate_b:.2f} | {t_bare:.2f} s | "
        f"{rate_b / rate_c:.2f}× faster |"
    )
    print(f"| breakdown: normalize only (translate + offset map) | {mb / t_norm:.2f} | {t_norm:.2f} s | |")
    print(f"| breakdown: scan only (automaton + boundaries + recognizers) | {mb / t_scan:.2f} | {t_scan:.2f} s | |")
    print()
    ok_a = rate_c / rate_r >= 20
    ok_b = rate_b / rate_c <= 3
    print(
        f"targets: ≥20× faster than (a): {'met' if ok_a else 'MISSED'}; within 3× of (b): {'met' if ok_b else 'MISSED'}"
    )
    emit(
        "match",
        [
            target("classify vs one regex per term", rate_c / rate_r, ">=", 20, "×"),
            target("classify vs bare automaton scan (slowdown)", rate_b / rate_c, "<=", 3, "×"),
            target("classify throughput", rate_c, ">=", 2, "MB/s"),
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
