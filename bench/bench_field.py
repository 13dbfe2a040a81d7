"""Issue 14's all-about-the-field workload for `make bench`: ``bench.bench_poll --workload field --sizes
100,200,500`` (every item about the field, two templates in Arabic and English, the sequential ``feedparser``
loop beside Raqib at each size). Any further arguments go to ``bench.bench_poll`` (``--sizes 20,40`` for a
smoke run).

    .venv/bin/python -m bench.bench_field [--sizes 100,200,500]
"""

from __future__ import annotations

import sys

from bench import bench_poll


def main() -> None:
    sys.argv = [sys.argv[0], "--workload", "field", "--sizes", "100,200,500", *sys.argv[1:]]
    bench_poll.main()


if __name__ == "__main__":
    main()
