"""Story assignment against storage: the pure decision of ``bot.stories.cluster`` fed from the database.

For one relevant item, inside the caller's transaction:

1. exact copies first: an item already in a story with the same canonical URL or content hash → that story;
2. candidates: stories of near-duplicate hits (the in-process LSH index) and recent stories sharing a
   specific entity or model code with the item (an in-process inverted index);
3. ``decide()`` picks a story or says "new story", with entity weights from their frequency among the
   recent stories (``FieldWeights``); the link, the story's summary columns (updated incrementally) and the
   item's signature are written; the in-process indexes learn the item.

``StoryIndex`` is what makes this cheap: the near-duplicate index of the last ``INDEX_HORIZON`` and the
features of every story member of the last ``CLUSTER_HORIZON``, loaded from ``item_signatures`` once and kept
in step by ``sync`` (rows written by other processes since the last sync) — so a relevant item costs a few
index lookups and writes, not a scan of everything sharing "China" in the window. An item older than the
cache reaches (a late backlog) takes the database path instead. A rolled-back transaction marks the cache
stale and the next ``sync`` reloads it.

Assignments are serialized: a process lock, and on PostgreSQL a transaction-scoped advisory lock, so two
workers never create two stories for one event at the same instant.
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, func, insert, or_, text, update
from sqlmodel import Session, col, select

from bot.stories.cluster import (
    GENERIC_ENTITIES,
    ClusterConfig,
    FieldWeights,
    ItemFeatures,
    StoryCandidate,
    choose_lead,
    decide,
    story_keys,
)
from bot.stories.fingerprint import Fingerprint, fingerprint
from bot.stories.neardup import NearDupIndex, Signature, signature
from storage.tables import ItemRow, ItemSignature, MatchEntity, Story, StoryItem

_ADVISORY_KEY = 0x52415149  # "RAQI"
_SEVERITY_RANK = {"critical": 3, "high": 2, "normal": 1, None: 0}
INDEX_HORIZON = timedelta(days=14)  # near-duplicates older than this are not news any more
CLUSTER_HORIZON = timedelta(days=7)  # story members kept in memory (the window is 72 h; backlog needs slack)
_ID_SLACK = 2000  # ids allocated before a later id may commit after it: re-read that far back on sync
_EVICT_EVERY = timedelta(minutes=30)
_MAX_CANDIDATES = 24
_BIG_POSTING = 300


@dataclass(frozen=True)
class Assignment:
    story_id: int
    new_story: bool
    reason: str


@dataclass
class _CachedStory:
    members: list[ItemFeatures] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)  # entities and codes of all members (document frequency)
    first: datetime | None = None  # earliest member, naive UTC (the window is anchored there)


class StoryIndex:
    """Near-duplicate index and recent story members, rebuilt from ``item_signatures`` and kept in step."""

    def __init__(self) -> None:
        self._reset()
        # Re-entrant: ingestion holds it for a whole transaction (SQLite has one writer anyway, and a
        # thread waiting on it while holding the database's write lock would deadlock the other).
        self.lock = threading.RLock()

    def _reset(self) -> None:
        self.index = NearDupIndex()
        self.last_id = 0
        self.stories: dict[int, _CachedStory] = {}
        self.item_story: dict[int, int] = {}
        self.postings: dict[str, set[int]] = {}  # entity id or code token → story ids
        self.doc_freq: Counter[str] = Counter()  # key → number of cached stories holding it
        self._synced_for: int | None = None
        self._stale = False
        self._evicted_at: datetime | None = None
        self._weights: FieldWeights | None = None
        self.prepared: dict[Any, Any] = {}  # members' weights for ``decide``, valid with ``_weights``

    # -- keeping in step with the database ---------------------------------------------------------
    def synced_in(self, s: Session) -> bool:
        """True when ``sync`` already ran in this session's current transaction."""
        return self._synced_for is not None and self._synced_for == id(s.get_transaction())

    def sync(self, s: Session, now: datetime) -> None:
        """Learn the items assigned since the last sync (by this process or another one)."""
        if self._stale:
            self._reset()  # a rollback undid writes the cache had learnt: reload
        self._synced_for = id(s.get_transaction())
        self._weights, self.prepared = None, {}
        event.listen(s, "after_rollback", self._on_rollback, once=True)
        horizon = now - INDEX_HORIZON
        stmt = (
            select(
                ItemSignature.item_id,
                ItemSignature.published,
                ItemSignature.signature,
                ItemSignature.entities,
                ItemSignature.fingerprint,
                ItemSignature.informative,
                ItemSignature.authority,
                StoryItem.story_id,
                ItemRow.language,
                ItemRow.feed_id,
            )
            .join(StoryItem, col(StoryItem.item_id) == col(ItemSignature.item_id))
            .join(ItemRow, col(ItemRow.id) == col(ItemSignature.item_id))
            .where(ItemSignature.item_id > max(self.last_id - _ID_SLACK, 0), ItemSignature.published >= horizon)
            .order_by(col(ItemSignature.item_id))
        )
        rows = [r for r in s.exec(stmt).all() if r[0] not in self.index]
        if rows:
            if len(self.index) == 0:
                self.index = NearDupIndex.from_signatures((r[0], r[2]) for r in rows)
            else:
                for r in rows:
                    self.index.add_signature(r[0], Signature.from_bytes(r[2]))
            cutoff = now - CLUSTER_HORIZON
            for item_id, published, _blob, ents, fp, informative, authority, story_id, lang, feed_id in rows:
                if published is not None and _naive(published) >= _naive(cutoff):
                    feats = ItemFeatures(
                        key=item_id,
                        published=published,
                        lang=lang,
                        entities=frozenset(ents.split()),
                        fingerprint=Fingerprint(frozenset(fp.split())),
                        informative=informative,
                        authority=authority,
                        source=feed_id,
                    )
                    self.learn(story_id, feats)
            self.last_id = max(self.last_id, rows[-1][0])
        if self._evicted_at is None or now - self._evicted_at >= _EVICT_EVERY:
            self.evict(now)

    def _on_rollback(self, _session: Session, *_args: Any) -> None:
        self._stale = True
        self._synced_for = None

    def learn(self, story_id: int, feats: ItemFeatures) -> None:
        """Remember that ``feats`` (an item) is a member of ``story_id``."""
        item_id = int(feats.key)  # type: ignore[call-overload]
        if self.item_story.get(item_id) == story_id:
            return
        self.item_story[item_id] = story_id
        story = self.stories.setdefault(story_id, _CachedStory())
        story.members.append(feats)
        if feats.published is not None and (story.first is None or _naive(feats.published) < story.first):
            story.first = _naive(feats.published)
        for k in story_keys(feats) - story.keys:
            story.keys.add(k)
            self.doc_freq[k] += 1
            self.postings.setdefault(k, set()).add(story_id)

    def evict(self, now: datetime) -> None:
        """Forget stories whose every member is older than ``CLUSTER_HORIZON``."""
        self._evicted_at = now
        cutoff = _naive(now - CLUSTER_HORIZON)
        old = [
            sid
            for sid, st in self.stories.items()
            if all(m.published is None or _naive(m.published) < cutoff for m in st.members)
        ]
        for sid in old:
            st = self.stories.pop(sid)
            for m in st.members:
                self.item_story.pop(int(m.key), None)  # type: ignore[call-overload]
            for k in st.keys:
                self.doc_freq[k] -= 1
                if self.doc_freq[k] <= 0:
                    del self.doc_freq[k]
                ids = self.postings.get(k)
                if ids is not None:
                    ids.discard(sid)
                    if not ids:
                        del self.postings[k]

    # -- reads --------------------------------------------------------------------------------------
    def weights(self) -> FieldWeights:
        """Entity/code weights from their frequency among the cached (recent) stories (one per sync)."""
        if self._weights is None:
            self._weights = FieldWeights(dict(self.doc_freq), len(self.stories))
        return self._weights

    def covers(self, published: datetime, now: datetime, window: timedelta) -> bool:
        """True when every story that could take an item published then is in the cache."""
        return _naive(published) - _naive(now - CLUSTER_HORIZON) >= window

    def candidates(
        self, feats: ItemFeatures, near_ids: list[int], weights: FieldWeights, cfg: ClusterConfig
    ) -> tuple[list[StoryCandidate], list[int]]:
        """Cached candidate stories, and the near-duplicate ids the cache does not know."""
        ids: set[int] = set()
        unknown: list[int] = []
        for i in near_ids:
            sid = self.item_story.get(i)
            if sid is None:
                unknown.append(i)
            else:
                ids.add(sid)
        ranked: Counter[int] = Counter()
        lo = hi = None
        if feats.published is not None:
            lo, hi = _naive(feats.published) - cfg.window, _naive(feats.published) + cfg.window
        if lo is not None and hi is not None:
            # rarest keys first; a key held by very many stories (Nvidia in a busy week) only adds its
            # newest stories once rarer keys found some: what shares only it is weak evidence anyway
            for k in sorted(_specific_keys(feats), key=lambda k: self.doc_freq.get(k, 0)):
                posting = self.postings.get(k)
                if not posting:
                    continue
                if len(posting) > _BIG_POSTING:
                    if ranked:
                        continue
                    posting = set(heapq.nlargest(_BIG_POSTING, posting))
                w = weights[k]
                for sid in posting:
                    first = self.stories[sid].first
                    if first is not None and lo <= first <= hi:
                        ranked[sid] += w
        for sid, _w in ranked.most_common(_MAX_CANDIDATES):
            ids.add(sid)
        out = [StoryCandidate(sid, _recent(self.stories[sid].members, cfg.max_members)) for sid in sorted(ids)]
        return out, unknown


def _naive(t: datetime) -> datetime:
    """UTC without tzinfo: SQLite may hand back naive UTC, callers aware UTC; compare them as one."""
    return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)


def _recent(members: list[ItemFeatures], max_members: int) -> tuple[ItemFeatures, ...]:
    if len(members) <= max_members * 2:
        return tuple(members)
    ms = sorted(members, key=lambda m: _naive(m.published) if m.published else datetime.min, reverse=True)
    lead = choose_lead(members)
    keep = ms[: max_members * 2 - 1]
    return tuple(keep if lead in keep else [lead, *keep])


def _specific_keys(f: ItemFeatures) -> set[str]:
    """Keys that can find candidate stories: non-generic entities and model codes."""
    return {k for k in story_keys(f) if k.startswith("code:") or k.lower() not in GENERIC_ENTITIES}


# -- the database path (items older than the cache reaches) ----------------------------------------------


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
    return [StoryCandidate(sid, _recent(ms, max_members)) for sid, ms in sorted(members.items())]


def _entity_stories(
    s: Session, entities: frozenset[str], published: datetime, window: timedelta, limit: int = _MAX_CANDIDATES
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


def _exact_copy_story(s: Session, row: ItemRow) -> int | None:
    """The story of an earlier item with the same text or the same canonical URL (one statement, two
    index lookups: SQLite and PostgreSQL both turn the OR into a union of index scans)."""
    same = col(ItemRow.content_hash) == row.content_hash
    if row.canonical_url:
        same = or_(same, col(ItemRow.canonical_url) == row.canonical_url)
    stmt = (
        select(StoryItem.story_id)
        .join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
        .where(same, col(ItemRow.id) != row.id)
        .limit(1)
    )
    found = s.exec(stmt).first()
    return int(found) if found is not None else None


# -- assignment ---------------------------------------------------------------------------------------------


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
        feats = ItemFeatures(
            key=row.id,
            published=row.published,
            lang=row.language,
            entities=entities,
            fingerprint=fp,
            informative=sig.informative,
            authority=authority,
            source=row.feed_id,
        )
        # Core inserts: the ORM's unit of work costs more than the statement for these write-only rows
        s.execute(
            insert(ItemSignature),
            [
                {
                    "item_id": row.id,
                    "published": row.published,
                    "signature": sig.to_bytes(),
                    "fingerprint": " ".join(sorted(fp.tokens)),
                    "entities": " ".join(sorted(entities)),
                    "informative": sig.informative,
                    "authority": authority,
                }
            ],
        )
        story_id = _exact_copy_story(s, row)
        reason = "exact copy (same URL or text)"
        if story_id is None:
            story_id, reason = _decide(s, feats, sig, index, now, cfg)
        current = _story_row(s, story_id) if story_id is not None else None
        if story_id is not None and current is None:  # deleted meanwhile (retention): the cache was stale
            index.stories.pop(story_id, None)
            reason = "new story: the chosen story no longer exists"
        new_story = current is None
        if current is None:
            story_id = _new_story(s, row, authority, match, now)
        else:
            _grow_story(s, current, row, authority, match, now)
            story_id = current.id
        s.execute(
            insert(StoryItem), [{"item_id": row.id, "story_id": story_id, "joined_at": now, "reason": reason[:500]}]
        )
        index.index.add_signature(row.id, sig)
        index.learn(story_id, feats)
    return Assignment(story_id, new_story, reason)


def _decide(
    s: Session, feats: ItemFeatures, sig: Signature, index: StoryIndex, now: datetime, cfg: ClusterConfig
) -> tuple[int | None, str]:
    near = index.index.query_signature(sig) if sig.informative else []
    near_ids = [int(n.key) for n in near if n.key != feats.key][:50]  # type: ignore[call-overload]
    weights = index.weights()
    if feats.published is not None and index.covers(feats.published, now, cfg.window):
        candidates, unknown = index.candidates(feats, near_ids, weights, cfg)
        if unknown:  # near-duplicates older than the cache: their stories come from the database
            stmt = select(StoryItem.story_id).where(col(StoryItem.item_id).in_(unknown))
            have = {int(c.story_id) for c in candidates}  # type: ignore[call-overload]
            extra = {int(x) for x in s.exec(stmt).all()} - have
            candidates += _load_candidates(s, extra, cfg.max_members)
    else:
        ids = _entity_stories(s, feats.entities, feats.published or now, cfg.window)
        if near_ids:
            stmt = select(StoryItem.story_id).where(col(StoryItem.item_id).in_(near_ids))
            ids |= {int(x) for x in s.exec(stmt).all()}
        candidates = _load_candidates(s, ids, cfg.max_members)
    decision = decide(feats, candidates, near, weights=weights, config=cfg, prepared=index.prepared)
    story_id = int(decision.story_id) if decision.story_id is not None else None  # type: ignore[call-overload]
    return story_id, decision.reason


def _story_row(s: Session, story_id: int) -> Any:
    """The summary columns of a story (an ORM-enabled select: pending changes are flushed first)."""
    stmt = select(
        Story.id,
        Story.first_published,
        Story.last_published,
        Story.authority_item_id,
        Story.member_count,
        Story.source_count,
        Story.languages,
        Story.severity,
        Story.score,
        Story.topics,
    ).where(Story.id == story_id)
    return s.exec(stmt).first()


def _new_story(s: Session, row: ItemRow, authority: bool, match: Any, now: datetime) -> int:
    values = {
        "created_at": now,
        "updated_at": now,
        "first_published": row.published,
        "last_published": row.published,
        "lead_item_id": row.id,
        "authority_item_id": row.id if authority else None,
        "member_count": 1,
        "source_count": 1,
        "languages": row.language,
        "severity": getattr(match, "severity", None),
        "score": float(getattr(match, "score", 0.0) or 0.0),
        "topics": " ".join(dict.fromkeys(getattr(match, "topics", ()) or ())),
    }
    return int(s.execute(insert(Story).returning(col(Story.id)), [values]).scalar_one())


def _grow_story(s: Session, story: Any, row: ItemRow, authority: bool, match: Any, now: datetime) -> None:
    """The summary columns after one more member, without re-reading the members (``refresh_story`` does).

    Same results as ``refresh_story``: the lead is the earliest authority item, else the earliest item.
    """
    assert row.id is not None
    same_feed = (
        select(StoryItem.item_id)
        .join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
        .where(StoryItem.story_id == story.id, ItemRow.feed_id == row.feed_id)
        .limit(1)
    )
    values: dict[str, Any] = {
        "member_count": story.member_count + 1,
        "source_count": story.source_count + (s.exec(same_feed).first() is None),
        "languages": " ".join(sorted({*story.languages.split(), row.language})),
        "first_published": min(story.first_published, row.published, key=_naive),
        "last_published": max(story.last_published, row.published, key=_naive),
        "updated_at": now,
    }
    authority_id = story.authority_item_id
    if authority:
        held = s.exec(select(ItemRow.published).where(ItemRow.id == authority_id)).first() if authority_id else None
        if held is None or _naive(row.published) < _naive(held):
            authority_id = values["authority_item_id"] = row.id
    if authority_id is not None:
        values["lead_item_id"] = authority_id
    elif _naive(row.published) < _naive(story.first_published):
        values["lead_item_id"] = row.id
    score = getattr(match, "score", None)
    if score is not None and float(score) > story.score:
        values["score"] = float(score)
    severity = getattr(match, "severity", None)
    if _SEVERITY_RANK.get(severity, 0) > _SEVERITY_RANK.get(story.severity, 0):
        values["severity"] = severity
    topics = " ".join(dict.fromkeys([*story.topics.split(), *(getattr(match, "topics", ()) or ())]))
    if topics != story.topics:
        values["topics"] = topics
    stmt = update(Story).where(col(Story.id) == story.id).values(**values)
    s.execute(stmt.execution_options(synchronize_session=False))
    _expire_loaded(s, story.id)


def _expire_loaded(s: Session, story_id: int) -> None:
    # a Story object this session loaded earlier (refresh_story of a correction) must not hide the update
    loaded = s.identity_map.get(s.identity_key(Story, story_id))  # type: ignore[arg-type]
    if loaded is not None:
        s.expire(loaded)


def refresh_story(s: Session, story_id: int, now: datetime) -> Story:
    """Recompute a story's summary columns from its members (lead, authority, counts, languages).

    Used when a member changes (a correction); ``assign_story`` updates the columns incrementally.
    """
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
