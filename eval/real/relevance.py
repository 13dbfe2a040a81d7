"""Relevance F1 per language and topic recall on real labeled news."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from eval.real.corpus import LabeledItem

# (title, text, lang) -> (relevant, topics, reasons)
Judge = Callable[[str, str, str], tuple[bool, tuple[str, ...], tuple[str, ...]]]


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class RelevanceReport:
    by_lang: dict[str, Counts] = field(default_factory=dict)
    by_topic: dict[str, Counts] = field(default_factory=dict)  # recall over gold labels of relevant items
    topics_micro: Counts = field(default_factory=Counts)
    topics_by_lang: dict[str, Counts] = field(default_factory=dict)  # micro topic counts per language
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "f1": {lang: round(c.f1, 3) for lang, c in self.by_lang.items()},
            "topic_recall": {t: round(c.recall, 3) for t, c in self.by_topic.items()},
            "topic_recall_micro": round(self.topics_micro.recall, 3),
            "topic_recall_by_lang": {lang: round(c.recall, 3) for lang, c in self.topics_by_lang.items()},
            "topic_precision_micro": round(self.topics_micro.precision, 3),
        }


def evaluate(items: Sequence[LabeledItem], judge: Judge) -> RelevanceReport:
    """A gold topic counts as delivered when the item is judged relevant and carries that topic: that is
    what a chat subscribed to the topic receives."""
    rep = RelevanceReport()
    for item in items:
        relevant, topics, reasons = judge(item.title, item.text, item.lang)
        c = rep.by_lang.setdefault(item.lang, Counts())
        c.tp += relevant and item.relevant
        c.fp += relevant and not item.relevant
        c.fn += item.relevant and not relevant
        got = set(topics) if relevant else set()
        if item.relevant:
            for t in item.topics:
                tc = rep.by_topic.setdefault(t, Counts())
                hit = t in got
                tc.tp += hit
                tc.fn += not hit
                for tc in (rep.topics_micro, rep.topics_by_lang.setdefault(item.lang, Counts())):
                    tc.tp += hit
                    tc.fn += not hit
            extra = len(got - set(item.topics))
            rep.topics_micro.fp += extra
            rep.topics_by_lang.setdefault(item.lang, Counts()).fp += extra
        missed = sorted(set(item.topics) - got) if item.relevant else []
        if relevant != item.relevant or missed:
            kind = "FP" if relevant and not item.relevant else "FN" if item.relevant and not relevant else "TOPIC"
            head = (item.title or item.text)[:90].replace("\n", " ")
            rep.errors.append(
                f"[{kind}] {item.id} ({item.lang}) {head}\n"
                f"      gold {item.topics if item.relevant else 'irrelevant'} | got {sorted(got)}"
                + (f" missing {missed}" if missed and relevant else "")
                + f"\n      reasons: {'; '.join(reasons) or '-'}"
                + (f"\n      note: {item.note}" if item.note else "")
            )
    rep.by_topic = dict(sorted(rep.by_topic.items(), key=lambda kv: -(kv[1].tp + kv[1].fn)))
    return rep
