"""The in-process story index: what makes assigning an item cost a few lookups, not a scan.

``StoryIndex`` holds the near-duplicate index (``NearDupIndex``) of the last ``INDEX_HORIZON`` and the
features of every story member of the last ``CLUSTER_HORIZON``, loaded from ``item_signatures`` once and kept
in step by ``sync`` (rows written by other processes since the last sync) — so a relevant item costs a few
index lookups, not a scan of everything sharing "China" in the window. A rolled-back transaction marks it
stale and the next ``sync`` reloads it. ``candidates`` finds the stories an item may join: stories of its
near-duplicate hits, and recent stories sharing a specific entity, model code, amount, quantity, concept of
the term map or event day with it (an inverted index, ``postings``; reports of one event in two languages
often share no entity id) — at most ``MAX_CANDIDATES``, ranked by the weight they share; a fact held by very
many stories finds none.

Flat cost however big a story grows (issue 14: a breaking story copied by hundreds of outlets). A story is
seen through a bounded set of *representatives* (``representatives``: all members of a small story; else the lead,
the newest members and the earliest member of each language), plus the members the near-duplicate lookup
met. The LSH index groups items by story: a bucket keeps at most ``GROUP_CAP`` members of one story and a
lookup keeps the ``GROUP_CAP`` best hits of each story (``AssignLimits``; ``neardup`` explains why no
evidence is lost). So an item costs the same against a story of 10 members as against one of 10,000
(``bench.bench_stories --story-sizes``; ``tests/stories/test_flat_cost`` counts the comparisons,
``StoryIndex.counts``). ``UNBOUNDED`` is the code path before, for the benchmark to measure beside.

The SQL is ``storage.stories``; the assignment that uses this index is ``bot.stories.assign``.
"""

from __future__ import annotations

import heapq
import threading
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlmodel import Session

from bot.stories.cached import CachedStory
from bot.stories.cluster import StoryCandidate
from bot.stories.features import GENERIC_ENTITIES, FieldWeights, ItemFeatures, event_day, story_keys
from bot.stories.fingerprint import Fingerprint
from bot.stories.horizon import Expiry
from bot.stories.neardup import GROUP_CAP, NearDupIndex
from bot.stories.score import ClusterConfig
from bot.stories.signatures import Signature
from bot.stories.summary import naive_utc as _naive
from storage import stories as store
from storage.stories import MemberRow

INDEX_HORIZON = timedelta(days=14)  # near-duplicates older than this are not news any more
CLUSTER_HORIZON = timedelta(days=7)  # story members kept in memory (the window is 72 h; backlog needs slack)
_ID_SLACK = 2000  # ids allocated before a later id may commit after it: re-read that far back (PostgreSQL)
_EVICT_EVERY = timedelta(minutes=30)
# Expired near-duplicate rows are tombstones in the LSH arrays (~0.75 KB each): past this many (and as many as live
# rows), the next sync reloads the index from the database, as at start, and the arrays shrink to the live rows.
# A reload reads the live rows again: once per INDEX_HORIZON at most when there are more live rows than this.
_COMPACT_MIN = 2_000
MAX_CANDIDATES = 24  # candidate stories handed to ``decide`` per item
_BIG_POSTING = 300
_BIG_FACT_POSTING = 64


@dataclass(frozen=True)
class AssignLimits:
    """What keeps an item's cost flat however big its story grows (issue 14). ``UNBOUNDED`` is the behaviour
    before them, kept for ``bench.bench_stories`` to measure beside."""

    bucket_per_story: int | None = GROUP_CAP  # LSH rows of one story per bucket (``NearDupIndex`` groups)
    hits_per_story: int | None = GROUP_CAP  # near-duplicate hits kept per story, the most similar first
    twins: bool = True  # an identical body signature (with identical features) joins its twin's story


UNBOUNDED = AssignLimits(bucket_per_story=None, hits_per_story=None, twins=False)


def member_features(row: MemberRow) -> ItemFeatures:
    """A stored story member's features, with its feed (a flooding feed's members weigh nothing, see
    ``bot.stories.cluster.decide``)."""
    return ItemFeatures(
        key=row.item_id,
        published=row.published,
        lang=row.language,
        entities=frozenset(row.entities.split()),
        fingerprint=Fingerprint(frozenset(row.fingerprint.split())),
        informative=row.informative,
        authority=row.authority,
        source=row.feed_id,
    )


class StoryIndex:
    """Near-duplicate index and recent story members, rebuilt from ``item_signatures`` and kept in step."""

    def __init__(self, limits: AssignLimits | None = None) -> None:
        self.limits = limits or AssignLimits()
        # what assignment compared, summed since creation (a test pins the flat cost on these, not on time):
        # lsh_rows (rows the LSH verified), near_hits (hits handed to ``decide``), candidates (stories), sync_ids,
        # members (their members handed to ``decide``), pairs (fingerprint scores), near_checks, twins
        self.counts: Counter[str] = Counter()
        self._reset()
        # Re-entrant: ingestion holds it for a whole transaction (SQLite has one writer anyway, and a
        # thread waiting on it while holding the database's write lock would deadlock the other).
        self.lock = threading.RLock()

    def _reset(self) -> None:
        self.index = NearDupIndex(group_cap=self.limits.bucket_per_story)
        self.expiry = Expiry()  # when each of the index's rows ages out (``INDEX_HORIZON``)
        self._expired = 0  # rows expired since the index was (re)built: tombstones in its arrays
        self.last_id = 0
        self.stories: dict[int, CachedStory] = {}
        self.item_story: dict[int, int] = {}
        self.postings: dict[str, set[int]] = {}  # entity id or code token → story ids
        self.doc_freq: Counter[str] = Counter()  # key → number of cached stories holding it
        self._synced_for: weakref.ref[Any] | None = None
        self._stale = False
        self._evicted_at: datetime | None = None
        self._weights: FieldWeights | None = None
        self.prepared: dict[Any, Any] = {}  # members' weights for ``decide``, valid with ``_weights``
        self._version = 0  # bumped when the statistics behind ``weights`` change (a story or key learnt)
        self._weights_version = -1

    # -- keeping in step with the database ---------------------------------------------------------
    def synced_in(self, s: Session) -> bool:
        """True when ``sync`` already ran in this session's current transaction."""
        return store.same_transaction(s, self._synced_for)

    def sync(self, s: Session, now: datetime) -> None:
        """Learn the items assigned since the last sync (by this process or another one)."""
        if self._stale:
            self._reset()  # a rollback undid writes the cache had learnt: reload
        self._synced_for = store.transaction_token(s)
        self._weights, self.prepared = None, {}
        store.on_rollback(s, self._on_rollback)
        slack = 0 if store.ids_commit_in_order(s) else _ID_SLACK
        rows = self._unknown_members(s, after_id=max(self.last_id - slack, 0), since=now - INDEX_HORIZON)
        if rows:
            # grouped by story: a bucket keeps a bounded number of one story's members (module docstring)
            if len(self.index) == 0:
                self.index = NearDupIndex.from_signatures(
                    ((r.item_id, r.signature, int(r.story_id)) for r in rows), group_cap=self.limits.bucket_per_story
                )
            else:
                for r in rows:
                    self.index.add_signature(r.item_id, Signature.from_bytes(r.signature), group=int(r.story_id))
            for r in rows:
                self.expiry.add(r.item_id, r.published or now)
            cutoff = now - CLUSTER_HORIZON
            for r in rows:
                if r.published is not None and _naive(r.published) >= _naive(cutoff):
                    self.learn(r.story_id, member_features(r))
            self.last_id = max(self.last_id, rows[-1].item_id)
        if self._evicted_at is None or now - self._evicted_at >= _EVICT_EVERY:
            self.evict(now)

    def _unknown_members(self, s: Session, *, after_id: int, since: datetime) -> list[MemberRow]:
        """The members the index does not hold yet, with their signatures. On PostgreSQL the slack re-reads the last
        ~2,000 ids at every sync, nearly all of them this process's own writes: their ids are read first,
        and only the others' rows (signatures are ~0.5 KB each)."""
        ids = store.member_ids(s, after_id=after_id, since=since)
        # Every id read is held now (this process's own, or loaded below): the next sync starts after them.
        # Advanced only by others' rows, the cursor stood still in a process that writes alone, and each sync
        # re-read every id since the start (issue 14: ~13 % of the writer's time in a 500-feed cycle).
        self.last_id = max([self.last_id, *ids])
        self.counts["sync_ids"] += len(ids)
        unknown = [i for i in ids if i not in self.index]
        if not unknown:
            return []
        if len(unknown) == len(ids):
            found = store.story_members(s, after_id=after_id, since=since, signatures=True)
        else:
            found = store.story_members(s, items=unknown, signatures=True)
        return [r for r in found if r.item_id not in self.index]

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
        story = self.stories.setdefault(story_id, CachedStory())
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

    def add_signature(self, item_id: int, sig: Signature, story_id: int, published: datetime) -> None:
        """Index an item's signature in its story's group, until it is older than ``INDEX_HORIZON``."""
        self.index.add_signature(item_id, sig, group=story_id)
        self.expiry.add(item_id, published)

    def evict(self, now: datetime) -> None:
        """Forget stories whose every member is older than ``CLUSTER_HORIZON``, and near-duplicate rows older
        than ``INDEX_HORIZON`` (a reload compacts the index once they are many)."""
        self._evicted_at = now
        self._expired += sum(self.index.remove(k) for k in self.expiry.expire(now - INDEX_HORIZON))
        if self._expired >= max(_COMPACT_MIN, len(self.index)):
            self._stale = True  # the next sync reloads the last INDEX_HORIZON: the arrays hold live rows only
        cutoff = _naive(now - CLUSTER_HORIZON)
        old = [
            sid
            for sid, st in self.stories.items()
            if all(m.published is None or _naive(m.published) < cutoff for m in st.members)
        ]
        if old:
            self._version += 1
        gone = set(old)
        for sid, st in self.stories.items():
            if sid not in gone:  # a living story keeps its lead, each language's first and its recent members
                for key in st.prune(cutoff):
                    self.item_story.pop(int(key), None)
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

        A story's members for ``decide``: its representatives (``CachedStory.recent``) and the members the
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
        ranked: dict[int, float] = {}  # story id → the weight it shares with the item
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
                        ranked[sid] = ranked.get(sid, 0) + w
        for sid, _w in heapq.nlargest(MAX_CANDIDATES, ranked.items(), key=itemgetter(1)):  # Counter.most_common
            ids.add(sid)
        out = [self._candidate(sid, cfg, hit_members.get(sid, ())) for sid in sorted(ids)]
        return out, unknown

    def _candidate(self, sid: int, cfg: ClusterConfig, hits: Sequence[int]) -> StoryCandidate:
        story = self.stories[sid]
        members = story.recent(cfg.max_members)
        have = {m.key for m in members}
        extra = [story.members[story.position[k]] for k in hits if k not in have and k in story.position]
        return StoryCandidate(sid, (*members, *extra) if extra else members)


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
