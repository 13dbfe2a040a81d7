"""``python -m eval.match [--file dev|holdout|both] [--json]``: score ``bot.match.classify``.

Prints precision/recall/F1 overall, per language and per topic, severity accuracy with its confusion
table on true positives, and every relevance error with the classifier's reasons. Exit status is 0
when the run completed (the floor is enforced by tests/eval, not here), 2 when the matcher is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from eval.match.corpus import SEVERITIES, load_split, validate
from eval.match.metrics import Prf, Report, evaluate


def _row(name: str, prf: Prf) -> str:
    return (
        f"  {name:<16} P {prf.precision:6.3f}  R {prf.recall:6.3f}  F1 {prf.f1:6.3f}"
        f"   (tp {prf.tp}, fp {prf.fp}, fn {prf.fn}, support {prf.support})"
    )


def render(report: Report, split: str) -> str:
    """Human-readable report; every error is listed, none elided."""
    out = [f"== matcher eval: {split} ({report.n} items) ==", "relevance:", _row("overall", report.overall)]
    out += [_row(lang, prf) for lang, prf in report.by_lang.items()]
    out.append("topics (predicted topics on predicted-relevant items vs labeled topics):")
    out += [_row(topic, prf) for topic, prf in report.by_topic.items()]
    total = sum(report.severity.values())
    out.append(f"severity on true positives: accuracy {report.severity_accuracy:.3f} over {total}")
    unknown = sorted({g for _, g in report.severity if g not in SEVERITIES and g is not None}, key=str)
    gots: list[str | None] = [*SEVERITIES, None, *unknown]
    out.append("  expected\\got " + "".join(f"{g!s:>10}" for g in gots))
    for exp in SEVERITIES:
        out.append(f"  {exp:<13}" + "".join(f"{report.severity[(exp, g)]:>10}" for g in gots))
    out.append(f"errors ({len(report.errors)}):")
    for err in report.errors:
        item = err.item
        out.append(
            f"  [{err.kind}] {item.id} ({item.lang}) {item.title}\n"
            f"      expected relevant={item.relevant} topics={list(item.topics)}"
            f" | got relevant={err.got_relevant} score={err.score:.2f} topics={list(err.got_topics)}\n"
            f"      reasons: {'; '.join(err.reasons) or '-'}" + (f"\n      note: {item.note}" if item.note else "")
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.match", description=__doc__)
    parser.add_argument("--file", choices=("dev", "holdout", "both"), default="both")
    parser.add_argument("--json", action="store_true", help="one JSON report per split on stdout")
    args = parser.parse_args(argv)
    try:
        from bot.match import classify
    except ImportError as exc:
        print(f"eval.match: bot.match is not available ({exc})", file=sys.stderr)
        return 2
    splits = ("dev", "holdout") if args.file == "both" else (args.file,)
    everything = [item for split in splits for item in load_split(split)]
    validate(everything)
    for split in splits:
        report = evaluate([i for i in everything if i.split == split], classify)
        if args.json:
            print(json.dumps({"split": split, **report.as_dict()}, ensure_ascii=False))
        else:
            print(render(report, split))
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
