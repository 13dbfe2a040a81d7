"""Store what polls found, match what is new, and pick what deserves an alert.

Synchronous on purpose: the pipeline runs it in a worker thread, so SQL never blocks the event loop. The
unit of work is a ``StoreJob`` (one feed's poll); ``store_jobs`` writes many of them in one transaction —
SQLite has one writer, and a commit, a cache sync and a story's summary update per feed cost more than the
rows themselves. A batch that fails is retried one feed per transaction, so one feed's bad data costs that
feed only.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import FeedsFile
from bot.deliver.alertable import Alertable
from bot.deliver.caps import (
    FLOOD_YIELD,
    AlertCaps,
    Flood,
    Folds,
    alerts_this_hour,
    flood_check,
    flooding_feeds,
    folded_rows,
    notify_flood,
    priority,
    record_folded,
    unfold,
)
from bot.fetch.pacing import Ask, Pacing
from bot.normalize import Item
from bot.stories.assign import Assigner, refresh_story
from bot.stories.index import StoryIndex
from storage import repositories as repo
from storage import subscriptions as subs
from storage.db import session
from storage.tables import Match, MatchEntity, MatchTopic, StoryItem, stored_id

if TYPE_CHECKING:
    from bot.match import Classification
    from bot.stories.fingerprint import Fingerprint
    from bot.stories.neardup import Signature

log = logging.getLogger("raqib.ingest")


@dataclass
class StoredBatch:
    new: int = 0
    updated: int = 0
    relevant: int = 0
    alerts: list[Alertable] = field(default_factory=list)
    new_stories: int = 0
    grown_stories: set[int] = field(default_factory=set)  # existing stories that gained or changed a member
    flood: Flood | None = None  # far more new items than the feed's history (flagged to the operators)
    copies: list[Alertable] = field(default_factory=list)  # fresh items that joined an existing story
    # Fresh new items the matcher judged off-topic: they reach only chats that watch a term they contain.
    watched: list[Alertable] = field(default_factory=list)


@dataclass(frozen=True)
class PollMark:
    """A successful poll's feed state (``repo.mark_polled_many``), written in the transaction of its items."""

    interval: float
    etag: str | None
    last_modified: str | None
    new_url: str | None = None
    title: str | None = None
    pacing: Pacing | None = None  # the interval's reason, when the feed asked for a pace
    document_ask: Ask | None = None  # the document's own ask (kept for polls answered 304)


@dataclass
class StoreJob:
    """One feed's poll, as the writer stores it. ``features``/``canonical`` are optional precomputations
    (identity → (signature, fingerprint) of relevant items; identity → canonical URL) from the CPU stage."""

    feed_id: str
    now: datetime
    items: Sequence[Item] = ()
    verdicts: Mapping[str, Classification] = field(default_factory=dict)
    first_poll: bool = False
    authority: bool = False
    features: Mapping[str, tuple[Signature, Fingerprint]] = field(default_factory=dict)
    canonical: Mapping[str, str | None] | None = None
    polled: PollMark | None = None


@dataclass(slots=True)
class NewRow:
    """The columns of an ``ItemRow`` without the ORM object (``repo.store_items`` sets ``id``)."""

    feed_id: str
    identity: str
    guid: str | None
    url: str | None
    canonical_url: str | None
    source_url: str | None
    source_name: str | None
    title: str
    summary: str
    content: str
    language: str
    published: datetime
    fetched: datetime
    content_hash: str
    updated_at: datetime | None = None
    pruned_at: datetime | None = None
    id: int | None = None


def canonical_url(url: str | None, source_href: str | None) -> str | None:
    from bot.stories.urls import publisher_url

    return publisher_url(url, source_href)


def to_row(item: Item, canonical: Mapping[str, str | None] | None = None) -> NewRow:
    return NewRow(
        feed_id=item.feed_id,
        identity=item.identity,
        guid=item.guid,
        url=item.url,
        canonical_url=canonical[item.identity]
        if canonical is not None and item.identity in canonical
        else canonical_url(item.url, item.source_url),
        source_url=item.source_url,
        source_name=item.source_name,
        title=item.title,
        summary=item.summary,
        content=item.content,
        language=item.language,
        published=item.published,
        fetched=item.fetched,
        content_hash=item.content_hash,
    )


Classifier = Callable[[str, str, str | None], "Classification"]


def _match_values(row: Any, c: Classification, now: datetime) -> dict[str, object]:
    entities = [
        {"id": e.id, "kind": e.kind, "text": e.text, "start": e.start, "end": e.end, "field": e.field}
        for e in c.entities
    ]
    return {
        "item_id": row.id,
        "relevant": c.relevant,
        "score": round(float(c.score), 4),
        "severity": c.severity,
        "topics": " ".join(c.topics),
        "entities": json.dumps(entities, ensure_ascii=False),
        "reasons": json.dumps(list(c.reasons), ensure_ascii=False),
        "matched_at": now,
    }


def save_matches(
    s: Session, verdicts: Sequence[tuple[Any, Classification]], now: datetime, assigner: Assigner | None = None
) -> None:
    """Store verdicts on new items in bulk: the match row, and topic/entity rows for relevant ones (with
    the batch's other writes when an ``assigner`` collects them)."""
    matches, topics, entities = [], [], []
    for row, c in verdicts:
        matches.append(_match_values(row, c, now))
        if c.relevant:
            topics += [{"item_id": row.id, "topic": t, "published": row.published} for t in dict.fromkeys(c.topics)]
            ids = dict.fromkeys(e.id for e in c.entities)
            entities += [{"item_id": row.id, "entity": e, "published": row.published} for e in ids]
    for model, values in ((Match, matches), (MatchTopic, topics), (MatchEntity, entities)):
        # SQLAlchemy's declarative base sets __table__ on each model class; sqlmodel's stubs do not declare it
        table = model.__table__  # type: ignore[union-attr]
        if assigner is not None:
            assigner.defer(table, values)
        elif values:  # Core inserts: the ORM's bulk path costs more than the statement for write-only rows
            s.execute(insert(table), values)


def replace_match(s: Session, row: Any, c: Classification, now: datetime) -> None:
    """A corrected item is matched again: its old verdict goes."""
    for table in (MatchTopic, MatchEntity, Match):
        s.execute(delete(table).where(table.item_id == row.id))
    save_matches(s, [(row, c)], now)


def store_jobs(
    engine: Engine, jobs: Sequence[StoreJob], *, config: FeedsFile, story_index: StoryIndex | None = None
) -> list[StoredBatch | Exception]:
    """Store ``jobs`` in one transaction, in order; each job's result or the exception that failed it.

    When the batch fails, each job is tried again in a transaction of its own: the failure stays with
    the feed that caused it, and the others are stored.
    """
    index = story_index or StoryIndex()
    # Held for the whole transaction: assignments are serialized (see ``bot.stories.assign``).
    with index.lock:
        if len(jobs) > 1:
            try:
                return list(_transaction(engine, jobs, config, index))
            except Exception:
                log.warning("storing a batch of %d feeds failed; storing them one by one", len(jobs), exc_info=True)
        out: list[StoredBatch | Exception] = []
        for job in jobs:
            try:
                out += _transaction(engine, [job], config, index)
            except Exception as exc:
                out.append(exc)
        return out


def _transaction(engine: Engine, jobs: Sequence[StoreJob], config: FeedsFile, index: StoryIndex) -> list[StoredBatch]:
    with session(engine) as s:
        try:
            assigner = Assigner(s, index, jobs[0].now)
            assigner.flooding = flooding_feeds(s, jobs[0].now)
            _prefetch_copies(assigner, jobs)
            outbox = _Outbox(s, AlertCaps.from_settings(config.settings))
            polled: list[repo.PolledFeed] = []
            # Story decisions follow publication, not the order feeds answered in (see bot.stories.assign).
            done = {i: _store_job(s, jobs[i], assigner, outbox, config, polled) for i in _publication_order(jobs)}
            out = [done[i] for i in range(len(jobs))]
            assigner.flush()
            repo.mark_polled_many(s, polled)
            outbox.mark_changed(jobs[-1].now)
            outbox.write_summaries(jobs[-1].now)
            s.commit()
            return out
        except BaseException:
            s.rollback()  # explicitly: the story cache listens for it and reloads
            raise


def _publication_order(jobs: Sequence[StoreJob]) -> list[int]:
    """Positions of ``jobs`` by their earliest item's published time, then feed id: a batch's stories do not
    depend on which feed answered first."""

    def key(i: int) -> tuple[datetime, str]:
        times = [_naive_utc(it.published) for it in jobs[i].items if it.published is not None]
        return (min(times) if times else _naive_utc(jobs[i].now), jobs[i].feed_id)

    return sorted(range(len(jobs)), key=key)


def _naive_utc(t: datetime) -> datetime:
    return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)


def _prefetch_copies(assigner: Assigner, jobs: Sequence[StoreJob]) -> None:
    """Exact-copy lookups for every relevant item of the batch in one query (most items are new)."""
    hashes, urls = [], []
    for job in jobs:
        for i in job.items:
            if job.verdicts[i.identity].relevant:
                hashes.append(i.content_hash)
                url = job.canonical.get(i.identity) if job.canonical is not None else None
                urls.append(url if url is not None else canonical_url(i.url, i.source_url))
    if hashes:
        assigner.prefetch_copies(hashes, [u for u in urls if u])


def _store_job(
    s: Session,
    job: StoreJob,
    assigner: Assigner,
    outbox: _Outbox,
    config: FeedsFile,
    polled: list[repo.PolledFeed],
) -> StoredBatch:
    batch = StoredBatch()
    now = assigner.now = job.now
    # Entity weights follow the stories stored so far, feed by feed, as when each feed had its own transaction.
    assigner.index.refresh_weights()
    if job.items:
        verdict = job.verdicts
        by_identity = {i.identity: i for i in job.items}
        oldest_alert = now - timedelta(seconds=config.settings.max_item_age)
        result = repo.store_items(s, job.feed_id, (to_row(i, job.canonical) for i in job.items))
        batch.new, batch.updated = len(result.new), len(result.updated)
        if not job.first_poll:
            # Before the stories: a flooding feed's items are no fingerprint evidence (bot.stories.cluster).
            batch.flood = _flag_flood(s, job, batch.new, config)
            if batch.flood is not None:
                assigner.flooding = assigner.flooding | {job.feed_id}
        save_matches(s, [(row, verdict[row.identity]) for row in result.new], now, assigner)
        if result.updated:
            assigner.flush()  # the links and summaries read below include this batch's
        for row in result.updated:
            c = verdict[row.identity]
            replace_match(s, row, c, now)
            linked = s.get(StoryItem, row.id)
            if linked is not None:
                # A correction: the story shows the new text; never a second alert.
                assigner.flush()
                refresh_story(s, linked.story_id, now)
                assigner.forget(linked.story_id)
                batch.grown_stories.add(linked.story_id)
            elif c.relevant:
                # Became relevant (a placeholder headline corrected in place): it joins a story (which then
                # shows it, quietly), or starts one and is alerted once as a new story, under the rules of new
                # items. Once in a story, later corrections take the branch above: never a second alert.
                assignment = assigner.assign(row, c, authority=job.authority)
                if not assignment.new_story:
                    batch.grown_stories.add(assignment.story_id)
                else:
                    batch.new_stories += 1
                    if not job.first_poll and row.published >= oldest_alert and row.identity in by_identity:
                        batch.alerts.append(
                            Alertable(stored_id(row), by_identity[row.identity], c, assignment.story_id)
                        )
            batch.relevant += c.relevant
        # oldest first (feeds list newest first): a story's first item is its earliest
        relevant = sorted(
            (row for row in result.new if verdict[row.identity].relevant),
            key=lambda row: (_naive_utc(row.published), row.identity),
        )
        for row in relevant:
            c = verdict[row.identity]
            batch.relevant += 1
            sig, fp = job.features.get(row.identity, (None, None))
            assignment = assigner.assign(row, c, authority=job.authority, sig=sig, fp=fp)
            if not assignment.new_story:
                batch.grown_stories.add(assignment.story_id)
                if not job.first_poll and row.published >= oldest_alert:  # may reach chats it was folded for
                    batch.copies.append(Alertable(stored_id(row), by_identity[row.identity], c, assignment.story_id))
                continue
            batch.new_stories += 1
            # A feed's first poll is its backlog, and old news is not news: store, never alert.
            if not job.first_poll and row.published >= oldest_alert:
                batch.alerts.append(Alertable(stored_id(row), by_identity[row.identity], c, assignment.story_id))
        if not job.first_poll:
            # Off-topic, but a chat may watch a word in it (``/watch``): routed by the outbox against watch terms
            # only, never stored as a story (so never in /latest, digests or trends).
            batch.watched = [
                Alertable(row.id, by_identity[row.identity], verdict[row.identity])
                for row in result.new
                if not verdict[row.identity].relevant and row.published >= oldest_alert and row.id is not None
            ]
        outbox.enqueue(batch, now, job.feed_id, (job.polled.title if job.polled else None) or job.feed_id)
    if job.polled is not None:  # written with the batch, in one statement
        p = job.polled
        ask, doc = (p.pacing.ask if p.pacing else None), p.document_ask
        polled.append(
            repo.PolledFeed(
                job.feed_id,
                now,
                p.interval,
                p.etag,
                p.last_modified,
                p.new_url,
                p.title,
                paced_by=ask.source if ask else None,
                paced_asks=ask.seconds if ask else None,
                document_asks=doc.seconds if doc else None,
                document_asks_by=doc.source if doc else None,
            )
        )
    return batch


def _flag_flood(s: Session, job: StoreJob, new: int, config: FeedsFile) -> Flood | None:
    """A poll with far more new items than the feed's history: logged and told to the operators."""
    flood = flood_check(s, job.feed_id, new, AlertCaps.from_settings(config.settings), job.now)
    if flood is None:
        return None
    log.warning("feed %s floods: %s", job.feed_id, flood.reason)
    if config.settings.admin_chats:  # in each operator chat's language (bot.deliver.caps.notify_flood)
        notify_flood(
            s, config.settings.admin_chats, job.feed_id, flood, cap=config.settings.alerts_per_feed_poll, now=job.now
        )
    return flood


def _watch_key(alert: Alertable) -> str:
    """The outbox key of an off-topic item's alert: its article's canonical URL when it has one, so the outlet's
    own feed and a news search linking to the same article alert a chat once; else the item."""
    url = canonical_url(alert.item.url, alert.item.source_url)
    if url:
        return "watch:url:" + hashlib.sha256(url.encode()).hexdigest()[:40]
    return f"watch:{alert.item_id}"


class _Outbox:
    """The outbox rows are written in the transaction that decided the alerts: none is lost in between.

    Alert caps (``bot.deliver.caps``): per chat, one feed's poll alerts at most ``per_feed_poll`` stories (the
    most important first) and a chat at most ``per_chat_hour`` an hour; the stories beyond are folded into one
    summary per chat, written at the end of the transaction."""

    def __init__(self, s: Session, caps: AlertCaps | None = None) -> None:
        self.s = s
        self.caps = caps or AlertCaps()
        self._subscriptions: list[Any] | None = None
        self._changed: set[int] = set()
        self._hour: dict[int, int] = {}  # alerts queued per chat in the last hour, counted on as we queue
        self._poll: dict[tuple[int, str], int] = {}  # alerts queued per (chat, feed) in this transaction
        self._folds = Folds()

    def _active(self) -> list[Any]:
        if self._subscriptions is None:  # read once per transaction
            self._subscriptions = subs.list_subscriptions(self.s, active_only=True)
        return self._subscriptions

    def _count_hour(self, chats: set[int], now: datetime) -> None:
        chats = chats - self._hour.keys()
        if chats:
            self._hour.update(alerts_this_hour(self.s, chats, now))

    def enqueue(self, batch: StoredBatch, now: datetime, feed_id: str = "", feed_name: str = "") -> None:
        # A feed that keeps flooding alerts nothing more: its stories go to the summary (caps.py).
        silenced = batch.flood is not None and batch.flood.repeated
        # A flood's alerts yield to calm feeds' alerts of the same cycle: ordered after them by the dispatcher,
        # still sent at once (a row never tried is claimed before its time).
        due = now + FLOOD_YIELD if batch.flood is not None else None
        if batch.alerts:
            # here, not at the top: routing imports the matcher (a poll that alerts nothing never routes)
            from bot.deliver.route import StoryFacts, route_why

            routed = []
            for alert in sorted(batch.alerts, key=priority):
                c, item = alert.match, alert.item
                # the severity is known here: a chat's minimum is applied before its alert caps count the story
                facts = StoryFacts(
                    frozenset(c.topics), item.language, float(c.score), f"{item.title}\n{item.text}", c.severity
                )
                routed.append((alert, route_why(self._active(), facts)))
            self._count_hour({sid for _, wanted in routed for sid, _ in wanted}, now)
            for alert, wanted in routed:
                send = [(sid, term) for sid, term in wanted if not silenced and self._take(sid, feed_id)]
                # A chat that got the story only through a watched term is told which (the row's payload).
                for term in dict.fromkeys(term for _, term in send):
                    subs.enqueue(
                        self.s,
                        [sid for sid, t in send if t == term],
                        story_id=alert.story_id,
                        key=f"story:{alert.story_id}",
                        kind="alert",
                        now=now,
                        payload=None if term is None else json.dumps({"watch": term}, ensure_ascii=False),
                        due=due,
                    )
                sent = {sid for sid, _ in send}
                folded = [sid for sid, _ in wanted if sid not in sent]
                for sid in folded:
                    self._folds.add(sid, feed_id, feed_name or feed_id)
                # Kept as "folded" rows: a fresh report of the story from another feed still reaches these chats.
                record_folded(self.s, folded, alert.story_id, feed_id, now)
        if batch.watched:
            self._enqueue_watched(batch.watched, now, feed_id, feed_name, silenced)
        if batch.copies and batch.flood is None:  # a flood's copies release nothing (caps.py)
            self._unfold(batch.copies, now, feed_id)
        if batch.flood is None:  # a flood's copies edit no sent alert: every poll would, in every chat
            self._changed |= batch.grown_stories

    def _enqueue_watched(
        self, items: list[Alertable], now: datetime, feed_id: str, feed_name: str, silenced: bool = False
    ) -> None:
        """Off-topic items to the chats that watch a term in them: one alert per chat and article (no story; see
        ``_watch_key``), under the same caps as stories, after the poll's stories."""
        from bot.deliver.route import WatchRoute

        watch = WatchRoute(self._active())
        if not watch:
            return  # the common case: no chat watches anything, and no item's text is normalized
        routed = [
            (a, watch(a.item.language, f"{a.item.title}\n{a.item.text}"))
            for a in sorted(items, key=lambda a: -a.item.published.timestamp())
        ]
        self._count_hour({sid for _, wanted in routed for sid, _ in wanted}, now)
        for alert, wanted in routed:
            for sid, term in wanted:
                if silenced or not self._take(sid, feed_id):
                    self._folds.add(sid, feed_id, feed_name or feed_id)
                    continue
                payload = json.dumps({"item": alert.item_id, "watch": term}, ensure_ascii=False)
                key = _watch_key(alert)
                if not subs.enqueue(self.s, [sid], story_id=None, key=key, kind="alert", now=now, payload=payload):
                    self._poll[(sid, feed_id)] -= 1  # the chat already had this article: nothing was queued
                    self._hour[sid] -= 1

    def _take(self, sid: int, feed_id: str) -> bool:
        """One alert for chat ``sid`` from this feed's poll, if the caps allow it (and then counted)."""
        key = (sid, feed_id)
        if self._poll.get(key, 0) >= self.caps.per_feed_poll or self._hour[sid] >= self.caps.per_chat_hour:
            return False
        self._poll[key] = self._poll.get(key, 0) + 1
        self._hour[sid] += 1
        return True

    def _unfold(self, copies: list[Alertable], now: datetime, feed_id: str) -> None:
        """Fresh copies that joined stories folded for some chats by another feed's flood: those chats get the
        story's alert now, under the same caps (a feed cannot squat on real news by flooding first)."""
        folded = folded_rows(self.s, {a.story_id for a in copies if a.story_id is not None}, feed_id)
        if not folded:
            return
        self._count_hour({sid for sid, _, _ in folded}, now)
        wanted = {(sid, story) for sid, story, _ in folded}
        ready = []
        for alert in sorted(copies, key=priority):
            for sid, story, row_id in folded:
                if story == alert.story_id and (sid, story) in wanted and self._take(sid, feed_id):
                    ready.append(row_id)
                    wanted.discard((sid, story))
        unfold(self.s, ready, now)

    def write_summaries(self, now: datetime) -> None:
        if self._folds:
            self._folds.write(self.s, now)

    def mark_changed(self, now: datetime) -> None:
        """Sent alerts of every story the transaction grew get edited (one statement for the batch)."""
        subs.mark_story_changed(self.s, sorted(self._changed), now)
