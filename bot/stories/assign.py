"""Story assignment: the pure decision of ``bot.stories.cluster`` fed from the story index and the database.

For one relevant item, inside the caller's transaction (``Assigner.assign``):

1. exact copies first: an item already in a story with the same canonical URL or content hash → that story;
   then a *twin*: an item with the identical body signature and the same features (entities, fingerprint
   with the title, event day) whose story's lead is within the window → that story, without scoring (what
   ``decide`` would conclude: a near-duplicate at J = 1 that nothing contradicts);
2. candidates: from the in-process ``StoryIndex`` (``bot.stories.index``: stories of near-duplicate hits and
   recent stories sharing specific facts with the item); for an item older than the index reaches (a late
   backlog) or near-duplicates it does not hold, from the database (``bot.stories.backlog``);
3. ``decide()`` picks a story or says "new story", with entity weights from their frequency among the
   recent stories (``FieldWeights``); the link, the story's summary columns (``StorySummary``, updated
   incrementally) and the item's signature are written; the index learns the item.

``Assigner`` is the unit of work of one transaction: it batches the reads (exact copies per batch, a story's
summary once) and the writes (signatures, links and the caller's deferred rows as multi-row INSERTs, changed
summaries as one UPDATE), all through ``storage.stories``.

Order: ``bot.ingest`` assigns a batch in publication order (feeds by their earliest item, items oldest
first) and nothing here reads a batch boundary, so in-batch order and batching never change the stories
(``tests/stories/test_invariance``). A report that dates the event to a story's day may join it up to
``ClusterConfig.dated_window`` late, within what the index holds (``CLUSTER_HORIZON``).

Assignments are serialized: a process lock (``StoryIndex.lock``), and on PostgreSQL a transaction-scoped
advisory lock, so two workers never create two stories for one event at the same instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Table
from sqlmodel import Session

from bot.stories.backlog import entity_stories, load_candidates, window_candidates
from bot.stories.cluster import StoryCandidate, decide
from bot.stories.features import FieldWeights, ItemFeatures, event_day
from bot.stories.fingerprint import Fingerprint
from bot.stories.index import CLUSTER_HORIZON, INDEX_HORIZON, UNBOUNDED, AssignLimits, StoryIndex
from bot.stories.score import ClusterConfig
from bot.stories.signatures import Signature
from bot.stories.summary import Member, StorySummary, naive_utc
from storage import stories as store
from storage.bulk import insert_rows
from storage.tables import ItemRow, ItemSignature, Story, StoryItem

# ``StoryIndex`` and its limits lived here before ``bot.stories.index``; importers of this module keep them.
__all__ = [
    "CLUSTER_HORIZON",
    "INDEX_HORIZON",
    "UNBOUNDED",
    "AssignLimits",
    "Assigner",
    "Assignment",
    "StoryIndex",
    "Verdict",
    "refresh_story",
]

_NEAR_IDS = 50  # near-duplicate hits looked at per item (best first)


class _Entity(Protocol):
    @property
    def id(self) -> str: ...


class Verdict(Protocol):
    """What assignment reads of an item's verdict (``bot.match.Classification``): its entities; and its
    ``score``, ``severity`` and ``topics`` when it has them (read with defaults: a benchmark's stand-in
    carries entities only)."""

    @property
    def entities(self) -> Sequence[_Entity]: ...


@dataclass(frozen=True)
class Assignment:
    story_id: int
    new_story: bool
    reason: str


def _member(row: ItemRow, match: Verdict, authority: bool) -> Member:
    if row.id is None:
        raise ValueError("an item is stored before it joins a story")
    return Member(
        item_id=row.id,
        published=row.published,
        language=row.language,
        feed_id=row.feed_id,
        authority=authority,
        score=getattr(match, "score", None),
        severity=getattr(match, "severity", None),
        topics=tuple(getattr(match, "topics", ()) or ()),
    )


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
        # Feeds flooding now (set by bot.ingest): their members are no fingerprint evidence (cluster.decide).
        self.flooding: frozenset[str] = frozenset()
        self._locked = not store.needs_assignment_lock(s)
        self._stories: dict[int, StorySummary] = {}  # summaries this transaction read or made
        self._changed: dict[int, datetime] = {}  # story id → when it changed (its ``updated_at``), to write
        self._signatures: list[dict[str, Any]] = []
        self._links: list[dict[str, Any]] = []
        self._by_hash: dict[str, int] = {}
        self._by_url: dict[str, int] = {}
        self._hashes_loaded: set[str] = set()
        self._urls_loaded: set[str] = set()
        self._deferred: dict[Table, list[dict[str, Any]]] = {}  # table → rows, in first-deferred order

    # -- batch reads --------------------------------------------------------------------------------
    def prefetch_copies(self, hashes: Sequence[str], urls: Sequence[str]) -> None:
        """Load which stories hold items with these text hashes or canonical URLs, in one query per 500 keys
        (a batch's relevant items); ``assign`` then finds exact copies in memory, learning this batch's links
        as it makes them. Rows with keys not loaded here are looked up with SQL."""
        hashes = sorted(set(hashes) - self._hashes_loaded)
        urls = sorted(set(urls) - self._urls_loaded)
        self._flush_writes()
        by_hash, by_url = store.copies_stories(self.s, hashes, urls)
        for content_hash, story_id in by_hash.items():
            self._by_hash.setdefault(content_hash, story_id)
        for url, story_id in by_url.items():
            self._by_url.setdefault(url, story_id)
        self._hashes_loaded.update(hashes)
        self._urls_loaded.update(urls)

    def _exact_copy(self, row: ItemRow) -> int | None:
        loaded = row.content_hash in self._hashes_loaded and (
            not row.canonical_url or row.canonical_url in self._urls_loaded
        )
        if not loaded:
            self._flush_writes()
            return store.exact_copy_story(self.s, row.id or 0, row.content_hash, row.canonical_url)
        found = self._by_hash.get(row.content_hash)
        if found is None and row.canonical_url:
            found = self._by_url.get(row.canonical_url)
        return found

    def defer(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` into ``table`` with this batch's other writes (one statement per table)."""
        if rows:
            self._deferred.setdefault(table, []).extend(rows)

    def _summary(self, story_id: int) -> StorySummary | None:
        st = self._stories.get(story_id)
        if st is None:
            found = store.story_summary(self.s, story_id)
            if found is None:
                return None
            st = self._stories[story_id] = StorySummary(*found[1:])
        return st

    # -- the decision -------------------------------------------------------------------------------
    def assign(
        self,
        row: ItemRow,
        match: Verdict,
        *,
        authority: bool,
        sig: Signature,
        fp: Fingerprint,
    ) -> Assignment:
        """Put ``row`` (stored, relevant, matched) into a story. ``sig``/``fp``: its body's signature and
        fingerprint, computed by the analysis (``bot.analyze``), off this thread."""
        member = _member(row, match, authority)
        s, index, now = self.s, self.index, self.now
        if not self._locked:
            store.lock_assignments(s)
            self._locked = True
        with index.lock:
            if not index.synced_in(s):
                index.sync(s, now)
            feats = ItemFeatures(
                key=member.item_id,
                published=row.published,
                lang=row.language,
                entities=_entity_ids(match.entities),
                fingerprint=fp,
                informative=sig.informative,
                authority=authority,
                source=row.feed_id,
            )
            self._signatures.append(
                {
                    "item_id": member.item_id,
                    "published": row.published,
                    "signature": sig.to_bytes(),
                    "fingerprint": " ".join(sorted(fp.tokens)),
                    "entities": " ".join(sorted(feats.entities)),
                    "informative": sig.informative,
                    "authority": authority,
                }
            )
            story_id, reason = self._choose(row, feats, sig)
            current = self._summary(story_id) if story_id is not None else None
            if story_id is not None and current is None:  # deleted meanwhile (retention): the cache was stale
                index.stories.pop(story_id, None)
                reason = "new story: the chosen story no longer exists"
            if story_id is None or current is None:
                story_id = self._new_story(member)
            else:
                self._grow(story_id, current, member)
            self._links.append(
                {"item_id": member.item_id, "story_id": story_id, "joined_at": now, "reason": reason[:500]}
            )
            self._by_hash.setdefault(row.content_hash, story_id)
            if row.canonical_url:
                self._by_url.setdefault(row.canonical_url, story_id)
            index.add_signature(member.item_id, sig, story_id, row.published or now)
            index.learn(story_id, feats)
        return Assignment(story_id, current is None, reason)

    def _choose(self, row: ItemRow, feats: ItemFeatures, sig: Signature) -> tuple[int | None, str]:
        """The story the item joins (None: a new one) and why: an exact copy's, a twin's, or ``decide``'s."""
        story_id = self._exact_copy(row)
        if story_id is not None:
            return story_id, "exact copy (same URL or text)"
        if self.index.limits.twins:
            story_id, reason = self._twin(feats, sig)
            if story_id is not None:
                return story_id, reason
        return self._decide(feats, sig)

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
            or abs(naive_utc(feats.published) - story.first) > self.cfg.window
        ):
            return None, ""
        index.counts["twins"] += 1
        return sid, f"identical text signature and features as {twin}"

    def _decide(self, feats: ItemFeatures, sig: Signature) -> tuple[int | None, str]:
        index, cfg = self.index, self.cfg
        before = index.index.rows_verified
        near = index.index.query_signature(sig, per_group=index.limits.hits_per_story) if sig.informative else []
        index.counts["lsh_rows"] += index.index.rows_verified - before
        near_ids = [int(n.key) for n in near if n.key != feats.key][:_NEAR_IDS]  # type: ignore[call-overload]
        weights = index.weights()
        if feats.published is not None and index.covers(feats.published, self.now, cfg.window):
            candidates = self._live_candidates(feats, near_ids, weights)
        else:
            candidates = self._late_candidates(feats, near_ids, weights)
        index.counts["near_hits"] += len(near)
        index.counts["candidates"] += len(candidates)
        index.counts["members"] += sum(len(c.members) for c in candidates)
        decision = decide(
            feats,
            candidates,
            near,
            weights=weights,
            config=cfg,
            prepared=index.prepared,
            counts=index.counts,
            flooding=self.flooding,
        )
        story_id = int(decision.story_id) if decision.story_id is not None else None  # type: ignore[call-overload]
        return story_id, decision.reason

    def _live_candidates(self, feats: ItemFeatures, near_ids: list[int], weights: FieldWeights) -> list[StoryCandidate]:
        """Candidates from the index; near-duplicates older than it bring their stories from the database."""
        candidates, unknown = self.index.candidates(feats, near_ids, weights, self.cfg)
        if unknown:
            self._flush_writes()
            have = {int(c.story_id) for c in candidates}  # type: ignore[call-overload]
            extra = store.stories_of_items(self.s, unknown) - have
            candidates += load_candidates(self.s, extra, self.cfg.max_members)
        return candidates

    def _late_candidates(self, feats: ItemFeatures, near_ids: list[int], weights: FieldWeights) -> list[StoryCandidate]:
        """An item older than the index reaches: its candidates from the database (``bot.stories.backlog``)."""
        s, cfg = self.s, self.cfg
        self._flush_writes()
        ids = entity_stories(s, feats.entities, feats.published or self.now, cfg.window)
        if near_ids:
            ids |= store.stories_of_items(s, near_ids)
        candidates = load_candidates(s, ids, cfg.max_members)
        if feats.published is not None:  # and what the live path would find by day, amount or concept
            have = {int(c.story_id) for c in candidates}  # type: ignore[call-overload]
            found = window_candidates(s, feats, weights, cfg)
            candidates += [c for c in found if c.story_id not in have]
        return candidates

    def _new_story(self, member: Member) -> int:
        summary = StorySummary.start(member)
        values = {"created_at": self.now, "updated_at": self.now, **summary.columns()}
        story_id = store.insert_story(self.s, values)
        self._stories[story_id] = summary
        return story_id

    def _grow(self, story_id: int, summary: StorySummary, member: Member) -> None:
        """The summary columns after one more member, without re-reading the members (``refresh_story``
        does); what the summary rule needs of the story is read once per transaction, and its count of
        sources, which nothing reads before the commit, is counted at ``flush`` for all grown stories at once."""
        if member.authority and not summary.authority_known:
            held = summary.authority_item_id
            summary.authority_published = store.item_published(self.s, held) if held else None
            summary.authority_known = True
        summary.add(member)
        self._changed[story_id] = self.now

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
            insert_rows(self.s, table, rows)

    def flush(self) -> None:
        """Write what this batch decided: deferred rows, signatures, links, changed stories' summaries."""
        self._flush_writes()
        changed = [(sid, at) for sid, at in self._changed.items() if sid in self._stories]
        self._changed = {}
        uncounted = [sid for sid, _ in changed if self._stories[sid].feeds is None]
        if uncounted:  # after the links: the count includes this batch's members
            for sid, n in store.source_counts(self.s, uncounted).items():
                self._stories[sid].source_count = n
        if changed:
            rows = [{"story_id": sid, **self._stories[sid].columns(), "updated_at": at} for sid, at in changed]
            store.update_summaries(self.s, rows)

    def forget(self, story_id: int) -> None:
        """Drop what this batch knows of a story that someone else rewrote (``refresh_story``)."""
        self._stories.pop(story_id, None)
        self._changed.pop(story_id, None)


def refresh_story(s: Session, story_id: int, now: datetime) -> Story:
    """Recompute a story's summary columns from its members (``StorySummary.of``).

    Used when a member changes (a correction); ``Assigner`` updates the columns incrementally.
    """
    story = store.load_story(s, story_id)
    members = [
        Member(
            item_id=r.item_id,
            published=r.published,
            language=r.language,
            feed_id=r.feed_id,
            authority=bool(r.authority),
            score=r.score,
            severity=r.severity,
            topics=tuple((r.topics or "").split()),
        )
        for r in store.member_verdicts(s, story_id)
    ]
    previous = StorySummary(*(getattr(story, c) for c in store.SUMMARY_COLUMNS))
    for column, value in StorySummary.of(members, previous).columns().items():
        setattr(story, column, value)
    story.updated_at = now
    s.add(story)
    return story


def _entity_ids(hits: Any) -> frozenset[str]:
    """A verdict's entity ids; a parse worker's verdict carries them beside its hits' stored JSON
    (``bot.match.classify.StoredHits``, which this layer does not import), so the hits stay unread."""
    ids = getattr(hits, "ids", None)
    return frozenset(ids if ids is not None else (h.id for h in hits))
