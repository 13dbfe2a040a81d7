"""`make bench`: every benchmark in turn, each beside its baseline; their tables on standard output, then one
summary table of every target met or missed.

Each bench prints a ``BENCH-SUMMARY {json}`` line (``bench.summary``); this runner passes every other line
through as it comes and collects those. A bench that fails, or ends without a summary line, gets a row
saying so: a missing figure is never shown as met. Figures and the exact commands are recorded in
bench/README.md.

    .venv/bin/python -m bench [--only NAME ...] [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from typing import Any

from bench.summary import parse

BENCHES: list[list[str]] = [
    ["bench.bench_match"],
    ["bench.bench_stories", "--story-sizes", "10,100,1000,10000"],
    ["bench.bench_poll", "--feeds", "500", "--baseline-feeds", "100"],
    ["bench.bench_field"],
    ["bench.bench_start"],
    ["bench.bench_service"],
    ["bench.bench_latest"],
]
# `--quick`: the same benches at sizes that finish in a few minutes (a smoke run, not the recorded figures).
QUICK: dict[str, list[str]] = {
    "bench.bench_stories": ["--sizes", "10000,100000", "--story-sizes", "10,100,1000"],
    "bench.bench_poll": ["--feeds", "100", "--baseline-feeds", "20"],
    "bench.bench_field": ["--sizes", "20,40"],
    "bench.bench_start": ["--runs", "3", "--feeds", "100"],
}


def run_one(args: list[str]) -> tuple[int, list[dict[str, Any]], float]:
    """Run one bench, echoing its output; its exit code, the summaries it printed and its wall time."""
    summaries: list[dict[str, Any]] = []
    t = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-m", *args], stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            summary = parse(line.rstrip("\n"))
            if summary is None:
                sys.stdout.write(line)
                sys.stdout.flush()
            else:
                summaries.append(summary)
    return proc.returncode, summaries, time.perf_counter() - t


def fmt(value: Any, unit: str) -> str:
    text = str(value)
    if isinstance(value, float):
        text = f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{text} {unit}".strip() if unit not in ("×", "%") else f"{text}{unit}"


def table(results: list[tuple[str, int, list[dict[str, Any]], float]]) -> tuple[list[str], int]:
    """The summary table's lines and the number of targets missed (a failed or silent bench counts as missed)."""
    lines = ["| bench | target | measured | goal | |", "|---|---|---:|---|---|"]
    missed = 0
    for name, code, summaries, wall in results:
        if code != 0:
            lines.append(f"| {name} | (bench failed, exit {code}, after {wall:.0f} s) | – | – | **FAILED** |")
            missed += 1
        if not summaries and code == 0:
            lines.append(f"| {name} | (no summary line printed) | – | – | **NO FIGURES** |")
            missed += 1
        for s in summaries:
            if s.get("error"):
                lines.append(f"| {name} | {s['error']} | – | – | **NO FIGURES** |")
                missed += 1
            for t in s.get("targets", []):
                ok = bool(t.get("met"))
                missed += not ok
                goal = f"{t['op']} {fmt(t['limit'], t.get('unit', ''))}"
                measured = fmt(t["value"], t.get("unit", ""))
                note = f" ({t['note']})" if t.get("note") else ""
                verdict = "met" if ok else "**missed**"
                lines.append(f"| {s.get('bench', name)} | {t['name']}{note} | {measured} | {goal} | {verdict} |")
    return lines, missed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--only", nargs="*", help="bench module names (bench_poll …) to run; default: all")
    p.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run, not the recorded figures")
    a = p.parse_args(argv)
    results = []
    for args in BENCHES:
        module = args[0]
        if a.only and module.split(".")[-1] not in a.only and module not in a.only:
            continue
        if a.quick and module in QUICK:
            args = [module, *QUICK[module]]
        print(f"\n$ python -m {' '.join(args)}", flush=True)
        code, summaries, wall = run_one(args)
        results.append((module.split(".")[-1], code, summaries, wall))
    lines, missed = table(results)
    print("\n## Summary: every target, met or missed\n")
    print("\n".join(lines))
    print(f"\n{missed} missed (the machine may be shared: wall-time figures vary between runs)")
    return 1 if any(code != 0 for _, code, _, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
