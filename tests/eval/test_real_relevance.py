"""Floors on the real-news development corpus (../shared/corpora/real-news), read in place at test time.

The corpus is third-party text kept outside the project: it is never copied here, and these tests skip
when it is absent. Floors sit a little under the figures measured on 2026-12-02 (F1 ar 1.000, en
0.991; topic recall micro 0.906, lowest topic 0.806; topic precision 0.769), so a regression fails the
build while a changed label or two does not.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from eval.real import corpus  # noqa: E402
from eval.real.relevance import RelevanceReport, evaluate  # noqa: E402

F1_FLOOR = {"ar": 0.97, "en": 0.96}
TOPIC_MICRO_FLOOR = 0.88
TOPIC_EACH_FLOOR = 0.75
TOPIC_PRECISION_FLOOR = 0.72


@pytest.fixture(scope="module")
def report() -> RelevanceReport:
    folder = corpus.location()
    if folder is None:
        pytest.skip("real-news corpus not found (../shared/corpora/real-news or $RAQIB_REAL_NEWS)")
    from bot.match import classify

    def judge(title: str, text: str, lang: str) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
        c = classify(title, text, lang)
        return c.relevant, c.topics, c.reasons

    return evaluate(corpus.relevance(folder), judge)


@pytest.mark.parametrize("lang", sorted(F1_FLOOR))
def test_relevance_f1_floor(report: RelevanceReport, lang: str) -> None:
    counts = report.by_lang[lang]
    assert counts.f1 >= F1_FLOOR[lang], (lang, counts, report.errors)


def test_topic_recall_floors(report: RelevanceReport) -> None:
    assert report.topics_micro.recall >= TOPIC_MICRO_FLOOR, report.as_dict()
    low = {t: round(c.recall, 3) for t, c in report.by_topic.items() if c.recall < TOPIC_EACH_FLOOR}
    assert low == {}, low


def test_topic_precision_floor(report: RelevanceReport) -> None:
    # Topics are assigned generously (a subscriber gets every topic an item is about); this keeps the
    # generosity from drifting into noise.
    assert report.topics_micro.precision >= TOPIC_PRECISION_FLOOR, report.as_dict()


def test_every_story_report_is_relevant() -> None:
    folder = corpus.location()
    if folder is None:
        pytest.skip("real-news corpus not found")
    from bot.match import classify

    missed = [r.id for r in corpus.stories(folder) if not classify(r.title, r.text, r.lang).relevant]
    assert missed == []
