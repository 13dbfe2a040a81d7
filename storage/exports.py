"""The stories a chat exports (``/export``): one filter, a count and the newest rows with what a spreadsheet needs.

A story is in an export when one of its reports, published in the period, is about one of the topics (or the
entity, or has every word of the query in its title); with no filter, when its latest report is in the period.
Newest activity first, the same order as ``/latest``. Rows are read in a fixed number of queries whatever the
number of stories (members, the lead's verdict, entities), and only the columns an export shows: an item's
body is never loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.tables import Feed, ItemRow, Match, MatchEntity, MatchTopic, Story, StoryItem, stored_id

MAX_WORDS = 5


@dataclass(frozen=True)
class ExportFilter:
    since: datetime
    topics: tuple[str, ...] = ()  # any of them
    entity: str | None = None
    words: tuple[str, ...] = ()  # every one in a report's title (case-insensitive)
    language: str | None = None  # at least one report in it


@dataclass(frozen=True)
class ExportMember:
    item_id: int
    title: str
    url: str | None
    language: str
    outlet: str  # the item's own source name (aggregators), else its feed's title
    published: datetime


@dataclass
class ExportRow:
    story: Story
    lead: ExportMember
    members: list[ExportMember]  # by publication time
    reasons: list[str] = field(default_factory=list)  # the matcher's reasons for the lead item
    entities: list[str] = field(default_factory=list)  # entity ids matched in any report, most reported first

    @property
    def outlets(self) -> list[str]:
        return list(dict.fromkeys(m.outlet for m in self.members))


def _story_ids(f: ExportFilter) -> Any:
    """A subquery of the ids of the stories ``f`` selects."""
    if f.topics or f.entity:
        table, key = (MatchTopic, MatchTopic.topic) if f.topics else (MatchEntity, MatchEntity.entity)
        match = col(key).in_(f.topics) if f.topics else key == f.entity
        return (
            select(StoryItem.story_id)
            .join(table, col(table.item_id) == col(StoryItem.item_id))
            .where(match, col(table.published) >= f.since)
        )
    if f.words:
        stmt = select(StoryItem.story_id).join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
        stmt = stmt.where(col(ItemRow.published) >= f.since)
        for w in f.words[:MAX_WORDS]:
            escaped = w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(col(ItemRow.title).ilike(f"%{escaped}%", escape="\\"))
        return stmt
    return select(Story.id).where(col(Story.last_published) >= f.since)


def _where(f: ExportFilter) -> list[Any]:
    conditions: list[Any] = [col(Story.id).in_(_story_ids(f))]
    if f.language:
        conditions.append(col(Story.languages).contains(f.language))
    return conditions


def count_stories(s: Session, f: ExportFilter) -> int:
    return int(s.exec(select(func.count()).select_from(Story).where(*_where(f))).one())


def export_rows(s: Session, f: ExportFilter, *, limit: int) -> list[ExportRow]:
    """The ``limit`` stories of ``f`` with the latest reports, newest first, each with its members."""
    stmt = select(Story).where(*_where(f)).order_by(col(Story.last_published).desc(), col(Story.id).desc()).limit(limit)
    stories = list(s.exec(stmt).all())
    ids = [st.id for st in stories if st.id is not None]
    if not ids:
        return []
    members: dict[int, list[ExportMember]] = {i: [] for i in ids}
    rows = s.exec(
        select(  # type: ignore[call-overload]  # sqlmodel's select() is typed for at most four columns
            StoryItem.story_id,
            ItemRow.id,
            ItemRow.title,
            ItemRow.url,
            ItemRow.language,
            ItemRow.source_name,
            ItemRow.published,
            Feed.title,
            Feed.id,
        )
        .join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
        .join(Feed, col(Feed.id) == col(ItemRow.feed_id))
        .where(col(StoryItem.story_id).in_(ids))
        .order_by(col(ItemRow.published), col(ItemRow.id))
    ).all()
    for story_id, item_id, title, url, language, source, published, feed_title, feed_id in rows:
        outlet = source or feed_title or feed_id
        members[story_id].append(ExportMember(item_id, title, url, language, outlet, published))
    out: list[ExportRow] = []
    for st in stories:
        items = members[stored_id(st)]
        if not items:
            continue
        # The lead as alerts show it; a lead with no title (some feeds send none) gives way to a titled member.
        lead = next((m for m in items if m.item_id == st.lead_item_id and m.title.strip()), None)
        lead = lead or next((m for m in items if m.title.strip()), items[0])
        out.append(ExportRow(st, lead, items))
    verdicts = dict(
        s.exec(select(Match.item_id, Match.reasons).where(col(Match.item_id).in_([r.lead.item_id for r in out]))).all()
    )
    mentions = s.exec(
        select(StoryItem.story_id, MatchEntity.entity, func.count())
        .join(MatchEntity, col(MatchEntity.item_id) == col(StoryItem.item_id))
        .where(col(StoryItem.story_id).in_(ids))
        .group_by(col(StoryItem.story_id), col(MatchEntity.entity))
    ).all()
    by_story: dict[int, list[tuple[int, str]]] = {}
    for story_id, entity, n in mentions:
        by_story.setdefault(story_id, []).append((-int(n), entity))
    for row in out:
        row.reasons = _strings(verdicts.get(row.lead.item_id))
        row.entities = [e for _, e in sorted(by_story.get(row.story.id or 0, []))]
    return out


def _strings(raw: str | None) -> list[str]:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
