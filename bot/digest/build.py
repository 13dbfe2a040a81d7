"""The digest of a period for one subscription: what it holds, read from the store (no formatting here).

Contents. The new stories of the period (first published inside it) on the subscription's topics and item
languages, ranked and grouped under their main topic; the period's numbers against the previous period of
the same length (new stories, reports, distinct sources, stories per topic); the most mentioned entities;
the entities new this period (none in the four weeks before it); and the spikes of the last 24 hours
(``bot.digest.spikes``).

Ranking score of a story (shown to users in the README)::

    rank = min(independent sources, 10) × 1.0      # more outlets reporting it: more important
         + match score × 2.0                        # the matcher's confidence and severity (0–1)
         + 1.0 if both Arabic and English covered it
         + recency × 1.0                            # 0 at the period's start, 1 at its end

Sources weigh most: an event many outlets report independently matters more than one strong item. The cap
keeps one syndicated wire story from burying the rest. Ties go to the older story id (stable order).

Entities counted. Named entities only: generic terms have no display name, and countries (China, the
United States) would top every week and tell the reader nothing, so both are left out of "most mentioned",
"new" and spikes.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.digest.model import Digest, DigestSettings, DigestStory
from bot.digest.period import Period, ending_at, zone
from bot.digest.query import SKIPPED_KINDS, counted_entity, relevant_items
from bot.digest.spikes import detect_spikes, distinct_spikes, muted
from storage.tables import ItemRow, MatchEntity, MatchTopic, Story, StoryItem, Subscription, stored_id

SOURCE_CAP = 10


def rank(story: Story, since: datetime, until: datetime) -> float:
    """The documented ranking score (module docstring)."""
    span = max((until - since).total_seconds(), 1.0)
    recency = max(0.0, min(1.0, (story.last_published - since).total_seconds() / span))
    both = 1.0 if {"ar", "en"} <= set(story.languages.split()) else 0.0
    return min(story.source_count, SOURCE_CAP) * 1.0 + story.score * 2.0 + both + recency


def _wanted_languages(sub: Subscription) -> set[str]:
    return set(sub.languages.split()) or {"ar", "en"}


def sub_topics(sub: Subscription) -> list[str]:
    """The subscription's topics; internal markers (``__…``) are not topics."""
    return [t for t in sub.topics.split() if not t.startswith("__")]


def _stories(s: Session, period: Period, topics: list[str], languages: set[str]) -> list[Story]:
    stmt = select(Story).where(col(Story.first_published) >= period.since, col(Story.first_published) < period.until)
    wanted = set(topics)
    return [
        st
        for st in s.exec(stmt).all()
        if (not wanted or wanted & set(st.topics.split())) and languages & set(st.languages.split())
    ]


def _titles(s: Session, stories: list[Story], languages: set[str]) -> dict[int, ItemRow]:
    """The item whose title represents each story: its lead, or its first member in a wanted language."""
    leads = {st.lead_item_id for st in stories if st.lead_item_id}
    rows = {r.id: r for r in s.exec(select(ItemRow).where(col(ItemRow.id).in_(leads))).all()} if leads else {}
    out: dict[int, ItemRow] = {}
    for st in stories:
        story_id = stored_id(st)
        lead = rows.get(st.lead_item_id)
        if lead is not None and lead.language in languages and lead.title.strip():
            out[story_id] = lead
            continue
        member = s.exec(
            select(ItemRow)
            .join(StoryItem, col(StoryItem.item_id) == col(ItemRow.id))
            .where(StoryItem.story_id == story_id, col(ItemRow.language).in_(languages), ItemRow.title != "")
            .order_by(col(ItemRow.published), col(ItemRow.id))
            .limit(1)
        ).first()
        if member is not None:
            out[story_id] = member
    return out


def _numbers(s: Session, period: Period, topics: list[str], languages: set[str], stories: int) -> dict[str, int]:
    ids = relevant_items(period.since, period.until, topics, languages).subquery()
    source = func.coalesce(ItemRow.source_name, ItemRow.feed_id)
    items, sources = s.exec(
        select(func.count(col(ItemRow.id)), func.count(func.distinct(source))).where(
            col(ItemRow.id).in_(select(ids.c.id))
        )
    ).one()
    return {"stories": stories, "items": int(items), "sources": int(sources)}


def entity_counts(s: Session, since: datetime, until: datetime, topics: list[str], languages: set[str]) -> Counter[str]:
    """Mentions (items) per counted entity in [since, until) on the subscription's topics and languages."""
    ids = relevant_items(since, until, topics, languages).subquery()
    stmt = (
        select(MatchEntity.entity, func.count())
        .where(col(MatchEntity.item_id).in_(select(ids.c.id)))
        .group_by(MatchEntity.entity)
    )
    return Counter({e: int(n) for e, n in s.exec(stmt).all() if counted_entity(e)})


def first_mention(s: Session) -> datetime | None:
    """When the store's history of relevant items begins (the earliest topic mention)."""
    return s.exec(select(func.min(MatchTopic.published))).one()


def _topic_counts(stories: list[Story], topics: list[str]) -> Counter[str]:
    wanted = set(topics)
    return Counter(t for st in stories for t in dict.fromkeys(st.topics.split()) if not wanted or t in wanted)


def _member_topics(s: Session, story_ids: list[int]) -> dict[int, Counter[str]]:
    """For each story, how many of its items carry each topic."""
    out: dict[int, Counter[str]] = {}
    if not story_ids:
        return out
    stmt = (
        select(StoryItem.story_id, MatchTopic.topic, func.count())
        .join(MatchTopic, col(MatchTopic.item_id) == col(StoryItem.item_id))
        .where(col(StoryItem.story_id).in_(story_ids))
        .group_by(col(StoryItem.story_id), col(MatchTopic.topic))
    )
    for story_id, topic, n in s.exec(stmt).all():
        out.setdefault(story_id, Counter())[topic] = int(n)
    return out


def _main_topic(story_topics: list[str], wanted: set[str], members: Counter[str], period: Counter[str]) -> str:
    """The topic a story is listed under: the one most of its items carry; on a tie the most specific
    (fewest stories this period: "Entity List" before the broad "Export controls"); then by id."""
    candidates = [t for t in story_topics if not wanted or t in wanted] or story_topics
    if not candidates:
        return ""
    return min(candidates, key=lambda t: (-members[t], period[t], t))


def build_digest(
    s: Session,
    sub: Subscription,
    until: datetime | None = None,
    span: timedelta | None = None,
    *,
    period: Period | None = None,
    settings: DigestSettings | None = None,
) -> Digest:
    """The digest of ``period`` (or of the period of ``span``, default the subscription's, ending at
    ``until``) for ``sub``: its topics, item languages and interface language."""
    settings = settings or DigestSettings()
    if period is None:
        if until is None:
            raise ValueError("build_digest needs a period or an end time")
        period = ending_at(sub, until, span)
    topics = sub_topics(sub)
    languages = _wanted_languages(sub)
    digest = Digest(period, "ar" if sub.interface_language == "ar" else "en", topics, sorted(languages))

    found = _stories(s, period, topics, languages)
    titles = _titles(s, found, languages)
    member_topics = _member_topics(s, [st.id for st in found if st.id is not None])
    period_topics = _topic_counts(found, [])
    wanted = set(topics)
    for st in found:
        story_id = stored_id(st)
        item = titles.get(story_id)
        if item is None:  # pruned, or no member in a wanted language
            continue
        story_topics = st.topics.split()
        main = _main_topic(story_topics, wanted, member_topics.get(story_id, Counter()), period_topics)
        digest.stories.append(
            DigestStory(
                story_id=story_id,
                title=" ".join(item.title.split()),
                title_language=item.language,
                url=item.url,
                sources=st.source_count,
                languages=sorted(set(st.languages.split())),
                score=st.score,
                rank=round(rank(st, period.since, period.until), 4),
                topics=story_topics,
                main_topic=main,
                first_published=st.first_published,
            )
        )
    digest.stories.sort(key=lambda d: (-d.rank, d.story_id))
    for ds in digest.stories:  # best group first: groups appear in the order of their best story
        digest.groups.setdefault(ds.main_topic, []).append(ds)

    before = period.previous()
    previous = _stories(s, before, topics, languages)
    digest.counts = _numbers(s, period, topics, languages, len(digest.stories))
    digest.previous = _numbers(s, before, topics, languages, len(previous))
    now_t, prev_t = _topic_counts(found, topics), _topic_counts(previous, topics)
    digest.topic_counts = {t: (now_t[t], prev_t[t]) for t in sorted(now_t | prev_t, key=lambda t: (-now_t[t], t))}

    mentions = entity_counts(s, period.since, period.until, topics, languages)
    digest.entities = sorted(mentions.items(), key=lambda kv: (-kv[1], kv[0]))[: settings.entities]
    start = first_mention(s)
    if start is not None and start <= period.since - settings.new_min_history:
        seen = entity_counts(s, period.since - settings.new_lookback, period.since, topics, languages)
        fresh = [e for e, _ in sorted(mentions.items(), key=lambda kv: (-kv[1], kv[0])) if e not in seen]
        digest.new_entities = fresh[: settings.new_entities]
    # The same rules as trend alerts: one spike per thing (SMIC is the huawei-smic topic), none the chat muted.
    found_spikes = detect_spikes(s, period.until, topics=topics, languages=languages, settings=settings.spikes)
    shown = [sp for sp in distinct_spikes(found_spikes) if not muted(sp, sub.mute_terms or "")]
    digest.spikes = shown[: settings.spikes.limit]
    return digest


def probe(topics: list[str], language: str, now: datetime, timezone: str = "UTC") -> Subscription:
    """A subscription that exists only for this rendering (all item languages)."""
    return Subscription(
        platform="cli",
        target="-",
        topics=" ".join(topics),
        interface_language=language,
        timezone=timezone,
        created_at=now,
        updated_at=now,
    )


def local_days(period: Period) -> list[str]:
    """The calendar days (ISO dates, in the period's time zone) the period touches, in order."""
    tz = zone(period.timezone)
    first = period.since.astimezone(tz).date()
    last = (period.until - timedelta(microseconds=1)).astimezone(tz).date()
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def topic_counts_by_day(s: Session, digest: Digest) -> tuple[list[str], dict[str, list[int]]]:
    """Mentions (relevant items) per topic per local day over the digest's period, for the chart:
    the days, and for each topic a count per day (topics limited to the subscription's)."""
    period = digest.period
    days = local_days(period)
    index = {d: i for i, d in enumerate(days)}
    tz = zone(period.timezone)
    stmt = (
        select(MatchTopic.topic, MatchTopic.published)
        .join(ItemRow, col(ItemRow.id) == col(MatchTopic.item_id))
        .where(
            col(MatchTopic.published) >= period.since,
            col(MatchTopic.published) < period.until,
            col(ItemRow.language).in_(digest.item_languages),
        )
    )
    if digest.topics:
        stmt = stmt.where(col(MatchTopic.topic).in_(digest.topics))
    out: dict[str, list[int]] = {}
    for topic, published in s.exec(stmt).all():
        day = published.astimezone(tz).date().isoformat()
        if day in index:
            out.setdefault(topic, [0] * len(days))[index[day]] += 1
    return days, out


__all__ = [
    "SKIPPED_KINDS",
    "Digest",
    "DigestSettings",
    "DigestStory",
    "build_digest",
    "counted_entity",
    "entity_counts",
    "local_days",
    "probe",
    "rank",
    "relevant_items",
    "topic_counts_by_day",
]
