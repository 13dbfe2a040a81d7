"""What the commands, the CLI and the alert views read: recent items, a story with its members, the latest
stories of a topic or entity, a title search. Callers pass a Session; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from storage.tables import Feed, ItemRow, MatchEntity, MatchTopic, Story, StoryItem


def recent_items(session: Session, *, feed_id: str | None = None, limit: int = 20) -> list[ItemRow]:
    stmt = select(ItemRow)
    if feed_id:
        stmt = stmt.where(ItemRow.feed_id == feed_id)
    stmt = stmt.order_by(col(ItemRow.published).desc(), col(ItemRow.id).desc()).limit(limit)
    return list(session.exec(stmt).all())


def count_items(session: Session, feed_id: str | None = None) -> int:
    stmt = select(func.count()).select_from(ItemRow)
    if feed_id:
        stmt = stmt.where(ItemRow.feed_id == feed_id)
    return int(session.exec(stmt).one())


@dataclass(frozen=True)
class StoryMember:
    item: ItemRow
    feed_title: str
    authority: bool


@dataclass(frozen=True)
class StoryView:
    story: Story
    lead: StoryMember
    members: list[StoryMember]  # lead first, then by publication time

    @property
    def others(self) -> list[StoryMember]:
        return [m for m in self.members if m.item.id != self.lead.item.id]


def story_view(session: Session, story_id: int) -> StoryView | None:
    story = session.get(Story, story_id)
    if story is None:
        return None
    stmt = (
        select(ItemRow, Feed)
        .join(StoryItem, col(StoryItem.item_id) == col(ItemRow.id))
        .join(Feed, col(Feed.id) == col(ItemRow.feed_id))
        .where(StoryItem.story_id == story_id)
        .order_by(col(ItemRow.published), col(ItemRow.id))
    )
    members = [StoryMember(item, feed.title or feed.id, feed.authority) for item, feed in session.exec(stmt).all()]
    if not members:
        return None
    lead = next((m for m in members if m.item.id == story.lead_item_id), members[0])
    return StoryView(story, lead, [lead, *[m for m in members if m is not lead]])


def latest_stories(
    session: Session,
    *,
    topic: str | None = None,
    entity: str | None = None,
    limit: int = 10,
    offset: int = 0,
    since: datetime | None = None,
) -> list[Story]:
    """Newest stories first: by topic or entity, the story with the most recent report about it comes first.

    The (topic|entity, published) index is walked newest-first, a page at a time, until enough distinct stories
    are seen — the cost depends on the page asked for, not on how many items the topic has (1M items: ~1 ms).
    """
    if not (topic or entity):
        stmt = select(Story)
        if since is not None:
            stmt = stmt.where(col(Story.last_published) >= since)
        stmt = stmt.order_by(col(Story.last_published).desc(), col(Story.id).desc()).offset(offset).limit(limit)
        return list(session.exec(stmt).all())
    table, key, value = (MatchTopic, MatchTopic.topic, topic) if topic else (MatchEntity, MatchEntity.entity, entity)
    wanted, page = offset + limit, 0
    seen: set[int] = set()
    order: list[int] = []
    while len(order) < wanted:
        walk = (
            select(StoryItem.story_id)
            .join(table, col(table.item_id) == col(StoryItem.item_id))
            .where(key == value)
            .order_by(col(table.published).desc(), col(table.item_id).desc())
            .offset(page * _WALK_PAGE)
            .limit(_WALK_PAGE)
        )
        if since is not None:
            walk = walk.where(col(table.published) >= since)
        rows = list(session.exec(walk).all())
        for sid in rows:
            if sid not in seen:
                seen.add(sid)
                order.append(sid)
        if len(rows) < _WALK_PAGE:
            break
        page += 1
    ids = order[offset:wanted]
    if not ids:
        return []
    found = {st.id: st for st in session.exec(select(Story).where(col(Story.id).in_(ids))).all()}
    return [found[i] for i in ids if i in found]


_WALK_PAGE = 200


def search_stories(session: Session, query: str, *, limit: int = 10, offset: int = 0, days: int = 90) -> list[Story]:
    """Stories whose items' titles contain every word of ``query`` (bound parameters, case-insensitive)."""
    words = [w for w in query.split() if len(w) >= 2][:5]
    if not words:
        return []
    since = datetime.now(UTC) - timedelta(days=days)
    ids = select(StoryItem.story_id).join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
    ids = ids.where(col(ItemRow.published) >= since)
    for w in words:
        escaped = w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        ids = ids.where(col(ItemRow.title).ilike(f"%{escaped}%", escape="\\"))
    stmt = (
        select(Story)
        .where(col(Story.id).in_(ids))
        .order_by(col(Story.first_published).desc(), col(Story.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def recent_leads(
    session: Session, *, feed_id: str | None = None, limit: int = 20
) -> list[tuple[ItemRow, int | None, int]]:
    """Newest items with duplicates folded: an item in a story shows only when it leads it.

    Returns (item, story id or None, number of reports in the story).
    """
    stmt = (
        select(ItemRow, Story.id, Story.member_count)
        .join(StoryItem, col(StoryItem.item_id) == col(ItemRow.id), isouter=True)
        .join(Story, col(Story.id) == col(StoryItem.story_id), isouter=True)
        .where(or_(col(StoryItem.story_id).is_(None), col(Story.lead_item_id) == col(ItemRow.id)))
    )
    if feed_id:
        stmt = stmt.where(ItemRow.feed_id == feed_id)
    stmt = stmt.order_by(col(ItemRow.published).desc(), col(ItemRow.id).desc()).limit(limit)
    return [(item, sid, int(n or 1)) for item, sid, n in session.exec(stmt).all()]
