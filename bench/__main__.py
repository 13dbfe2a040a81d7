"""`make bench`: every benchmark in turn, each beside its baseline; tables on standard output.

Figures and the exact commands are recorded in bench/README.md.
"""

from __future__ import annotations

import subprocess
import sys

BENCHES = [
    ["bench.bench_match"],
    ["bench.bench_stories"],
    ["bench.bench_poll", "--feeds", "500", "--baseline-feeds", "100"],
    ["bench.bench_service"],
    ["bench.bench_latest"],
]


def main() -> int:
    failed = 0
    for args in BENCHES:
        print(f"\n$ python -m {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, "-m", *args], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
