"""Pair precision/recall for near-duplicates and story clustering on ``pairs.jsonl``.

For each pair: *near-duplicate* = ``b`` queried against an index holding every pair's ``a`` (so
other articles act as distractors) returns ``a`` as a near-duplicate; *same story* = ``decide``
puts ``b`` into a one-member story made of ``a``. Cross-language figures use pairs whose two
sides differ in language.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.stories.cluster import StoryCandidate, decide
from bot.stories.features import FieldWeights, ItemFeatures, story_keys
from bot.stories.fingerprint import fingerprint
from bot.stories.neardup import NearDupIndex
from bot.stories.signatures import signature
from eval.stories.entities import entity_extractor

PAIRS = Path(__file__).resolve().parent / "pairs.jsonl"
KINDS = (
    "exact",
    "syndicated",
    "same-event",
    "cross-language",
    "negative-shared-entities",
    "follow-up",
    "unrelated",
)


@dataclass(frozen=True, slots=True)
class Prf:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def __str__(self) -> str:
        return f"P={self.precision:.3f} R={self.recall:.3f} (tp={self.tp} fp={self.fp} fn={self.fn})"


@dataclass
class Report:
    extractor: str
    n_pairs: int
    near_dup: Prf
    clustering: Prf
    cross_language: Prf
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind → (correct, total) clustering
    errors: list[str] = field(default_factory=list)


def load(path: Path = PAIRS) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in rows:
        if r["kind"] not in KINDS:
            raise ValueError(f"{r['id']}: unknown kind {r['kind']!r}")
    return rows


def _prf(pairs: list[tuple[bool, bool]]) -> Prf:
    tp = sum(1 for gold, pred in pairs if gold and pred)
    fp = sum(1 for gold, pred in pairs if pred and not gold)
    fn = sum(1 for gold, pred in pairs if gold and not pred)
    return Prf(tp, fp, fn)


def _field_weights(rows: list[dict[str, Any]], features: Callable[[str, dict[str, Any]], ItemFeatures]) -> FieldWeights:
    docs = {(d["url"].split("?")[0].split("#")[0], d["title"]): d for r in rows for d in (r["a"], r["b"])}
    df: dict[str, int] = {}
    for d in docs.values():
        for k in story_keys(features("x", d)):
            df[k] = df.get(k, 0) + 1
    return FieldWeights(df, len(docs))


def evaluate(
    rows: list[dict[str, Any]] | None = None,
    extract: Callable[[str, str, str | None], frozenset[str]] | None = None,
    extractor_name: str | None = None,
    *,
    field_weights: bool = True,
) -> Report:
    """Score every pair. ``field_weights``: weigh entities and codes by their frequency over the set's
    distinct articles (each counted as one story), as storage does over the stories of the window."""
    rows = rows if rows is not None else load()
    if extract is None:
        extract, extractor_name = entity_extractor()
    index = NearDupIndex()
    for r in rows:
        index.add(("a", r["id"]), r["a"]["text"])

    def features(key: str, doc: dict[str, Any]) -> ItemFeatures:
        return ItemFeatures(
            key=key,
            published=datetime.fromisoformat(doc["published"]) if doc.get("published") else None,
            lang=doc["lang"],
            entities=extract(doc["title"], doc["text"], doc["lang"]),
            fingerprint=fingerprint(doc["title"], doc["text"]),
            informative=signature(doc["text"]).informative,
            source=doc.get("source", ""),
        )

    weights = _field_weights(rows, features) if field_weights else None
    nd_pairs: list[tuple[bool, bool]] = []
    cl_pairs: list[tuple[bool, bool]] = []
    xl_pairs: list[tuple[bool, bool]] = []
    by_kind: dict[str, tuple[int, int]] = {}
    errors: list[str] = []
    for r in rows:
        hits = [h for h in index.query(r["b"]["text"]) if h.key == ("a", r["id"])]
        fa, fb = features("a", r["a"]), features("b", r["b"])
        is_nd = bool(hits and hits[0].is_near_duplicate and fa.informative)
        nd_pairs.append((r["near_duplicate"], is_nd))
        hits_for_story = [type(h)("a", h.jaccard, h.containment) for h in hits]
        d = decide(fb, [StoryCandidate("story-a", (fa,))], hits_for_story, weights=weights)
        same = d.story_id == "story-a"
        cl_pairs.append((r["same_story"], same))
        if r["a"]["lang"] != r["b"]["lang"]:
            xl_pairs.append((r["same_story"], same))
        ok, total = by_kind.get(r["kind"], (0, 0))
        by_kind[r["kind"]] = (ok + (same == r["same_story"]), total + 1)
        if is_nd != r["near_duplicate"]:
            sim = f"J={hits[0].jaccard:.2f} C={hits[0].containment:.2f}" if hits else "not a candidate"
            errors.append(f"near-dup  {r['id']:<32} gold={r['near_duplicate']!s:<5} {sim}  [{r['note']}]")
        if same != r["same_story"]:
            errors.append(f"story     {r['id']:<32} gold={r['same_story']!s:<5} {d.reason}  [{r['note']}]")
    return Report(
        extractor=extractor_name or "custom",
        n_pairs=len(rows),
        near_dup=_prf(nd_pairs),
        clustering=_prf(cl_pairs),
        cross_language=_prf(xl_pairs),
        by_kind=by_kind,
        errors=errors,
    )
