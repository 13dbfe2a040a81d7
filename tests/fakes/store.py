"""Seeding a real store the way the pipeline does: items through ``bot.ingest.store_jobs``.

``store_new_items``, ``assign_story`` and the feed-state helpers below were product functions that only tests
and benchmarks called (issue 16); they live here now, built on what the product uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.analyze import canonical_urls, judge, story_features
from bot.config import FeedsFile
from bot.ingest.job import StoredBatch, StoreJob
from bot.ingest.store import store_jobs
from bot.normalize import Item
from storage.db import session
from storage.feeds import FeedSpec, PolledFeed, mark_polled_many, sync_feeds
from storage.tables import Feed

if TYPE_CHECKING:
    from bot.match import Classification
    from bot.stories.assign import Assignment, StoryIndex, Verdict
    from bot.stories.score import ClusterConfig
    from storage.tables import ItemRow

NOW = datetime.now(UTC).replace(microsecond=0)


def wire_item(n: int, title: str, body: str, lang: str = "en") -> Item:
    """Item ``n`` of the "wire" feed, published ``30 - n`` minutes ago."""
    return Item(
        feed_id="wire",
        identity=f"w{n}",
        guid=f"w{n}",
        url=f"https://wire.example/{n}",
        title=title,
        summary=body,
        content="",
        language=lang,
        published=NOW - timedelta(minutes=30 - n),
        fetched=NOW,
        content_hash=f"h{n}",
    )


def feed_item(
    feed: str, n: int, title: str, body: str | None = None, *, published: datetime, fetched: datetime, lang: str = "en"
) -> Item:
    """Item ``n`` of ``feed`` (``https://FEED.example/N``); the body defaults to the title."""
    return Item(
        feed_id=feed,
        identity=f"{feed}-{n}",
        guid=f"{feed}-{n}",
        url=f"https://{feed}.example/{n}",
        title=title,
        summary=title if body is None else body,
        content="",
        language=lang,
        published=published,
        fetched=fetched,
        content_hash=f"{feed}-{n}:{title}",
    )


def add_wire_feed(engine: Engine) -> None:
    with session(engine) as s:
        sync_feeds(s, [FeedSpec("wire", "https://wire.example/rss", "en", title="Example Wire")])


def ingest(engine: Engine, *items: Item, first_poll: bool = False) -> None:
    store_new_items(engine, "wire", list(items), first_poll=first_poll, now=NOW, config=FeedsFile())


def store_new_items(
    engine: Engine,
    feed_id: str,
    items: Sequence[Item],
    *,
    first_poll: bool,
    now: datetime,
    config: FeedsFile,
    classifier: Callable[[str, str, str | None], Classification] | None = None,
    verdicts: Mapping[str, Classification] | None = None,
    authority: bool = False,
    story_index: StoryIndex | None = None,
) -> StoredBatch:
    """One feed's items in their own transaction (``store_jobs`` with one job), judged as the pipeline judges
    them (``bot.analyze.judge``, with ``classifier``, default ``bot.match.classify``) unless ``verdicts`` are
    given; raises what the job raised."""
    job = analysed_job(feed_id, now, items, verdicts, classifier, first_poll=first_poll, authority=authority)
    [result] = store_jobs(engine, [job], config=config, story_index=story_index)
    if isinstance(result, BaseException):
        raise result
    return result


def analysed_job(
    feed_id: str,
    now: datetime,
    items: Sequence[Item],
    verdicts: Mapping[str, Classification] | None = None,
    classifier: Callable[[str, str, str | None], Classification] | None = None,
    **options: Any,
) -> StoreJob:
    """A ``StoreJob`` with what ``bot.analyze`` computes of ``items``: verdicts (``judge``, unless given), the
    relevant items' story features and every item's canonical URL. ``options``: ``StoreJob``'s own."""
    if verdicts is None:
        verdicts, features = judge(items, classifier=classifier)
    else:
        features = story_features([i for i in items if verdicts[i.identity].relevant])
    return StoreJob(feed_id, now, items, verdicts, features, canonical_urls(items), **options)


def mark_polled(
    s: Session,
    feed_id: str,
    *,
    now: datetime,
    interval: float,
    etag: str | None,
    last_modified: str | None,
    new_url: str | None = None,
    title: str | None = None,
) -> None:
    """A successful poll's feed state, committed: ``mark_polled_many`` with one feed, as the writer does."""
    mark_polled_many(s, [PolledFeed(feed_id, now, interval, etag, last_modified, new_url, title)])
    s.commit()


def record_success(
    s: Session,
    feed: Feed,
    *,
    now: datetime,
    interval: float,
    etag: str | None,
    last_modified: str | None,
    new_url: str | None = None,
    title: str | None = None,
) -> None:
    """``mark_polled`` for a loaded ``Feed`` object, which is refreshed afterwards."""
    mark_polled(
        s, feed.id, now=now, interval=interval, etag=etag, last_modified=last_modified, new_url=new_url, title=title
    )
    s.refresh(feed)


def features_of(row: Any) -> dict[str, Any]:
    """``sig``/``fp`` for ``Assigner.assign``: the story features the analysis computes for a stored row
    (``bot.analyze.story_features`` reads the same fields of an ``ItemRow`` as of an ``Item``)."""
    from bot.analyze import story_features

    sig, fp = story_features([row])[row.identity]
    return {"sig": sig, "fp": fp}


def assign_story(
    s: Session,
    row: ItemRow,
    match: Verdict,
    *,
    authority: bool,
    index: StoryIndex,
    now: datetime,
    config: ClusterConfig | None = None,
) -> Assignment:
    """Put one ``row`` (stored, relevant, matched) into a story: a batch of one through ``Assigner``, as
    ``bot.ingest`` runs it; returns which story and whether it is new."""
    from bot.stories.assign import Assigner

    assigner = Assigner(s, index, now, config)
    result = assigner.assign(row, match, authority=authority, **features_of(row))
    assigner.flush()
    return result
