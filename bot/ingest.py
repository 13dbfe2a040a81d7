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

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import FeedsFile
from bot.normalize import Item
from bot.stories.assign import StoryIndex, assign_story, refresh_story
from storage import repositories as repo
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


def save_match(s: Session, row: ItemRow, c: Classification, now: datetime) -> None:
    """Replace the stored verdict on ``row`` (a correction re-matches)."""
    assert row.id is not None
    for table in (MatchTopic, MatchEntity):
        s.exec(delete(table).where(table.item_id == row.id))
    old = s.get(Match, row.id)
    if old is not None:
        s.delete(old)
        s.flush()
    entities = [
        {"id": e.id, "kind": e.kind, "text": e.text, "start": e.start, "end": e.end, "field": e.field}
        for e in c.entities
    ]
    s.add(
        Match(
            item_id=row.id,
            relevant=c.relevant,
            score=round(float(c.score), 4),
            severity=c.severity,
            topics=" ".join(c.topics),
            entities=json.dumps(entities, ensure_ascii=False),
            reasons=json.dumps(list(c.reasons), ensure_ascii=False),
            matched_at=now,
        )
    )
    if c.relevant:
        for topic in dict.fromkeys(c.topics):
            s.add(MatchTopic(item_id=row.id, topic=topic, published=row.published))
        for entity in dict.fromkeys(e.id for e in c.entities):
            s.add(MatchEntity(item_id=row.id, entity=entity, published=row.published))


def store_new_items(
    engine: Engine,
    feed_id: str,
    items: Sequence[Item],
    *,
    first_poll: bool,
    now: datetime,
    config: FeedsFile,
    classifier: Classifier | None = None,
    authority: bool = False,
    story_index: StoryIndex | None = None,
) -> StoredBatch:
    from bot.pipeline import Alertable

    classify = classifier or default_classifier()
    batch = StoredBatch()
    by_identity = {i.identity: i for i in items}
    oldest_alert = now - timedelta(seconds=config.settings.max_item_age)
    index = story_index or StoryIndex()
    with index.lock, session(engine) as s:
        result = repo.store_items(s, feed_id, (to_row(i) for i in items))
        batch.new, batch.updated = len(result.new), len(result.updated)
        new_ids = {id(r) for r in result.new}
        for row in [*result.new, *result.updated]:
            c = classify(row.title, row.content or row.summary, row.language)
            save_match(s, row, c, now)
            s.flush()
            is_new = id(row) in new_ids
            linked = None if is_new else s.get(StoryItem, row.id)
            if linked is not None:
                # A correction: the story shows the new text; never a second alert.
                refresh_story(s, linked.story_id, now)
                batch.grown_stories.add(linked.story_id)
            if not c.relevant:
                continue
            batch.relevant += 1
            if linked is not None:
                continue
            assignment = assign_story(s, row, c, authority=authority, index=index, now=now)
            if not assignment.new_story:
                batch.grown_stories.add(assignment.story_id)
                continue
            batch.new_stories += 1
            # A feed's first poll is its backlog, and old news is not news: store, never alert.
            if is_new and not first_poll and row.published >= oldest_alert:
                assert row.id is not None
                batch.alerts.append(Alertable(row.id, by_identity[row.identity], c, assignment.story_id))
        s.commit()
    return batch
