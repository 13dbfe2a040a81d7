"""Story pair precision/recall on real multi-outlet reporting, through the product's own store path.

Every report is classified by ``bot.match.classify`` and stored with ``bot.ingest.store_jobs`` into a
fresh SQLite file, one feed per outlet, in arrival order and batches as given: the clustering measured is
the one users get, cache and database paths included. A report the matcher judges irrelevant gets no
story, so its pairs count as misses.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import combinations
from pathlib import Path

from eval.real.corpus import Report
from eval.real.relevance import Counts

LAG = timedelta(minutes=30)  # a poll sees a report this long after it is published


@dataclass
class StoryReport:
    pairs: Counts = field(default_factory=Counts)
    cross_language: Counts = field(default_factory=Counts)
    same_language: dict[str, Counts] = field(default_factory=dict)  # pairs of two Arabic / two English reports
    irrelevant: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "pairs": {"precision": round(self.pairs.precision, 3), "recall": round(self.pairs.recall, 3)},
            "cross_language": {
                "precision": round(self.cross_language.precision, 3),
                "recall": round(self.cross_language.recall, 3),
            },
            "not_relevant": len(self.irrelevant),
        }


def cluster(reports: Sequence[Report], batches: Iterable[Sequence[int]] | None = None) -> dict[str, int]:
    """Store ``reports`` through ``store_jobs``; returns report id → story id (absent: no story).

    ``batches`` lists, in arrival order, the positions of the reports each write transaction holds
    (default: one report at a time in the given order)."""
    from sqlmodel import col, select

    from bot.analyze import canonical_urls, story_features
    from bot.config import FeedsFile
    from bot.ingest.store import StoreJob, store_jobs
    from bot.match import classify
    from bot.normalize import Item
    from bot.stories.assign import StoryIndex
    from storage.db import make_engine, session, upgrade
    from storage.feeds import FeedSpec, sync_feeds
    from storage.tables import ItemRow, StoryItem

    groups = [list(b) for b in batches] if batches is not None else [[i] for i in range(len(reports))]
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'stories.db'}")
        upgrade(engine)
        with session(engine) as s:
            sources = sorted({r.source for r in reports})
            sync_feeds(s, [FeedSpec(src, f"https://{src}/feed", "en") for src in sources])
            s.commit()
        config, index = FeedsFile(), StoryIndex()
        for group in groups:
            now = max(reports[i].published for i in group) + LAG
            jobs = []
            for i in group:
                r = reports[i]
                item = Item(
                    feed_id=r.source, identity=r.id, guid=r.id, url=r.url, title=r.title, summary=r.text,
                    content="", language=r.lang, published=r.published, fetched=now,
                    content_hash=hashlib.sha256(f"{r.title}\n{r.text}".encode()).hexdigest(),
                )  # fmt: skip
                verdict = classify(r.title, r.text, r.lang)
                features = story_features([item]) if verdict.relevant else {}
                jobs.append(StoreJob(r.source, now, [item], {r.id: verdict}, features, canonical_urls([item])))
            for result in store_jobs(engine, jobs, config=config, story_index=index):
                if isinstance(result, Exception):
                    raise result
        with session(engine) as s:
            rows = s.exec(
                select(ItemRow.identity, StoryItem.story_id).join(StoryItem, col(StoryItem.item_id) == col(ItemRow.id))
            ).all()
        engine.dispose()
    return {str(identity): int(story) for identity, story in rows}


def partition(assigned: dict[str, int]) -> frozenset[frozenset[str]]:
    """The clustering as a set of sets of report ids (story ids differ between runs; groups must not)."""
    groups: dict[int, set[str]] = {}
    for rid, sid in assigned.items():
        groups.setdefault(sid, set()).add(rid)
    return frozenset(frozenset(g) for g in groups.values())


def score(reports: Sequence[Report], assigned: dict[str, int]) -> StoryReport:
    rep = StoryReport(irrelevant=[r.id for r in reports if r.id not in assigned])
    for a, b in combinations(reports, 2):
        gold = a.event == b.event
        pred = a.id in assigned and assigned.get(a.id) == assigned.get(b.id)
        second = rep.cross_language if a.lang != b.lang else rep.same_language.setdefault(a.lang, Counts())
        for c in (rep.pairs, second):
            c.tp += gold and pred
            c.fp += pred and not gold
            c.fn += gold and not pred
    # one line per event that was split or merged, naming the stories involved
    by_event: dict[str, list[Report]] = {}
    for r in reports:
        by_event.setdefault(r.event, []).append(r)
    for event, members in by_event.items():
        stories = {assigned.get(r.id) for r in members}
        if len(stories) > 1:
            parts = ", ".join(f"{r.id}/{r.lang}->{assigned.get(r.id)}" for r in members)
            rep.errors.append(f"split  {event}: {parts}")
    by_story: dict[int, set[str]] = {}
    for r in reports:
        if r.id in assigned:
            by_story.setdefault(assigned[r.id], set()).add(r.event)
    for sid, events in sorted(by_story.items()):
        if len(events) > 1:
            rep.errors.append(f"merged story {sid}: {sorted(events)}")
    return rep


def near_duplicate_baseline(reports: Sequence[Report]) -> dict[str, int]:
    """A deduplicating feed bot: reports join only when their texts are near-copies (MinHash)."""
    from bot.stories.neardup import NearDupIndex

    index = NearDupIndex()
    assigned: dict[str, int] = {}
    for n, r in enumerate(reports):
        hits = [h for h in index.query(r.text) if h.is_near_duplicate]
        assigned[r.id] = assigned[str(hits[0].key)] if hits else n
        index.add(r.id, r.text)
    return assigned
