"""Store what a poll found, match what is new, and pick what deserves an alert.

Synchronous on purpose: the pipeline runs it in a worker thread, so one transaction's worth of SQL never
blocks the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import FeedsFile
from bot.deliver.route import StoryFacts, route
from bot.normalize import Item
from bot.stories.assign import StoryIndex, assign_story, refresh_story
from storage import repositories as repo
from storage import subscriptions as subs
from storage.db import session
from storage.tables import ItemRow, Match, MatchEntity, MatchTopic, StoryItem

if TYPE_CHECKING:
    from bot.match import Classification
    from bot.pipeline import Alertable


@dataclass
class StoredBatch:
    new: int = 0
    updated: int = 0
    relevant: int = 0
    alerts: list[Alertable] = field(default_factory=list)
    new_stories: int = 0
    grown_stories: set[int] = field(default_factory=set)  # existing stories that gained or changed a member


def _canonical(url: str | None, source_href: str | None) -> str | None:
    from bot.stories.urls import publisher_url

    return publisher_url(url, source_href)


def to_row(item: Item) -> ItemRow:
    return ItemRow(
        feed_id=item.feed_id,
        identity=item.identity,
        guid=item.guid,
        url=item.url,
        canonical_url=_canonical(item.url, item.source_url),
        source_url=item.source_url,
        source_name=item.source_name,
        title=item.title,
        summary=item.summary,
        content=item.content,
        language=item.language,
        published=item.published,
        fetched=item.fetched,
        content_hash=item.content_hash,
    )


Classifier = Callable[[str, str, str | None], "Classification"]


def default_classifier() -> Classifier:
    from bot.match import classify

    return classify


def _match_values(row: ItemRow, c: Classification, now: datetime) -> dict[str, object]:
    entities = [
        {"id": e.id, "kind": e.kind, "text": e.text, "start": e.start, "end": e.end, "field": e.field}
        for e in c.entities
    ]
    return {
        "item_id": row.id,
        "relevant": c.relevant,
        "score": round(float(c.score), 4),
        "severity": c.severity,
        "topics": " ".join(c.topics),
        "entities": json.dumps(entities, ensure_ascii=False),
        "reasons": json.dumps(list(c.reasons), ensure_ascii=False),
        "matched_at": now,
    }


def save_matches(s: Session, verdicts: Sequence[tuple[ItemRow, Classification]], now: datetime) -> None:
    """Store verdicts on new items in bulk: the match row, and topic/entity rows for relevant ones."""
    matches, topics, entities = [], [], []
    for row, c in verdicts:
        matches.append(_match_values(row, c, now))
        if c.relevant:
            topics += [{"item_id": row.id, "topic": t, "published": row.published} for t in dict.fromkeys(c.topics)]
            ids = dict.fromkeys(e.id for e in c.entities)
            entities += [{"item_id": row.id, "entity": e, "published": row.published} for e in ids]
    for table, values in ((Match, matches), (MatchTopic, topics), (MatchEntity, entities)):
        if values:
            s.execute(insert(table), values)


def replace_match(s: Session, row: ItemRow, c: Classification, now: datetime) -> None:
    """A corrected item is matched again: its old verdict goes."""
    for table in (MatchTopic, MatchEntity, Match):
        s.execute(delete(table).where(table.item_id == row.id))  # type: ignore[attr-defined]
    save_matches(s, [(row, c)], now)


def store_new_items(
    engine: Engine,
    feed_id: str,
    items: Sequence[Item],
    *,
    first_poll: bool,
    now: datetime,
    config: FeedsFile,
    classifier: Classifier | None = None,
    verdicts: dict[str, Classification] | None = None,
    authority: bool = False,
    story_index: StoryIndex | None = None,
) -> StoredBatch:
    from bot.pipeline import Alertable

    if verdicts is None:
        # Matching is pure CPU: done before taking the lock or opening a transaction.
        classify = classifier or default_classifier()
        verdicts = {i.identity: classify(i.title, i.content or i.summary, i.language) for i in items}
    verdict = verdicts
    batch = StoredBatch()
    by_identity = {i.identity: i for i in items}
    oldest_alert = now - timedelta(seconds=config.settings.max_item_age)
    index = story_index or StoryIndex()
    with index.lock, session(engine) as s:
        result = repo.store_items(s, feed_id, (to_row(i) for i in items))
        batch.new, batch.updated = len(result.new), len(result.updated)
        save_matches(s, [(row, verdict[row.identity]) for row in result.new], now)
        for row in result.updated:
            c = verdict[row.identity]
            replace_match(s, row, c, now)
            linked = s.get(StoryItem, row.id)
            if linked is not None:
                # A correction: the story shows the new text; never a second alert.
                refresh_story(s, linked.story_id, now)
                batch.grown_stories.add(linked.story_id)
            elif c.relevant:  # became relevant: it joins or starts a story, quietly
                assign_story(s, row, c, authority=authority, index=index, now=now)
            batch.relevant += c.relevant
        for row in result.new:
            c = verdict[row.identity]
            if not c.relevant:
                continue
            batch.relevant += 1
            assignment = assign_story(s, row, c, authority=authority, index=index, now=now)
            if not assignment.new_story:
                batch.grown_stories.add(assignment.story_id)
                continue
            batch.new_stories += 1
            # A feed's first poll is its backlog, and old news is not news: store, never alert.
            if not first_poll and row.published >= oldest_alert:
                assert row.id is not None
                batch.alerts.append(Alertable(row.id, by_identity[row.identity], c, assignment.story_id))
        _enqueue(s, batch, now)
        s.commit()
    return batch


def _enqueue(s: Session, batch: StoredBatch, now: datetime) -> None:
    """The outbox rows are written in the transaction that decided the alerts: none is lost in between."""
    if batch.alerts:
        subscriptions = subs.list_subscriptions(s, active_only=True)
        for alert in batch.alerts:
            c, item = alert.match, alert.item
            facts = StoryFacts(frozenset(c.topics), item.language, float(c.score), f"{item.title}\n{item.text}")
            wanted = route(subscriptions, facts)
            subs.enqueue(s, wanted, story_id=alert.story_id, key=f"story:{alert.story_id}", kind="alert", now=now)
    subs.mark_story_changed(s, sorted(batch.grown_stories), now)
