"""``python -m eval.real [--json] [--errors]``: relevance, topics and stories on the real-news corpus.

Reads ``../shared/corpora/real-news`` (or ``$RAQIB_REAL_NEWS``) in place; prints that it skipped when the
corpus is absent. Each figure is printed beside the keyword-filter baseline (``eval.real.baseline``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from eval.real import corpus, stories
from eval.real.baseline import keyword_topics
from eval.real.relevance import Counts, RelevanceReport, evaluate

TARGETS = {"f1": {"ar": 0.96, "en": 0.97}, "topic_micro": 0.90, "topic_min": 0.80, "story_p": 0.90, "story_r": 0.80}


def _product(title: str, text: str, lang: str) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    from bot.match import classify

    c = classify(title, text, lang)
    return c.relevant, tuple(c.topics), tuple(c.reasons)


def _baseline(title: str, text: str, lang: str) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    topics = keyword_topics(title, text)
    return bool(topics), topics, ()


def _mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _pr(c: Counts) -> str:
    return f"P {c.precision:.3f} R {c.recall:.3f}"


def render(
    prod: RelevanceReport,
    base: RelevanceReport,
    st: stories.StoryReport,
    sb: stories.StoryReport,
    only: str | None = None,
) -> str:
    out = ["measure (real-news dev corpus)                   raqib            keyword baseline  target"]
    if only != "stories":
        out += _relevance_rows(prod, base)
    if only != "relevance":
        out += _story_rows(st, sb)
    return "\n".join(out)


def _relevance_rows(prod: RelevanceReport, base: RelevanceReport) -> list[str]:
    out = []
    for lang in ("ar", "en"):
        p, b = prod.by_lang[lang], base.by_lang[lang]
        n = p.tp + p.fn + p.fp
        target = TARGETS["f1"][lang]
        out.append(
            f"relevance F1 {lang} (fp {p.fp}, fn {p.fn}; {n} scored)".ljust(49)
            + f"{p.f1:.3f}            {b.f1:.3f}             ≥ {target} {_mark(p.f1 >= target)}"
        )
    micro = prod.topics_micro.recall
    out.append(
        f"topic recall, micro ({prod.topics_micro.tp + prod.topics_micro.fn} labels)".ljust(49)
        + f"{micro:.3f}            {base.topics_micro.recall:.3f}             ≥ 0.90 {_mark(micro >= 0.90)}"
    )
    for lang in ("ar", "en"):
        c, cb = prod.topics_by_lang.get(lang, Counts()), base.topics_by_lang.get(lang, Counts())
        out.append(
            f"  topic recall, micro, {lang} ({c.tp + c.fn} labels)".ljust(49)
            + f"{c.recall:.3f}            {cb.recall:.3f}"
        )
    out.append(
        "topic precision, micro".ljust(49)
        + f"{prod.topics_micro.precision:.3f}            {base.topics_micro.precision:.3f}"
    )
    for topic, c in prod.by_topic.items():
        bc = base.by_topic.get(topic, Counts())
        out.append(
            f"  topic recall {topic} ({c.tp + c.fn})".ljust(49)
            + f"{c.recall:.3f}            {bc.recall:.3f}             ≥ 0.80 {_mark(c.recall >= 0.80)}"
        )
    return out


def _story_rows(st: stories.StoryReport, sb: stories.StoryReport) -> list[str]:
    out = []
    rows = [
        ("story pairs", st.pairs, sb.pairs, True),
        ("story pairs, cross-language", st.cross_language, sb.cross_language, True),
    ]
    rows += [
        (f"  story pairs, both {lang}", st.same_language.get(lang, stories.Counts()),
         sb.same_language.get(lang, stories.Counts()), False)
        for lang in ("ar", "en")
    ]  # fmt: skip
    for name, c, cb, targeted in rows:
        ok = c.precision >= 0.90 and c.recall >= 0.80
        head = f"{name} (tp {c.tp} fp {c.fp} fn {c.fn})".ljust(49)
        out.append(head + f"{_pr(c)}  {_pr(cb)}" + (f"   ≥ 0.90 / 0.80 {_mark(ok)}" if targeted else ""))
    out.append(f"story reports not judged relevant: {len(st.irrelevant)} {st.irrelevant}")
    out.append("(story baseline: near-duplicate grouping only)")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.real", description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--errors", action="store_true", help="list every relevance, topic and story error")
    parser.add_argument("--only", choices=("relevance", "stories"), default=None)
    args = parser.parse_args(argv)
    folder = corpus.location()
    if folder is None:
        print("real-news corpus not found (../shared/corpora/real-news or $RAQIB_REAL_NEWS): skipped")
        return 0
    items, reports = corpus.relevance(folder), corpus.stories(folder)
    prod = evaluate(items, _product) if args.only != "stories" else RelevanceReport()
    base = evaluate(items, _baseline) if args.only != "stories" else RelevanceReport()
    if args.only != "relevance":
        st = stories.score(reports, stories.cluster(reports))
        sb = stories.score(reports, stories.near_duplicate_baseline(reports))
    else:
        st = sb = stories.StoryReport()
    if args.json:
        print(json.dumps({"relevance": prod.as_dict(), "stories": st.as_dict(),
                          "baseline": {"relevance": base.as_dict(), "stories": sb.as_dict()}}))  # fmt: skip
        return 0
    print(f"corpus: {folder} ({len(items)} relevance items, {len(reports)} story reports)")
    print(render(prod, base, st, sb, args.only))
    if args.errors:
        print(f"\nrelevance and topic errors ({len(prod.errors)}):")
        print("\n".join("  " + e for e in prod.errors))
        print(f"\nstory errors ({len(st.errors)}):")
        print("\n".join("  " + e for e in st.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
