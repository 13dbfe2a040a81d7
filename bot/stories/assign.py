"""Story assignment against storage: the pure decision of ``bot.stories.cluster`` fed from the database.

For one relevant item, inside the caller's transaction:

1. exact copies first: an item already in a story with the same canonical URL or content hash → that story;
   then a *twin*: an item with the identical body signature and the same features (entities, fingerprint
   with the title, event day) whose story's lead is within the window → that story, without scoring (what
   ``decide`` would conclude: a near-duplicate at J = 1 that nothing contradicts);
2. candidates: stories of near-duplicate hits (the in-process LSH index) and recent stories sharing a
   specific entity, model code, amount, quantity, concept of the term map or event day with the item (an
   in-process inverted index; reports of one event in two languages often share no entity id). At most
   ``_MAX_CANDIDATES`` stories, ranked by the weight they share; a fact held by very many stories finds none;
3. ``decide()`` picks a story or says "new story", with entity weights from their frequency among the
   recent stories (``FieldWeights``); the link, the story's summary columns (updated incrementally) and the
   item's signature are written; the in-process indexes learn the item.

Flat cost however big a story grows (issue 14: a breaking story copied by hundreds of outlets). A story is
seen through a bounded set of *representatives* (``_recent``: all members of a small story; else the lead,
the newest members and the earliest member of each language), plus the members the near-duplicate lookup
met. The LSH index groups items by story: a bucket keeps at most ``GROUP_CAP`` members of one story and a
lookup keeps the ``GROUP_CAP`` best hits of each story (``AssignLimits``; ``neardup`` explains why no
evidence is lost). So an item costs the same against a story of 10 members as against one of 10,000
(``bench.bench_stories --story-sizes``; ``tests/stories/test_flat_cost`` counts the comparisons,
``StoryIndex.counts``). ``UNBOUNDED`` is the code path before, for the benchmark to measure beside.

``StoryIndex`` is what makes this cheap: the near-duplicate index of the last ``INDEX_HORIZON`` and the
features of every story member of the last ``CLUSTER_HORIZON``, loaded from ``item_signatures`` once and kept
in step by ``sync`` (rows written by other processes since the last sync) — so a relevant item costs a few
index lookups and writes, not a scan of everything sharing "China" in the window. An item older than the
cache reaches (a late backlog) takes the database path instead. A rolled-back transaction marks the cache
stale and the next ``sync`` reloads it.

Order: ``bot.ingest`` assigns a batch in publication order (feeds by their earliest item, items oldest
first) and nothing here reads a batch boundary, so in-batch order and batching never change the stories
(``tests/stories/test_invariance``). A report that dates the event to a story's day may join it up to
``ClusterConfig.dated_window`` late, within what the cache holds (``CLUSTER_HORIZON``).

Assignments are serialized: a process lock, and on PostgreSQL a transaction-scoped advisory lock, so two
workers never create two stories for one event at the same instant.
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, event, func, insert, or_, text, update
from sqlmodel import Session, col, select

from bot.stories.cluster import (
    GENERIC_ENTITIES,
    ClusterConfig,
    FieldWeights,
    ItemFeatures,
    StoryCandidate,
    choose_lead,
    decide,
    event_day,
    story_keys,
)
from bot.stories.fingerprint import Fingerprint, fingerprint
from bot.stories.neardup import GROUP_CAP, NearDupIndex, Signature, signature
from storage.tables import ItemRow, ItemSignature, MatchEntity, Story, StoryItem

_ADVISORY_KEY = 0x52415149  # "RAQI"
_SEVERITY_RANK = {"critical": 3, "high": 2, "normal": 1, None: 0}
INDEX_HORIZON = timedelta(days=14)  # near-duplicates older than this are not news any more
CLUSTER_HORIZON = timedelta(days=7)  # story members kept in memory (the window is 72 h; backlog needs slack)
_ID_SLACK = 2000  # ids allocated before a later id may commit after it: re-read that far back on sync
_EVICT_EVERY = timedelta(minutes=30)
_MAX_CANDIDATES = 24
_BIG_POSTING = 300
_BIG_FACT_POSTING = 64
_NEAR_IDS = 50  # near-duplicate hits looked at per item (best first)


@dataclass(frozen=True)
class AssignLimits:
    """What keeps an item's cost flat however big its story grows (issue 14). ``UNBOUNDED`` is the behaviour
    before them, kept for ``bench.bench_stories`` to measure beside."""

    bucket_per_story: int | None = GROUP_CAP  # LSH rows of one story per bucket (``NearDupIndex`` groups)
    hits_per_story: int | None = GROUP_CAP  # near-duplicate hits kept per story, the most similar first
    twins: bool = True  # an identical body signature (with identical features) joins its twin's story


UNBOUNDED = AssignLimits(bucket_per_story=None, hits_per_story=None, twins=False)


@dataclass(frozen=True)
class Assignment:
    story_id: int
    new_story: bool
    reason: str


@dataclass
class _CachedStory:
    members: list[ItemFeatures] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)  # entities and codes of all members (document frequency)
    post_keys: set[str] = field(default_factory=set)  # keys under which ``postings`` lists this story
    first: datetime | None = None  # earliest member, naive UTC (the window is anchored there)
    lead: ItemFeatures | None = None  # ``choose_lead(members)``
    position: dict[Any, int] = field(default_factory=dict)  # member key → its place in ``members``
    firsts: dict[str, ItemFeatures] = field(default_factory=dict)  # language → its earliest member
    _recent: tuple[ItemFeatures, ...] | None = None  # ``_newest_members(members, _recent_max)``, kept up to date
    _recent_max: int = 0

    def add(self, feats: ItemFeatures) -> None:
        self.position[feats.key] = len(self.members)
        self.members.append(feats)
        self.lead = feats if self.lead is None else choose_lead((self.lead, feats))
        held = self.firsts.get(feats.lang)
        if held is None or _when(feats) < _when(held):  # a tie keeps the one learnt first, as ``min`` does
            self.firsts[feats.lang] = feats
        if self._recent is None:
            return
        if len(self.members) <= 2 * self._recent_max:
            self._recent = tuple(self.members)
        else:
            # The newest members of (members + feats) are among the newest of members, and feats: sorting
            # those (in insertion order, as a full sort would see them) gives exactly ``_recent(members)``.
            pool = sorted({*self._recent, feats}, key=lambda m: self.position[m.key])
            self._recent = _newest(pool, self._recent_max, self.lead)

    def recent(self, max_members: int) -> tuple[ItemFeatures, ...]:
        """The story's representatives, the members ``decide`` sees: all of a small story, else the lead, the
        most recent ones and the earliest member of each language (equal to ``_recent(members)``)."""
        if self._recent is None or self._recent_max != max_members:
            self._recent, self._recent_max = _newest_members(self.members, max_members), max_members
        return _with_firsts(self._recent, self.firsts)


class StoryIndex:
    """Near-duplicate index and recent story members, rebuilt from ``item_signatures`` and kept in step."""

    def __init__(self, limits: AssignLimits | None = None) -> None:
        self.limits = limits or AssignLimits()
        # what assignment compared, summed since creation (a test pins the flat cost on these, not on time):
        # lsh_rows (rows the LSH verified), near_hits (hits handed to ``decide``), candidates (stories),
        # members (their members handed to ``decide``), pairs (fingerprint scores), near_checks, twins
        self.counts: Counter[str] = Counter()
        self._reset()
        # Re-entrant: ingestion holds it for a whole transaction (SQLite has one writer anyway, and a
        # thread waiting on it while holding the database's write lock would deadlock the other).
        self.lock = threading.RLock()

    def _reset(self) -> None:
        self.index = NearDupIndex(group_cap=self.limits.bucket_per_story)
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
        self._version = 0  # bumped when the statistics behind ``weights`` change (a story or key learnt)
        self._weights_version = -1

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
            # grouped by story: a bucket keeps a bounded number of one story's members (module docstring)
            if len(self.index) == 0:
                self.index = NearDupIndex.from_signatures(
                    ((r[0], r[2], int(r[7])) for r in rows), group_cap=self.limits.bucket_per_story
                )
            else:
                for r in rows:
                    self.index.add_signature(r[0], Signature.from_bytes(r[2]), group=int(r[7]))
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
        if story_id not in self.stories:
            self._version += 1
        story = self.stories.setdefault(story_id, _CachedStory())
        story.add(feats)
        if feats.published is not None and (story.first is None or _naive(feats.published) < story.first):
            story.first = _naive(feats.published)
        for k in story_keys(feats) - story.keys:
            self._version += 1
            story.keys.add(k)
            self.doc_freq[k] += 1
        for k in _posting_keys(feats) - story.post_keys:
            story.post_keys.add(k)
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
        if old:
            self._version += 1
        for sid in old:
            st = self.stories.pop(sid)
            for m in st.members:
                self.item_story.pop(int(m.key), None)  # type: ignore[call-overload]
            for k in st.keys:
                self.doc_freq[k] -= 1
                if self.doc_freq[k] <= 0:
                    del self.doc_freq[k]
            for k in st.post_keys:
                ids = self.postings.get(k)
                if ids is not None:
                    ids.discard(sid)
                    if not ids:
                        del self.postings[k]

    # -- reads --------------------------------------------------------------------------------------
    def weights(self) -> FieldWeights:
        """Entity/code weights from their frequency among the cached (recent) stories (one per sync, or
        per ``refresh_weights``)."""
        if self._weights is None:
            self._weights = FieldWeights(dict(self.doc_freq), len(self.stories))
            self._weights_version = self._version
        return self._weights

    def refresh_weights(self) -> None:
        """Let ``weights`` follow the stories learnt since it was computed (a batch calls this per feed,
        which weighs as if every feed had its own transaction); nothing to do when nothing was learnt."""
        if self._weights is not None and self._weights_version != self._version:
            self._weights, self.prepared = None, {}

    def covers(self, published: datetime, now: datetime, window: timedelta) -> bool:
        """True when every story that could take an item published then is in the cache."""
        return _naive(published) - _naive(now - CLUSTER_HORIZON) >= window

    def candidates(
        self, feats: ItemFeatures, near_ids: list[int], weights: FieldWeights, cfg: ClusterConfig
    ) -> tuple[list[StoryCandidate], list[int]]:
        """Cached candidate stories, and the near-duplicate ids the cache does not know.

        A story's members for ``decide``: its representatives (``_CachedStory.recent``) and the members the
        near-duplicate lookup met (bounded per story by ``AssignLimits.hits_per_story``) — in a big story
        those are not always among the recent ones, and their near-duplicate evidence must not be lost."""
        ids: set[int] = set()
        unknown: list[int] = []
        hit_members: dict[int, list[int]] = {}
        for i in near_ids:
            sid = self.item_story.get(i)
            if sid is None:
                unknown.append(i)
            else:
                ids.add(sid)
                hit_members.setdefault(sid, []).append(i)
        ranked: Counter[int] = Counter()
        lo = hi = None
        if feats.published is not None:
            # a dated item may join a story of its day up to ``dated_window`` late; others only in the window
            reach = max(cfg.window, cfg.dated_window) if event_day(feats) is not None else cfg.window
            lo, hi = _naive(feats.published) - reach, _naive(feats.published) + reach
        if lo is not None and hi is not None:
            # rarest keys first; a key held by very many stories (Nvidia in a busy week) only adds its
            # newest stories once rarer keys found some: what shares only it is weak evidence anyway
            for k in sorted(_posting_keys(feats), key=lambda k: len(self.postings.get(k, ()))):
                posting = self.postings.get(k)
                if not posting:
                    continue
                if len(posting) > _BIG_FACT_POSTING and k.startswith((*_POSTING_KINDS, "day:")):
                    continue  # a figure, concept or day that many stories share finds nothing in particular
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
        out = [self._candidate(sid, cfg, hit_members.get(sid, ())) for sid in sorted(ids)]
        return out, unknown

    def _candidate(self, sid: int, cfg: ClusterConfig, hits: Sequence[int]) -> StoryCandidate:
        story = self.stories[sid]
        members = story.recent(cfg.max_members)
        have = {m.key for m in members}
        extra = [story.members[story.position[k]] for k in hits if k not in have and k in story.position]
        return StoryCandidate(sid, (*members, *extra) if extra else members)


def _naive(t: datetime) -> datetime:
    """UTC without tzinfo: SQLite may hand back naive UTC, callers aware UTC; compare them as one."""
    return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)


def _recent(members: list[ItemFeatures], max_members: int) -> tuple[ItemFeatures, ...]:
    """A story's representatives (bounded: 2 · ``max_members`` + one per language): all members of a small
    story; else the lead, the newest members and the earliest member of each language — so a report in the
    language a flood of the other one has pushed out of the recent members still meets its own language."""
    firsts: dict[str, ItemFeatures] = {}
    for m in members:
        held = firsts.get(m.lang)
        if held is None or _when(m) < _when(held):
            firsts[m.lang] = m
    return _with_firsts(_newest_members(members, max_members), firsts)


def _newest_members(members: list[ItemFeatures], max_members: int) -> tuple[ItemFeatures, ...]:
    if len(members) <= max_members * 2:
        return tuple(members)
    return _newest(members, max_members, choose_lead(members))


def _with_firsts(members: tuple[ItemFeatures, ...], firsts: dict[str, ItemFeatures]) -> tuple[ItemFeatures, ...]:
    have = {m.key for m in members}
    extra = [firsts[lang] for lang in sorted(firsts) if firsts[lang].key not in have]
    return (*members, *extra) if extra else members


def _when(m: ItemFeatures) -> datetime:
    return _naive(m.published) if m.published is not None else datetime.max


def _newest(members: list[ItemFeatures], max_members: int, lead: ItemFeatures) -> tuple[ItemFeatures, ...]:
    ms = sorted(members, key=lambda m: _naive(m.published) if m.published else datetime.min, reverse=True)
    keep = ms[: max_members * 2 - 1]
    return tuple(keep if lead in keep else [lead, *keep])


# Fingerprint facts that find candidate stories besides entities: a story of the same day, amount, quantity
# or concept is worth scoring even when the two reports name different entities (an Arabic report without
# the agency's name, an English one without the company's).
_POSTING_KINDS = ("num:", "pct:", "qty:", "date:", "term:")


def _posting_keys(f: ItemFeatures) -> set[str]:
    keys = _specific_keys(f) | {t for t in f.fingerprint.tokens if t.startswith(_POSTING_KINDS)}
    day = event_day(f)
    if day is not None:
        keys.add("day:" + day.isoformat())
    return keys


def _specific_keys(f: ItemFeatures) -> set[str]:
    """Keys that can find candidate stories: non-generic entities and model codes."""
    return {k for k in story_keys(f) if k.startswith("code:") or k.lower() not in GENERIC_ENTITIES}


# -- the database path (items older than the cache reaches) ----------------------------------------------


def _load_candidates(s: Session, story_ids: set[int], max_members: int) -> list[StoryCandidate]:
    """Stories from the database with their representatives only (``_recent``): per story the newest
    2 · ``max_members`` members, its lead and the earliest member of each language — a window function reads
    them, so a story of 10,000 members costs what one of 60 does in Python."""
    if not story_ids:
        return []
    newest = func.row_number().over(
        partition_by=col(StoryItem.story_id),
        order_by=(col(ItemSignature.published).desc(), col(ItemSignature.item_id).desc()),
    )
    earliest_of_language = func.row_number().over(
        partition_by=(col(StoryItem.story_id), col(ItemRow.language)),
        order_by=(col(ItemSignature.published), col(ItemSignature.item_id)),
    )
    inner = (
        select(
            StoryItem.story_id,
            ItemSignature.item_id,
            ItemSignature.published,
            ItemSignature.entities,
            ItemSignature.fingerprint,
            ItemSignature.informative,
            ItemSignature.authority,
            ItemRow.language,
            Story.lead_item_id,
            newest.label("newest"),
            earliest_of_language.label("first_of_language"),
        )
        .join(ItemSignature, col(ItemSignature.item_id) == col(StoryItem.item_id))
        .join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
        .join(Story, col(Story.id) == col(StoryItem.story_id))
        .where(col(StoryItem.story_id).in_(sorted(story_ids)))
        .subquery()
    )
    c = inner.c
    stmt = select(
        c.story_id, c.item_id, c.published, c.entities, c.fingerprint, c.informative, c.authority, c.language
    ).where(or_(c.newest <= 2 * max_members, c.first_of_language == 1, c.item_id == c.lead_item_id))
    members: dict[int, list[ItemFeatures]] = {}
    for sid, item_id, published, entities, fp, informative, authority, lang in s.execute(stmt).all():
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


_WINDOW_ROWS = 3000  # members read around a late item: the window of a busy week, not the archive


def _window_candidates(
    s: Session, feats: ItemFeatures, weights: FieldWeights, cfg: ClusterConfig
) -> list[StoryCandidate]:
    """For an item older than the cache reaches (a late backlog): the stories of its window, ranked as the
    live path ranks them (a throw-away ``StoryIndex`` of the window's members), so a late item meets the
    reports it would have met on time."""
    assert feats.published is not None
    reach = max(cfg.window, cfg.dated_window)
    stmt = (
        select(
            ItemSignature.item_id,
            ItemSignature.published,
            ItemSignature.entities,
            ItemSignature.fingerprint,
            ItemSignature.informative,
            ItemSignature.authority,
            StoryItem.story_id,
            ItemRow.language,
        )
        .join(StoryItem, col(StoryItem.item_id) == col(ItemSignature.item_id))
        .join(ItemRow, col(ItemRow.id) == col(ItemSignature.item_id))
        .where(
            col(ItemSignature.published) >= feats.published - reach,
            col(ItemSignature.published) <= feats.published + reach,
        )
        .order_by(col(ItemSignature.item_id).desc())
        .limit(_WINDOW_ROWS)
    )
    window = StoryIndex()
    for item_id, published, ents, fp, informative, authority, story_id, lang in s.exec(stmt).all():
        member = ItemFeatures(
            key=item_id,
            published=published,
            lang=lang,
            entities=frozenset(ents.split()),
            fingerprint=Fingerprint(frozenset(fp.split())),
            informative=informative,
            authority=authority,
        )
        window.learn(int(story_id), member)
    found, _unknown = window.candidates(feats, [], weights, cfg)
    return found


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

_UNSET: Any = object()


@dataclass
class _StoryState:
    """A story's summary columns as this transaction has made them (written back by ``Assigner.flush``)."""

    id: int
    first_published: datetime
    last_published: datetime
    lead_item_id: int | None
    authority_item_id: int | None
    member_count: int
    source_count: int
    languages: str
    severity: str | None
    score: float
    topics: str
    updated_at: datetime | None = None
    feeds: set[str] | None = None  # feeds of its members, read once when a member from a feed is added
    authority_published: Any = _UNSET  # published time of the authority item, read once when needed
    dirty: bool = False


class Assigner:
    """Story assignment for many items inside one transaction (a whole batch of feeds).

    Per item this costs index lookups and the clustering decision; what used to be per-item SQL is per
    batch: exact copies are looked up once per feed (``prefetch_copies``), a story's summary columns are
    read once and written back once (``flush``), signature and link rows go in as two multi-row INSERTs.
    The caller flushes before the transaction commits and before reading stories or links with SQL of
    its own; the paths here that read them (late backlog, unknown near-duplicates) flush first.
    """

    def __init__(self, s: Session, index: StoryIndex, now: datetime, config: ClusterConfig | None = None) -> None:
        self.s, self.index, self.now, self.cfg = s, index, now, config or ClusterConfig()
        self._locked = s.get_bind().dialect.name != "postgresql"
        self._stories: dict[int, _StoryState] = {}
        self._signatures: list[dict[str, Any]] = []
        self._links: list[dict[str, Any]] = []
        self._by_hash: dict[str, int] = {}
        self._by_url: dict[str, int] = {}
        self._hashes_loaded: set[str] = set()
        self._urls_loaded: set[str] = set()
        self._deferred: dict[Any, list[dict[str, Any]]] = {}  # table → rows, in first-deferred order

    # -- batch reads --------------------------------------------------------------------------------
    def prefetch_copies(self, hashes: Sequence[str], urls: Sequence[str]) -> None:
        """Load which stories hold items with these text hashes or canonical URLs, in one query per 500 keys
        (a batch's relevant items); ``assign`` then finds exact copies in memory, learning this batch's links
        as it makes them. Rows with keys not loaded here are looked up with SQL."""
        hashes = sorted(set(hashes) - self._hashes_loaded)
        urls = sorted(set(urls) - self._urls_loaded)
        self._flush_writes()
        for i in range(0, max(len(hashes), len(urls)), 500):
            hs, us = hashes[i : i + 500], urls[i : i + 500]
            same = or_(col(ItemRow.content_hash).in_(hs), col(ItemRow.canonical_url).in_(us))
            stmt = (
                select(StoryItem.story_id, ItemRow.content_hash, ItemRow.canonical_url)
                .join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
                .where(same)
            )
            for story_id, content_hash, url in self.s.exec(stmt).all():
                self._by_hash.setdefault(content_hash, int(story_id))
                if url:
                    self._by_url.setdefault(url, int(story_id))
        self._hashes_loaded.update(hashes)
        self._urls_loaded.update(urls)

    def _exact_copy(self, row: Any) -> int | None:
        loaded = row.content_hash in self._hashes_loaded and (
            not row.canonical_url or row.canonical_url in self._urls_loaded
        )
        if not loaded:
            self._flush_writes()
            return _exact_copy_story(self.s, row)
        found = self._by_hash.get(row.content_hash)
        if found is None and row.canonical_url:
            found = self._by_url.get(row.canonical_url)
        return found

    def defer(self, table: Any, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` into ``table`` with this batch's other writes (one statement per table)."""
        if rows:
            self._deferred.setdefault(table, []).extend(rows)

    def _state(self, story_id: int) -> _StoryState | None:
        st = self._stories.get(story_id)
        if st is None:
            found = _story_row(self.s, story_id)
            if found is None:
                return None
            st = self._stories[story_id] = _StoryState(*found)
        return st

    # -- the decision -------------------------------------------------------------------------------
    def assign(
        self,
        row: Any,
        match: Any,
        *,
        authority: bool,
        sig: Signature | None = None,
        fp: Fingerprint | None = None,
    ) -> Assignment:
        """Put ``row`` (stored, relevant, matched) into a story. ``sig``/``fp``: its body's signature and
        fingerprint when computed already (the CPU stage does, off this thread)."""
        assert row.id is not None
        s, index, now = self.s, self.index, self.now
        if not self._locked:
            s.exec(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=_ADVISORY_KEY))  # type: ignore[call-overload]
            self._locked = True
        with index.lock:
            if not index.synced_in(s):
                index.sync(s, now)
            if sig is None or fp is None:
                body = row.content or row.summary
                sig, fp = signature(body), fingerprint(row.title, body)
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
            self._signatures.append(
                {
                    "item_id": row.id,
                    "published": row.published,
                    "signature": sig.to_bytes(),
                    "fingerprint": " ".join(sorted(fp.tokens)),
                    "entities": " ".join(sorted(entities)),
                    "informative": sig.informative,
                    "authority": authority,
                }
            )
            story_id = self._exact_copy(row)
            reason = "exact copy (same URL or text)"
            if story_id is None and self.index.limits.twins:
                story_id, reason = self._twin(feats, sig)
            if story_id is None:
                story_id, reason = self._decide(feats, sig)
            current = self._state(story_id) if story_id is not None else None
            if story_id is not None and current is None:  # deleted meanwhile (retention): the cache was stale
                index.stories.pop(story_id, None)
                reason = "new story: the chosen story no longer exists"
            new_story = current is None
            if current is None:
                story_id = self._new_story(row, authority, match)
            else:
                self._grow(current, row, authority, match)
                story_id = current.id
            self._links.append({"item_id": row.id, "story_id": story_id, "joined_at": now, "reason": reason[:500]})
            self._by_hash.setdefault(row.content_hash, story_id)
            if row.canonical_url:
                self._by_url.setdefault(row.canonical_url, story_id)
            index.index.add_signature(row.id, sig, group=story_id)
            index.learn(story_id, feats)
        return Assignment(story_id, new_story, reason)

    def _twin(self, feats: ItemFeatures, sig: Signature) -> tuple[int | None, str]:
        """The story of an earlier item with the identical body signature and the same features (entities,
        fingerprint — title included — and event day), when its story's lead is within the window: what
        ``decide`` would conclude (a near-duplicate at J = 1 that nothing contradicts), without scoring."""
        index = self.index
        twin = index.index.twin(sig)
        if twin is None or feats.published is None:
            return None, ""
        sid = index.item_story.get(int(twin))  # type: ignore[call-overload]
        story = index.stories.get(sid) if sid is not None else None
        if story is None or story.first is None:
            return None, ""
        place = story.position.get(twin)
        if place is None:
            return None, ""
        member = story.members[place]
        if (
            member.entities != feats.entities
            or member.fingerprint != feats.fingerprint
            or member.published is None
            or event_day(member) != event_day(feats)
            or abs(_naive(feats.published) - story.first) > self.cfg.window
        ):
            return None, ""
        index.counts["twins"] += 1
        return sid, f"identical text signature and features as {twin}"

    def _decide(self, feats: ItemFeatures, sig: Signature) -> tuple[int | None, str]:
        s, index, now, cfg = self.s, self.index, self.now, self.cfg
        before = index.index.rows_verified
        near = index.index.query_signature(sig, per_group=index.limits.hits_per_story) if sig.informative else []
        index.counts["lsh_rows"] += index.index.rows_verified - before
        near_ids = [int(n.key) for n in near if n.key != feats.key][:_NEAR_IDS]  # type: ignore[call-overload]
        weights = index.weights()
        if feats.published is not None and index.covers(feats.published, now, cfg.window):
            candidates, unknown = index.candidates(feats, near_ids, weights, cfg)
            if unknown:  # near-duplicates older than the cache: their stories come from the database
                self._flush_writes()
                stmt = select(StoryItem.story_id).where(col(StoryItem.item_id).in_(unknown))
                have = {int(c.story_id) for c in candidates}  # type: ignore[call-overload]
                extra = {int(x) for x in s.exec(stmt).all()} - have
                candidates += _load_candidates(s, extra, cfg.max_members)
        else:
            self._flush_writes()
            ids = _entity_stories(s, feats.entities, feats.published or now, cfg.window)
            if near_ids:
                stmt = select(StoryItem.story_id).where(col(StoryItem.item_id).in_(near_ids))
                ids |= {int(x) for x in s.exec(stmt).all()}
            candidates = _load_candidates(s, ids, cfg.max_members)
            if feats.published is not None:  # and what the live path would find by day, amount or concept
                have = {int(c.story_id) for c in candidates}  # type: ignore[call-overload]
                candidates += [c for c in _window_candidates(s, feats, weights, cfg) if c.story_id not in have]
        index.counts["near_hits"] += len(near)
        index.counts["candidates"] += len(candidates)
        index.counts["members"] += sum(len(c.members) for c in candidates)
        decision = decide(
            feats, candidates, near, weights=weights, config=cfg, prepared=index.prepared, counts=index.counts
        )
        story_id = int(decision.story_id) if decision.story_id is not None else None  # type: ignore[call-overload]
        return story_id, decision.reason

    def _new_story(self, row: Any, authority: bool, match: Any) -> int:
        values = {
            "created_at": self.now,
            "updated_at": self.now,
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
        story_id = int(self.s.execute(insert(Story).returning(col(Story.id)), [values]).scalar_one())
        self._stories[story_id] = _StoryState(
            story_id,
            row.published,
            row.published,
            row.id,
            values["authority_item_id"],
            1,
            1,
            row.language,
            values["severity"],
            values["score"],
            values["topics"],
            feeds={row.feed_id},
            authority_published=row.published if authority else None,
        )
        return story_id

    def _grow(self, story: _StoryState, row: Any, authority: bool, match: Any) -> None:
        """The summary columns after one more member, without re-reading the members (``refresh_story`` does).

        Same results as ``refresh_story``: the lead is the earliest authority item, else the earliest item.
        """
        if story.feeds is None:
            self._flush_writes()
            stmt = (
                select(ItemRow.feed_id)
                .join(StoryItem, col(ItemRow.id) == col(StoryItem.item_id))
                .where(StoryItem.story_id == story.id)
                .distinct()
            )
            story.feeds = set(self.s.exec(stmt).all())
        if row.feed_id not in story.feeds:
            story.feeds.add(row.feed_id)
            story.source_count += 1
        story.member_count += 1
        story.languages = " ".join(sorted({*story.languages.split(), row.language}))
        earlier = _naive(row.published) < _naive(story.first_published)
        story.first_published = min(story.first_published, row.published, key=_naive)
        story.last_published = max(story.last_published, row.published, key=_naive)
        story.updated_at = self.now
        if authority:
            if story.authority_published is _UNSET:
                held = story.authority_item_id
                story.authority_published = (
                    self.s.exec(select(ItemRow.published).where(ItemRow.id == held)).first() if held else None
                )
            if story.authority_published is None or _naive(row.published) < _naive(story.authority_published):
                story.authority_item_id, story.authority_published = row.id, row.published
        if story.authority_item_id is not None:
            story.lead_item_id = story.authority_item_id
        elif earlier:
            story.lead_item_id = row.id
        score = getattr(match, "score", None)
        if score is not None and float(score) > story.score:
            story.score = float(score)
        severity = getattr(match, "severity", None)
        if _SEVERITY_RANK.get(severity, 0) > _SEVERITY_RANK.get(story.severity, 0):
            story.severity = severity
        story.topics = " ".join(dict.fromkeys([*story.topics.split(), *(getattr(match, "topics", ()) or ())]))
        story.dirty = True

    # -- writes -------------------------------------------------------------------------------------
    def _flush_writes(self) -> None:
        if self._signatures:
            self.defer(ItemSignature.__table__, self._signatures)  # type: ignore[attr-defined]
            self._signatures = []
        if self._links:
            self.defer(StoryItem.__table__, self._links)  # type: ignore[attr-defined]
            self._links = []
        deferred, self._deferred = self._deferred, {}
        for table, rows in deferred.items():
            self.s.execute(insert(table), rows)

    def flush(self) -> None:
        """Write what this batch decided: deferred rows, signatures, links, changed stories' summaries."""
        self._flush_writes()
        dirty = [st for st in self._stories.values() if st.dirty]
        if not dirty:
            return
        table = Story.__table__  # type: ignore[attr-defined]
        stmt = (
            update(table)
            .where(table.c.id == bindparam("story_id"))
            .values(
                {
                    c: bindparam(c)
                    for c in (
                        "first_published",
                        "last_published",
                        "lead_item_id",
                        "authority_item_id",
                        "member_count",
                        "source_count",
                        "languages",
                        "severity",
                        "score",
                        "topics",
                        "updated_at",
                    )
                }
            )
        )
        self.s.execute(
            stmt,
            [
                {
                    "story_id": st.id,
                    "first_published": st.first_published,
                    "last_published": st.last_published,
                    "lead_item_id": st.lead_item_id,
                    "authority_item_id": st.authority_item_id,
                    "member_count": st.member_count,
                    "source_count": st.source_count,
                    "languages": st.languages,
                    "severity": st.severity,
                    "score": st.score,
                    "topics": st.topics,
                    "updated_at": st.updated_at or self.now,
                }
                for st in dirty
            ],
        )
        for st in dirty:
            st.dirty = False
            _expire_loaded(self.s, st.id)

    def forget(self, story_id: int) -> None:
        """Drop what this batch knows of a story that someone else rewrote (``refresh_story``)."""
        self._stories.pop(story_id, None)


def assign_story(
    s: Session,
    row: Any,
    match: Any,
    *,
    authority: bool,
    index: StoryIndex,
    now: datetime,
    config: ClusterConfig | None = None,
) -> Assignment:
    """Put one ``row`` (stored, relevant, matched) into a story; returns which one and whether it is new.

    Batches use ``Assigner`` directly; this is one item's batch."""
    assigner = Assigner(s, index, now, config)
    result = assigner.assign(row, match, authority=authority)
    assigner.flush()
    return result


def _story_row(s: Session, story_id: int) -> Any:
    """The summary columns of a story (an ORM-enabled select: pending changes are flushed first)."""
    stmt = select(
        Story.id,
        Story.first_published,
        Story.last_published,
        Story.lead_item_id,
        Story.authority_item_id,
        Story.member_count,
        Story.source_count,
        Story.languages,
        Story.severity,
        Story.score,
        Story.topics,
    ).where(Story.id == story_id)
    return s.exec(stmt).first()


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
