"""Store what polls found, match what is new, and pick what deserves an alert.

Synchronous on purpose: the pipeline runs it in a worker thread, so SQL never blocks the event loop. The
unit of work is a ``StoreJob`` (one feed's poll); ``store_jobs`` writes many of them in one transaction —
SQLite has one writer, and a commit, a cache sync and a story's summary update per feed cost more than the
rows themselves. A batch that fails is retried one feed per transaction, so one feed's bad data costs that
feed only.

A job brings its verdicts, story features and canonical URLs from the analysis (``bot.ingest.job``); nothing
here computes them again. The alerts' outbox rows are ``bot.ingest.outbox``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import FeedsFile
from bot.deliver.alertable import Alertable
from bot.deliver.caps import AlertCaps, Flood, flood_check, flooding_feeds, notify_flood
from bot.ingest.job import Classifier, NewRow, PollMark, StoredBatch, StoreJob, to_row
from bot.ingest.outbox import Outbox
from bot.stories.assign import Assigner, refresh_story
from bot.stories.index import StoryIndex
from bot.stories.summary import naive_utc
from storage.bulk import insert_rows
from storage.db import session
from storage.feeds import PolledFeed, mark_polled_many
from storage.items import store_items
from storage.tables import Match, MatchEntity, MatchTopic, StoryItem, stored_id

if TYPE_CHECKING:
    from bot.match import Classification

# The writer's data types live in ``bot.ingest.job``; callers still import them from here.
__all__ = [
    "Classifier",
    "NewRow",
    "PollMark",
    "StoreJob",
    "StoredBatch",
    "replace_match",
    "save_matches",
    "store_jobs",
    "to_row",
]

log = logging.getLogger("raqib.ingest")


def _match_values(row: Any, c: Classification, now: datetime) -> dict[str, object]:
    stored = getattr(c, "stored", None)
    if stored is None:  # a verdict made elsewhere than ``classify`` (a withheld item, a caller's own)
        from bot.match.classify import stored_json

        stored = stored_json(tuple(c.entities), tuple(c.reasons))
    entities, reasons = stored
    return {
        "item_id": row.id,
        "relevant": c.relevant,
        "score": round(float(c.score), 4),
        "severity": c.severity,
        "topics": " ".join(c.topics),
        "entities": entities,
        "reasons": reasons,
        "matched_at": now,
    }


def save_matches(
    s: Session, verdicts: Sequence[tuple[Any, Classification]], now: datetime, assigner: Assigner | None = None
) -> None:
    """Store verdicts on new items in bulk: the match row, and topic/entity rows for relevant ones (with
    the batch's other writes when an ``assigner`` collects them)."""
    from bot.match.classify import entity_ids  # not at import: the service's start needs no matcher

    matches, topics, entities = [], [], []
    for row, c in verdicts:
        matches.append(_match_values(row, c, now))
        if c.relevant:
            topics += [{"item_id": row.id, "topic": t, "published": row.published} for t in dict.fromkeys(c.topics)]
            ids = dict.fromkeys(entity_ids(c.entities))
            entities += [{"item_id": row.id, "entity": e, "published": row.published} for e in ids]
    for model, values in ((Match, matches), (MatchTopic, topics), (MatchEntity, entities)):
        # SQLAlchemy's declarative base sets __table__ on each model class; sqlmodel's stubs do not declare it
        table = model.__table__  # type: ignore[union-attr]
        if assigner is not None:
            assigner.defer(table, values)
        elif values:  # Core inserts: the ORM's bulk path costs more than the statement for write-only rows
            insert_rows(s, table, values)


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
    if not any(job.items for job in jobs):
        return _polled_only(engine, jobs)
    with session(engine) as s:
        try:
            assigner = Assigner(s, index, jobs[0].now)
            assigner.flooding = flooding_feeds(s, jobs[0].now)
            _prefetch_copies(assigner, jobs)
            outbox = Outbox(s, AlertCaps.from_settings(config.settings))
            polled: list[PolledFeed] = []
            # Story decisions follow publication, not the order feeds answered in (see bot.stories.assign).
            done = {i: _store_job(s, jobs[i], assigner, outbox, config, polled) for i in _publication_order(jobs)}
            out = [done[i] for i in range(len(jobs))]
            assigner.flush()
            mark_polled_many(s, polled)
            outbox.mark_changed(jobs[-1].now)
            outbox.write_summaries(jobs[-1].now)
            s.commit()
            return out
        except BaseException:
            s.rollback()  # explicitly: the story cache listens for it and reloads
            raise


def _polled_only(engine: Engine, jobs: Sequence[StoreJob]) -> list[StoredBatch]:
    """A batch of polls that found no items (a warm cycle's 304s): their feed state, and nothing of stories,
    floods or the outbox to prepare — one statement and the commit."""
    with session(engine) as s:
        try:
            mark_polled_many(s, [p for job in jobs if (p := _polled(job)) is not None])
            s.commit()
        except BaseException:
            s.rollback()
            raise
    return [StoredBatch() for _ in jobs]


def _publication_order(jobs: Sequence[StoreJob]) -> list[int]:
    """Positions of ``jobs`` by their earliest item's published time, then feed id: a batch's stories do not
    depend on which feed answered first."""

    def key(i: int) -> tuple[datetime, str]:
        times = [naive_utc(it.published) for it in jobs[i].items if it.published is not None]
        return (min(times) if times else naive_utc(jobs[i].now), jobs[i].feed_id)

    return sorted(range(len(jobs)), key=key)


def _prefetch_copies(assigner: Assigner, jobs: Sequence[StoreJob]) -> None:
    """Exact-copy lookups for every relevant item of the batch in one query (most items are new)."""
    hashes, urls = [], []
    for job in jobs:
        for i in job.items:
            if job.verdicts[i.identity].relevant:
                hashes.append(i.content_hash)
                url = job.canonical[i.identity]
                if url:
                    urls.append(url)
    if hashes:
        assigner.prefetch_copies(hashes, urls)


def _store_job(
    s: Session,
    job: StoreJob,
    assigner: Assigner,
    outbox: Outbox,
    config: FeedsFile,
    polled: list[PolledFeed],
) -> StoredBatch:
    batch = StoredBatch()
    now = assigner.now = job.now
    # Entity weights follow the stories stored so far, feed by feed, as when each feed had its own transaction.
    assigner.index.refresh_weights()
    if job.items:
        verdict = job.verdicts
        by_identity = {i.identity: i for i in job.items}
        oldest_alert = now - timedelta(seconds=config.settings.max_item_age)
        result = store_items(s, job.feed_id, (to_row(i, job.canonical) for i in job.items))
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
                sig, fp = job.features[row.identity]
                assignment = assigner.assign(row, c, authority=job.authority, sig=sig, fp=fp)
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
            key=lambda row: (naive_utc(row.published), row.identity),
        )
        for row in relevant:
            c = verdict[row.identity]
            batch.relevant += 1
            sig, fp = job.features[row.identity]  # the analysis's: never computed again under the writer lock
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
        feed_name = (job.polled.title if job.polled else None) or job.feed_id
        outbox.enqueue(batch, now, job.feed_id, feed_name, job.canonical)
    mark = _polled(job)
    if mark is not None:  # written with the batch, in one statement
        polled.append(mark)
    return batch


def _polled(job: StoreJob) -> PolledFeed | None:
    """The feed state a successful poll leaves (``storage.feeds.mark_polled_many``)."""
    p = job.polled
    if p is None:
        return None
    ask, doc = (p.pacing.ask if p.pacing else None), p.document_ask
    return PolledFeed(
        job.feed_id,
        job.now,
        p.interval,
        p.etag,
        p.last_modified,
        p.new_url,
        p.title,
        paced_by=ask.source if ask else None,
        paced_asks=ask.seconds if ask else None,
        document_asks=doc.seconds if doc else None,
        document_asks_by=doc.source if doc else None,
        lease_owner=p.lease_owner,
    )


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
