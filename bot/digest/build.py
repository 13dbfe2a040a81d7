"""The digest of a period for one subscription: top stories ranked, grouped by topic, with the period's
numbers against the previous period and the most mentioned entities.

Ranking score (documented for users in the README): independent sources × 1.0 + the story's match score ×
2.0 + 1.0 when both languages covered it + recency (up to 1.0, linear over the period).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.deliver.model import Reply
from storage.tables import ItemRow, MatchEntity, MatchTopic, Story, StoryItem, Subscription

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
TOP_PER_TOPIC = 5


@dataclass
class DigestStory:
    story_id: int
    title: str
    url: str | None
    sources: int
    languages: str
    score: float
    rank: float
    topics: list[str]


@dataclass
class Digest:
    since: datetime
    until: datetime
    language: str
    stories: list[DigestStory] = field(default_factory=list)
    by_topic: dict[str, list[DigestStory]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    previous: dict[str, int] = field(default_factory=dict)
    entities: list[tuple[str, int]] = field(default_factory=list)
    new_entities: list[str] = field(default_factory=list)


def rank(story: Story, since: datetime, until: datetime) -> float:
    span = max((until - since).total_seconds(), 1.0)
    recency = max(0.0, min(1.0, (story.last_published - since).total_seconds() / span))
    both = 1.0 if len(story.languages.split()) > 1 else 0.0
    return story.source_count * 1.0 + story.score * 2.0 + both + recency


def _stories(s: Session, since: datetime, until: datetime, topics: list[str]) -> list[Story]:
    stmt = select(Story).where(col(Story.first_published) >= since, col(Story.first_published) < until)
    stories = list(s.exec(stmt).all())
    if topics:
        wanted = set(topics)
        stories = [st for st in stories if wanted & set(st.topics.split())]
    return stories


def _entity_counts(s: Session, since: datetime, until: datetime) -> Counter[str]:
    stmt = (
        select(MatchEntity.entity, func.count())
        .where(col(MatchEntity.published) >= since, col(MatchEntity.published) < until)
        .group_by(MatchEntity.entity)
    )
    return Counter({e: int(n) for e, n in s.exec(stmt).all()})


def build_digest(s: Session, sub: Subscription, until: datetime, period: timedelta | None = None) -> Digest:
    period = period or PERIODS.get(sub.digest, PERIODS["weekly"])
    since = until - period
    topics = [x for x in sub.topics.split() if not x.startswith("__")]
    digest = Digest(since, until, sub.interface_language)
    stories = _stories(s, since, until, topics)
    for st in stories:
        assert st.id is not None
        lead = s.get(ItemRow, st.lead_item_id) if st.lead_item_id else None
        if lead is None:
            continue
        digest.stories.append(
            DigestStory(
                st.id,
                lead.title,
                lead.url,
                st.source_count,
                st.languages,
                st.score,
                rank(st, since, until),
                st.topics.split(),
            )
        )
    digest.stories.sort(key=lambda d: (-d.rank, d.story_id))
    for ds in digest.stories:
        main = next((x for x in ds.topics if not topics or x in topics), None)
        if main:
            digest.by_topic.setdefault(main, []).append(ds)
    items = s.exec(
        select(func.count(func.distinct(StoryItem.item_id)))
        .join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
        .where(col(ItemRow.published) >= since, col(ItemRow.published) < until)
    ).one()
    prev = _stories(s, since - period, since, topics)
    digest.counts = {"stories": len(stories), "items": int(items), "sources": sum(x.sources for x in digest.stories)}
    digest.previous = {"stories": len(prev)}
    now_entities = _entity_counts(s, since, until)
    before = _entity_counts(s, since - timedelta(days=28), since)
    digest.entities = now_entities.most_common(8)
    digest.new_entities = [e for e, _ in now_entities.most_common() if e not in before][:5]
    return digest


def topic_counts_by_day(s: Session, since: datetime, until: datetime) -> dict[str, Counter[str]]:
    """Mentions per topic per day (UTC dates), for the chart."""
    stmt = select(MatchTopic.topic, MatchTopic.published).where(
        col(MatchTopic.published) >= since, col(MatchTopic.published) < until
    )
    out: dict[str, Counter[str]] = {}
    for topic, published in s.exec(stmt).all():
        out.setdefault(topic, Counter())[published.date().isoformat()] += 1
    return out


def render_text(d: Digest) -> str:
    from bot.deliver.views import entity_name

    lang = d.language
    ar = lang == "ar"
    head = "موجز رقيب" if ar else "Raqib digest"
    span = f"{d.since:%Y-%m-%d} → {d.until:%Y-%m-%d}"
    if not d.stories:
        return f"{head} ({span}): " + ("لا قصص جديدة في هذه الفترة." if ar else "no new stories in this period.")
    delta = d.counts["stories"] - d.previous.get("stories", 0)
    sign = "+" if delta >= 0 else ""
    lines = [
        f"{head} — {span}",
        (
            f"{d.counts['stories']} قصة ({sign}{delta} عن الفترة السابقة) · {d.counts['items']} خبرًا"
            if ar
            else f"{d.counts['stories']} stories ({sign}{delta} vs previous period) · {d.counts['items']} reports"
        ),
    ]
    from bot.match import load_lexicon

    topics = load_lexicon().topics
    for topic, stories in d.by_topic.items():
        tp = topics.get(topic)
        name = (tp.name_ar if ar else tp.name_en) if tp else topic
        lines.append("")
        lines.append(f"■ {name}")
        for ds in stories[:TOP_PER_TOPIC]:
            src = f"{ds.sources} مصادر" if ar else f"{ds.sources} sources"
            lines.append(f"  • {ds.title} ({src})" + (f"\n    {ds.url}" if ds.url else ""))
    if d.entities:
        lines.append("")
        label = "الأكثر ذكرًا: " if ar else "Most mentioned: "
        lines.append(label + ", ".join(f"{entity_name(e, lang)} ({n})" for e, n in d.entities))
    if d.new_entities:
        label = "جديد هذا الأسبوع: " if ar else "New this week: "
        lines.append(label + ", ".join(entity_name(e, lang) for e in d.new_entities))
    return "\n".join(lines)


def digest_reply(s: Session, sub: Subscription, now: datetime) -> Reply | None:
    d = build_digest(s, sub, now)
    if not d.stories:
        return Reply(text=render_text(d), language=sub.interface_language)
    return Reply(text=render_text(d), language=sub.interface_language, extra={"digest": d})


__all__ = ["Digest", "build_digest", "digest_reply", "rank", "render_text", "topic_counts_by_day"]
