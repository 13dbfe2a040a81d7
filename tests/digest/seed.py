"""Seeding a real store for digest tests: feeds, items with verdicts, topic/entity rows, stories."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from storage.db import session
from storage.tables import Feed, ItemRow, Match, MatchEntity, MatchTopic, Story, StoryItem, Subscription

_ids = itertools.count(1)


@dataclass
class Report:
    """One item of a story: its outlet, language and publication time."""

    feed: str
    language: str
    published: datetime
    title: str = ""
    entities: tuple[str, ...] = ()
    topics: tuple[str, ...] | None = None  # default: the story's


@dataclass
class Seeded:
    story_ids: list[int] = field(default_factory=list)


def feeds(engine: Engine, *ids: str) -> None:
    with session(engine) as s:
        for fid in ids:
            s.add(
                Feed(
                    id=fid, url=f"https://{fid}.example/rss", configured_url=f"https://{fid}.example/rss", language="en"
                )
            )
        s.commit()


def story(
    engine: Engine,
    title: str,
    reports: list[Report],
    *,
    topics: tuple[str, ...],
    score: float = 0.8,
    url: str | None = None,
) -> int:
    """A story whose lead is the first report; every report is a relevant item with topic/entity rows."""
    with session(engine) as s:
        rows = []
        for i, r in enumerate(reports):
            n = next(_ids)
            row = ItemRow(
                feed_id=r.feed,
                identity=f"item-{n}",
                url=url if i == 0 and url else f"https://{r.feed}.example/{n}",
                title=r.title or (title if i == 0 else f"{title} ({r.feed})"),
                summary="",
                content="",
                language=r.language,
                published=r.published,
                fetched=r.published,
                content_hash=f"h{n}",
            )
            s.add(row)
            s.flush()
            assert row.id is not None
            item_topics = r.topics if r.topics is not None else topics
            s.add(
                Match(
                    item_id=row.id,
                    relevant=True,
                    score=score,
                    topics=" ".join(item_topics),
                    entities="[]",
                    reasons="[]",
                    matched_at=r.published,
                )
            )
            for t in item_topics:
                s.add(MatchTopic(item_id=row.id, topic=t, published=r.published))
            for e in r.entities:
                s.add(MatchEntity(item_id=row.id, entity=e, published=r.published))
            rows.append(row)
        published = [r.published for r in reports]
        st = Story(
            created_at=min(published),
            updated_at=max(published),
            first_published=min(published),
            last_published=max(published),
            lead_item_id=rows[0].id,
            member_count=len(rows),
            source_count=len({r.feed for r in reports}),
            languages=" ".join(sorted({r.language for r in reports})),
            score=score,
            topics=" ".join(sorted(topics)),
        )
        s.add(st)
        s.flush()
        assert st.id is not None
        for row in rows:
            assert row.id is not None
            s.add(StoryItem(item_id=row.id, story_id=st.id, joined_at=st.created_at))
        s.commit()
        return st.id


def subscription(
    engine: Engine,
    *,
    topics: str = "",
    language: str = "en",
    timezone: str = "UTC",
    digest: str = "weekly",
    day: int = 0,
    hour: int = 8,
    languages: str = "ar en",
    platform: str = "telegram",
    target: str = "42",
) -> int:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    with session(engine) as s:
        sub = Subscription(
            platform=platform,
            target=target,
            topics=topics,
            interface_language=language,
            timezone=timezone,
            digest=digest,
            digest_day=day,
            digest_hour=hour,
            languages=languages,
            created_at=now,
            updated_at=now,
        )
        s.add(sub)
        s.commit()
        assert sub.id is not None
        return sub.id


def get_sub(engine: Engine, sub_id: int) -> Subscription:
    with session(engine) as s:
        sub = s.get(Subscription, sub_id)
        assert sub is not None
        s.expunge(sub)
        return sub
