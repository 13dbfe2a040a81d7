"""``python -m eval.stories``: print near-duplicate and clustering precision/recall and every error."""

from __future__ import annotations

import sys

from eval.stories.metrics import evaluate


def run(argv: list[str] | None = None) -> int:
    report = evaluate()
    print(f"Stories evaluation: {report.n_pairs} pairs, entities from {report.extractor}")
    print(f"  near-duplicates          {report.near_dup}   target P≥0.98 R≥0.90")
    print(f"  clustering (all)         {report.clustering}")
    print(f"  clustering cross-lang    {report.cross_language}   target P≥0.90 R≥0.70")
    print("  clustering accuracy by kind:")
    for kind, (ok, total) in sorted(report.by_kind.items()):
        print(f"    {kind:<26} {ok}/{total}")
    print(f"errors ({len(report.errors)}):")
    for line in report.errors:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
