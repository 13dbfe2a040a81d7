"""Start-up benchmark: what a command costs from `exec` to exit, with the compiled lexicon cached on disk and
without it (issue 14, item 3).

Every figure is the wall time of a fresh ``raqib`` process (``subprocess.run``), as a user or a cron job
runs it, beside the CPU time of that process and its children (the machine may be shared: CPU varies less).

- ``raqib match TEXT``: the first run after install (empty cache: builds and writes it), then warm runs.
- lexicon load in a fresh process (``python -c 'load_lexicon()'``, imports included).
- ``raqib poll --once`` over 5 local feeds (30 items each, 100 ms server delay): first poll (150 new items
  stored and clustered), then again (all 304).
- ``raqib poll --once`` over 500 local feeds on 25 loopback hosts: the first cycle fills the store, the
  timed one is the warm cycle (all 304) including process start.
- Baseline, same run: the same commands with an unusable cache directory, so every process builds the
  lexicon as before the cache (the other start-up changes — settings not read by ``match``, normalizer tables
  carried in the cache — are in both rows' code).

    .venv/bin/python -m bench.bench_start [--runs 5] [--feeds 500] [--before DIR]

``--before DIR`` runs the same commands with the code of DIR (e.g. ``git worktree add DIR <commit>``) first
on the path, for a side-by-side with the code before a change: each poll row is then run alternately with
that code and today's, ``--runs`` times each (a first poll on a fresh store every time), and the medians are
reported — on a shared machine a run of one code alone would measure the neighbours' load as much as the
code. The load average at the start and the end is printed with the table.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.bench_poll import start_servers
from bench.summary import emit, target

TEXT = "واشنطن تمنح تراخيص لـ«إنفيديا» لبيع رقائق H20"
RAQIB = [sys.executable, "-m", "bot.cli"]
LOAD = (
    "import time; t = time.perf_counter(); from bot.match import load_lexicon; load_lexicon(); "
    "print(time.perf_counter() - t)"
)


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds (the process and its children: parse workers) of one command, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    # ``RAQIB_CODE``: run another checkout's code (``--before``): it comes first on the path.
    cwd = env.get("RAQIB_CODE")
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=False, cwd=cwd)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:6])} … exited {out.returncode}: {out.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


def environment(cache: Path, code: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RAQIB_CONFIG", "RAQIB_CODE")}
    env["RAQIB_CACHE_DIR"] = str(cache)
    if code:
        env["RAQIB_CODE"] = code
        env["PYTHONPATH"] = code
    return env


def feeds_file(path: Path, data: Path, port: int, feeds: int, hosts: int) -> Path:
    lines = [f"settings: {{allow_private_addresses: true, data_dir: '{data}'}}", "feeds:"]
    lines += [
        f"  - {{id: f{n}, url: 'http://127.0.0.{n % hosts + 1}:{port}/feed/{n}.xml', language: en}}"
        for n in range(feeds)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def median(xs: Sequence[tuple[Any, ...]]) -> tuple[float, float]:
    return statistics.median(x[0] for x in xs), statistics.median(x[1] for x in xs)


def poll(cfg: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """One ``raqib poll --once``: wall, CPU and its last line (every feed must have answered)."""
    wall, cpu, stdout = run([*RAQIB, "--config", str(cfg), "poll", "--once"], env)
    last = stdout.strip().splitlines()[-1]
    if " 0 failed" not in last:
        raise RuntimeError(f"feeds failed: {last}")
    return wall, cpu, last


def poll_pair(tmp: Path, name: str, env: dict[str, str], port: int, feeds: int, hosts: int) -> list[tuple]:
    """First and second ``raqib poll --once`` over a fresh store: (wall, cpu) of each."""
    data = tmp / name
    data.mkdir()
    cfg = feeds_file(tmp / f"{name}.yaml", data, port, feeds, hosts)
    return [poll(cfg, env) for _ in range(2)]


def poll_runs(
    tmp: Path, codes: dict[str, dict[str, str]], port: int, feeds: int, hosts: int, runs: int, *, first: bool
) -> tuple[dict[str, tuple[float, float, str]], dict[str, list[tuple[float, float, str]]]]:
    """``runs`` polls with each code, alternating: first polls (a fresh store each time) or warm ones (the
    store filled once by a first poll, then every feed answers 304). Returns the fills (warm only) and the
    runs, by code."""
    kind = "first" if first else "warm"
    cfgs = {
        label: feeds_file(tmp / f"{label}-{feeds}-{kind}.yaml", tmp / f"{label}-{feeds}-{kind}", port, feeds, hosts)
        for label in codes
    }
    fills: dict[str, tuple[float, float, str]] = {}
    if not first:
        for label, env in codes.items():
            (tmp / f"{label}-{feeds}-{kind}").mkdir()
            fills[label] = poll(cfgs[label], env)
    out: dict[str, list[tuple[float, float, str]]] = {label: [] for label in codes}
    for _ in range(runs):
        for label, env in codes.items():
            if first:
                data = tmp / f"{label}-{feeds}-{kind}"
                shutil.rmtree(data, ignore_errors=True)
                data.mkdir()
            out[label].append(poll(cfgs[label], env))
    return fills, out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5, help="warm runs of each short command (median reported)")
    p.add_argument("--feeds", type=int, default=500, help="feeds in the large warm cycle")
    p.add_argument("--before", help="a checkout of older code (git worktree): the same commands, side by side")
    a = p.parse_args()
    load_start = os.getloadavg()
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        env = environment(tmp / "cache")
        blocker = tmp / "not-a-directory"
        blocker.write_text("")
        nocache = environment(blocker / "cache")  # mkdir fails: every process builds, as before the cache

        wall, cpu, _ = run([*RAQIB, "match", TEXT], env)
        rows.append(("`raqib match TEXT`, first run after install (builds, writes the cache)", wall, cpu, ""))
        match_warm = median([run([*RAQIB, "match", TEXT], env)[:2] for _ in range(a.runs)])
        rows.append((f"`raqib match TEXT`, cached (median of {a.runs})", *match_warm, "< 0.6 s"))
        match_old = median([run([*RAQIB, "match", TEXT], nocache)[:2] for _ in range(max(2, a.runs // 2))])
        rows.append(("`raqib match TEXT`, no cache (builds)", *match_old, ""))
        loads = [float(run([sys.executable, "-c", LOAD], env)[2]) for _ in range(a.runs)]
        load_s = statistics.median(loads)
        rows.append((f"lexicon load in a fresh process, imports included (median of {a.runs})", load_s, 0.0, "< 0.3 s"))

        before = environment(tmp / "cache-before", a.before) if a.before else None
        codes = {"today": env, **({"BEFORE": before} if before else {})}
        for label, code_env in codes.items():
            imports = median([run([sys.executable, "-c", "import bot.app"], code_env)[:2] for _ in range(a.runs)])
            rows.append((f"{label}: `import bot.app` in a fresh process (median of {a.runs})", *imports, ""))
        if before:
            run([*RAQIB, "match", TEXT], before)  # its cache directory starts empty: built here, not timed
            b_match = median([run([*RAQIB, "match", TEXT], before)[:2] for _ in range(max(2, a.runs // 2))])
            rows.append((f"BEFORE ({a.before}): `raqib match TEXT`", *b_match, ""))

        def poll_rows(what: str, results: dict[str, list[tuple[float, float, str]]], goal: str) -> None:
            for label, runs in results.items():
                n = f"median of {len(runs)}" if len(runs) > 1 else "one run"
                rows.append((f"{label}: `raqib poll --once`, {what} ({n})", *median([r[:2] for r in runs]), goal))

        server, port = start_servers(1, 5)
        try:
            _, first5 = poll_runs(tmp, codes, port, 5, 1, a.runs, first=True)
            _, warm5 = poll_runs(tmp, codes, port, 5, 1, a.runs, first=False)
            old5, _ = poll_pair(tmp, "p5old", nocache, port, 5, 1)
        finally:
            server.terminate()
            server.wait()
        poll_rows("5 local feeds, first poll (150 new items)", first5, "< 2 s")
        poll_rows("5 local feeds, again (all 304)", warm5, "< 2 s")
        rows.append(("today: `raqib poll --once`, 5 local feeds, first poll, no cache", *old5[:2], ""))

        server, port = start_servers(25, a.feeds)
        try:
            fills, warm_n = poll_runs(tmp, codes, port, a.feeds, 25, a.runs, first=False)
        finally:
            server.terminate()
            server.wait()
        poll_rows(f"{a.feeds} feeds, first cycle (fills the store)", {k: [v] for k, v in fills.items()}, "")
        poll_rows(f"{a.feeds} feeds, warm cycle incl. process start", warm_n, "< 2 s")
    load_end = os.getloadavg()

    print("# start-up: fresh `raqib` processes, wall time from exec to exit\n")
    print("| command | wall (s) | CPU (s) | target |")
    print("|---|---:|---:|---|")
    for name, wall, cpu, goal in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {goal} |" if cpu else f"| {name} | {wall:.3f} | – | {goal} |")
    print(f"\nlast lines: 5 feeds: {first5['today'][-1][2]!r}; {a.feeds} feeds warm: {warm_n['today'][-1][2]!r}")
    start, end = (" / ".join(f"{x:.2f}" for x in load) for load in (load_start, load_end))
    print(f"load average (1 / 5 / 15 min): {start} at the start, {end} at the end")
    emit(
        "start-up",
        [
            target("raqib match TEXT (cached lexicon)", match_warm[0], "<", 0.6, "s"),
            target("lexicon load in a fresh process", load_s, "<", 0.3, "s"),
            target("raqib poll --once, 5 local feeds, first poll", median(first5["today"])[0], "<", 2, "s"),
            target(
                f"raqib poll --once, {a.feeds} feeds warm, incl. process start", median(warm_n["today"])[0], "<", 2, "s"
            ),
        ],
    )


if __name__ == "__main__":
    main()
