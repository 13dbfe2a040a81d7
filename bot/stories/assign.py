"""Story assignment against storage: the pure decision of ``bot.stories.cluster`` fed from the database.

For one relevant item, inside the caller's transaction:

1. exact copies first: an item already in a story with the same canonical URL or content hash → that story;
2. candidates: stories of near-duplicate hits (the in-process LSH index, kept in step with the database by
   ``StoryIndex.sync``) and stories holding a specific (non-generic) entity of the item inside the window;
3. ``decide()`` picks a story or says "new story"; the link, the story's summary columns and the item's
   signature are written; the index learns the signature.

Assignments are serialized: a process lock, and on PostgreSQL a transaction-scoped advisory lock, so two
workers never create two stories for one event at the same instant.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from bot.stories.cluster import GENERIC_ENTITIES, ClusterConfig, ItemFeatures, StoryCandidate, choose_lead, decide
from bot.stories.fingerprint import Fingerprint, fingerprint
from bot.stories.neardup import NearDupIndex, Signature, signature
from storage.tables import ItemRow, ItemSignature, MatchEntity, Story, StoryItem

_ADVISORY_KEY = 0x52415149  # "RAQI"
_SEVERITY_RANK = {"critical": 3, "high": 2, "normal": 1, None: 0}
INDEX_HORIZON = timedelta(days=14)  # near-duplicates older than this are not news any more


@dataclass(frozen=True)
class Assignment:
    story_id: int
    new_story: bool
    reason: str


class StoryIndex:
    """The near-duplicate index of recent items, rebuilt from ``item_signatures`` and kept in step."""

    def __init__(self) -> None:
        self.index = NearDupIndex()
        self.last_id = 0
        self._synced_for: int | None = None
        # Re-entrant: ingestion holds it for a whole transaction (SQLite has one writer anyway, and a
        # thread waiting on it while holding the database's write lock would deadlock the other).
        self.lock = threading.RLock()

    def synced_in(self, s: Session) -> bool:
        """True when ``sync`` already ran in this session's current transaction."""
        return self._synced_for is not None and self._synced_for == id(s.get_transaction())

    def sync(self, s: Session, now: datetime) -> None:
        """Learn the signatures written since the last sync (by this process or another one)."""
        self._synced_for = id(s.get_transaction())
        horizon = now - INDEX_HORIZON
        stmt = (
            select(ItemSignature.item_id, ItemSignature.signature)
            .where(ItemSignature.item_id > self.last_id, ItemSignature.published >= horizon)
            .order_by(col(ItemSignature.item_id))
        )
        rows = list(s.exec(stmt).all())
        if not rows:
            return
        if self.last_id == 0 and len(self.index) == 0:
            self.index = NearDupIndex.from_signatures((r[0], r[1]) for r in rows)
        else:
            for item_id, blob in rows:
                self.index.add_signature(item_id, Signature.from_bytes(blob))
        self.last_id = max(self.last_id, rows[-1][0])


def _features(sig_row: ItemSignature, lang: str) -> ItemFeatures:
    return ItemFeatures(
        key=sig_row.item_id,
        published=sig_row.published,
        lang=lang,
        entities=frozenset(sig_row.entities.split()),
        fingerprint=Fingerprint(frozenset(sig_row.fingerprint.split())),
        informative=sig_row.informative,
        authority=sig_row.authority,
    )


def _load_candidates(s: Session, story_ids: set[int], max_members: int) -> list[StoryCandidate]:
    if not story_ids:
        return []
    stmt = (
        select(
            StoryItem.story_id,
            ItemSignature.item_id,
            ItemSignature.published,
            ItemSignature.entities,
            ItemSignature.fingerprint,
            ItemSignature.informative,
            ItemSignature.authority,
            ItemRow.language,
        )
        .join(ItemSignature, col(ItemSignature.item_id) == col(StoryItem.item_id))
        .join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
        .where(col(StoryItem.story_id).in_(sorted(story_ids)))
    )
    members: dict[int, list[ItemFeatures]] = {}
    for sid, item_id, published, entities, fp, informative, authority, lang in s.exec(stmt).all():
        members.setdefault(sid, []).append(
            ItemFeatures(
                key=item_id,
                published=published,
                lang=lang,
                entities=frozenset(entities.split()),
                fingerprint=Fingerprint(frozenset(fp.split())),
                informative=informative,
                authority=authority,
            )
        )
    out = []
    for sid, ms in sorted(members.items()):
        ms.sort(key=lambda m: m.published, reverse=True)
        out.append(StoryCandidate(sid, tuple(ms[: max_members * 2])))
    return out


def _exact_copy_story(s: Session, row: ItemRow) -> int | None:
    """The story of an earlier item with the same text or the same canonical URL (two index lookups)."""
    same = [col(ItemRow.content_hash) == row.content_hash]
    if row.canonical_url:
        same.append(col(ItemRow.canonical_url) == row.canonical_url)
    for cond in same:
        ids = select(ItemRow.id).where(cond, col(ItemRow.id) != row.id).limit(20).scalar_subquery()
        found = s.exec(select(StoryItem.story_id).where(col(StoryItem.item_id).in_(ids)).limit(1)).first()
        if found is not None:
            return int(found)
    return None


def _entity_stories(
    s: Session, entities: frozenset[str], published: datetime, window: timedelta, limit: int = 40
) -> set[int]:
    """Stories inside the window that share specific entities with the item, most shared first."""
    specific = [e for e in entities if e.lower() not in GENERIC_ENTITIES]
    if not specific:
        return set()
    shared = func.count(func.distinct(MatchEntity.entity))
    stmt = (
        select(StoryItem.story_id, shared)
        .join(MatchEntity, col(MatchEntity.item_id) == col(StoryItem.item_id))
        .where(
            col(MatchEntity.entity).in_(specific),
            col(MatchEntity.published) >= published - window,
            col(MatchEntity.published) <= published + window,
        )
        .group_by(StoryItem.story_id)
        .order_by(shared.desc(), col(StoryItem.story_id).desc())
        .limit(limit)
    )
    return {int(sid) for sid, _n in s.exec(stmt).all()}


def assign_story(
    s: Session,
    row: ItemRow,
    match: Any,
    *,
    authority: bool,
    index: StoryIndex,
    now: datetime,
    config: ClusterConfig | None = None,
) -> Assignment:
    """Put ``row`` (stored, relevant, matched) into a story; returns which one and whether it is new."""
    cfg = config or ClusterConfig()
    assert row.id is not None
    if s.get_bind().dialect.name == "postgresql":
        s.exec(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=_ADVISORY_KEY))  # type: ignore[call-overload]
    with index.lock:
        if not index.synced_in(s):
            index.sync(s, now)
        body = row.content or row.summary
        sig = signature(body)
        fp = fingerprint(row.title, body)
        entities = frozenset(e.id for e in match.entities)
        s.add(
            ItemSignature(
                item_id=row.id,
                published=row.published,
                signature=sig.to_bytes(),
                fingerprint=" ".join(sorted(fp.tokens)),
                entities=" ".join(sorted(entities)),
                informative=sig.informative,
                authority=authority,
            )
        )
        story_id = _exact_copy_story(s, row)
        reason = "exact copy (same URL or text)"
        if story_id is None:
            near = index.index.query_signature(sig) if sig.informative else []
            near_ids = [n.key for n in near if n.key != row.id]
            ids = _entity_stories(s, entities, row.published, cfg.window)
            if near_ids:
                stmt = select(StoryItem.story_id).where(col(StoryItem.item_id).in_(near_ids[:50]))
                ids |= {int(x) for x in s.exec(stmt).all()}
            feats = ItemFeatures(
                key=row.id,
                published=row.published,
                lang=row.language,
                entities=entities,
                fingerprint=fp,
                informative=sig.informative,
                authority=authority,
            )
            decision = decide(feats, _load_candidates(s, ids, cfg.max_members), near, config=cfg)
            story_id, reason = (int(decision.story_id) if decision.story_id is not None else None), decision.reason
        new_story = story_id is None
        if story_id is None:
            story = Story(
                created_at=now,
                updated_at=now,
                first_published=row.published,
                last_published=row.published,
                lead_item_id=row.id,
                member_count=0,
                source_count=0,
                languages="",
                topics="",
            )
            s.add(story)
            s.flush()
            assert story.id is not None
            story_id = story.id
        s.add(StoryItem(item_id=row.id, story_id=story_id, joined_at=now, reason=reason[:500]))
        s.flush()
        refresh_story(s, story_id, now)
        index.index.add_signature(row.id, sig)
    return Assignment(story_id, new_story, reason)


def refresh_story(s: Session, story_id: int, now: datetime) -> Story:
    """Recompute a story's summary columns from its members (lead, authority, counts, languages)."""
    from storage.tables import Feed, Match

    story = s.get(Story, story_id)
    assert story is not None
    stmt = (
        select(
            ItemRow.id,
            ItemRow.published,
            ItemRow.language,
            ItemRow.feed_id,
            Feed.authority,
            Match.score,
            Match.severity,
            Match.topics,
        )
        .join(StoryItem, col(StoryItem.item_id) == col(ItemRow.id))
        .join(Feed, col(Feed.id) == col(ItemRow.feed_id))
        .join(Match, col(Match.item_id) == col(ItemRow.id), isouter=True)
        .where(StoryItem.story_id == story_id)
    )
    rows = list(s.exec(stmt).all())
    feats = [ItemFeatures(key=r[0], published=r[1], lang=r[2], authority=bool(r[4])) for r in rows]
    story.lead_item_id = int(choose_lead(feats).key)  # type: ignore[arg-type]
    authority_ids = [f for f in feats if f.authority]
    story.authority_item_id = int(choose_lead(authority_ids).key) if authority_ids else None  # type: ignore[arg-type]
    story.member_count = len(rows)
    story.source_count = len({r[3] for r in rows})
    story.languages = " ".join(sorted({r[2] for r in rows}))
    story.first_published = min(r[1] for r in rows)
    story.last_published = max(r[1] for r in rows)
    scored = [r for r in rows if r[5] is not None]
    if scored:
        story.score = max(r[5] for r in scored)
        story.severity = max((r[6] for r in scored), key=lambda v: _SEVERITY_RANK.get(v, 0))
        story.topics = " ".join(dict.fromkeys(t for r in scored for t in (r[7] or "").split()))
    story.updated_at = now
    s.add(story)
    return story
