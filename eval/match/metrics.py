"""Relevance, topic and severity metrics for a classifier over labeled items.

``evaluate(items, classify)`` is pure apart from calling ``classify``; tests drive it with a stand-in.
Topic metrics compare the topics the classifier gives to items it calls relevant with the labeled
topics of items labeled relevant, so a missed item costs recall on each of its topics.
Severity is scored only on true positives (where both sides agree the item is relevant).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from eval.match.corpus import LANGS, SEVERITIES, TOPICS, Item


class Classification(Protocol):
    """What the runner reads from ``bot.match.classify``'s result."""

    relevant: bool
    score: float
    severity: str | None
    topics: tuple[str, ...]
    reasons: tuple[str, ...]


Classifier = Callable[..., Classification]


@dataclass(slots=True)
class Prf:
    """Counts of one binary decision, with precision/recall/F1 derived from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, expected: bool, got: bool) -> None:
        if expected and got:
            self.tp += 1
        elif got:
            self.fp += 1
        elif expected:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        # No predictions at all: precision is vacuous; report 1.0 only if nothing was missed either.
        denom = self.tp + self.fp
        return self.tp / denom if denom else (1.0 if self.fn == 0 else 0.0)

    @property
    def recall(self) -> float:
        denom = self.tp + self.fn
        return self.tp / denom if denom else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True, slots=True)
class Error:
    """One item where the classifier's relevance decision differs from the label."""

    item: Item
    got_relevant: bool
    score: float
    got_topics: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def kind(self) -> str:
        return "FN" if self.item.relevant else "FP"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "lang": self.item.lang,
            "kind": self.kind,
            "title": self.item.title,
            "expected": {"relevant": self.item.relevant, "topics": list(self.item.topics)},
            "got": {"relevant": self.got_relevant, "score": self.score, "topics": list(self.got_topics)},
            "reasons": list(self.reasons),
            "note": self.item.note,
        }


@dataclass(slots=True)
class Report:
    """Everything ``python -m eval.match`` prints, also handy for tests."""

    n: int = 0
    overall: Prf = field(default_factory=Prf)
    by_lang: dict[str, Prf] = field(default_factory=lambda: {lang: Prf() for lang in LANGS})
    by_topic: dict[str, Prf] = field(default_factory=lambda: {t: Prf() for t in TOPICS})
    # (expected, got) -> count, over true positives only; got may be None or an unknown string.
    severity: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    errors: list[Error] = field(default_factory=list)

    @property
    def severity_accuracy(self) -> float:
        total = sum(self.severity.values())
        right = sum(c for (exp, got), c in self.severity.items() if exp == got)
        return right / total if total else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "overall": self.overall.as_dict(),
            "by_lang": {k: v.as_dict() for k, v in self.by_lang.items()},
            "by_topic": {k: v.as_dict() for k, v in self.by_topic.items()},
            "severity_accuracy": round(self.severity_accuracy, 4),
            "severity_confusion": [
                {"expected": exp, "got": got, "count": c}
                for (exp, got), c in sorted(self.severity.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
            ],
            "errors": [e.as_dict() for e in self.errors],
        }


def evaluate(items: Iterable[Item], classify: Classifier) -> Report:
    """Run ``classify(title, text, lang=...)`` on every item and score it against the labels."""
    report = Report()
    for item in items:
        result = classify(item.title, item.text, lang=item.lang)
        got = bool(result.relevant)
        got_topics = tuple(result.topics) if got else ()
        report.n += 1
        report.overall.add(item.relevant, got)
        report.by_lang.setdefault(item.lang, Prf()).add(item.relevant, got)
        expected_topics = set(item.topics) if item.relevant else set()
        for topic in expected_topics | set(got_topics):
            report.by_topic.setdefault(topic, Prf()).add(topic in expected_topics, topic in got_topics)
        if item.relevant and got and item.severity is not None:
            report.severity[(item.severity, result.severity)] += 1
        if got != item.relevant:
            report.errors.append(
                Error(
                    item=item,
                    got_relevant=got,
                    score=float(result.score),
                    got_topics=tuple(result.topics),
                    reasons=tuple(result.reasons),
                )
            )
    return report


def severity_labels() -> tuple[str, ...]:
    """Row/column order for the confusion table."""
    return SEVERITIES
