"""``store_jobs``: many feeds' polls in one transaction, against real SQLite (and PostgreSQL when set).

A batch must cluster exactly as one transaction per feed did, store each item once, write the feed's poll
state and the outbox with the items, and keep one feed's failure to that feed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.config import FeedsFile
from bot.ingest.job import PollMark, StoredBatch, StoreJob
from bot.ingest.store import store_jobs
from bot.normalize import Item
from bot.stories.assign import StoryIndex
from storage import subscriptions as subs
from storage.db import make_engine, session, upgrade
from storage.feeds import FeedSpec, sync_feeds
from storage.tables import Delivery, Feed, ItemRow, Story, StoryItem
from tests.fakes.store import analysed_job

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
CONFIG = FeedsFile()


@dataclass(frozen=True)
class Hit:
    id: str
    kind: str = "company"
    text: str = ""
    start: int = 0
    end: int = 0
    field: str = "title"


@dataclass(frozen=True)
class Verdict:
    relevant: bool
    entities: tuple[Hit, ...] = ()
    score: float = 0.8
    severity: str | None = "high"
    topics: tuple[str, ...] = ("export-controls",)
    reasons: tuple[str, ...] = ()


ENTITY_LIST = (
    "The Commerce Department added 17 companies to the Entity List on Thursday, citing the diversion of "
    "advanced accelerators and high-bandwidth memory through trading houses. The rule takes effect at once "
    "and requires a licence for every export to the listed firms, officials said in a statement."
)
H20 = (
    "Washington granted Nvidia licences to resume H20 sales to customers in China, subject to volume caps "
    "agreed with the Commerce Department. Shipments can begin next month, according to two people briefed "
    "on the decision, and the company declined to comment on the terms of the licences."
)
BUDGET = "The city council approved next year's budget after a long debate about road repairs and parks."


def item(feed: str, n: int, title: str, body: str, *, hours: float = 1.0, lang: str = "en") -> Item:
    t = NOW - timedelta(hours=hours)
    digest = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
    return Item(
        feed_id=feed, identity=f"{feed}-{n}", guid=f"{feed}-{n}", url=f"https://{feed}.example/{n}", title=title,
        summary=body, content="", language=lang, published=t, fetched=NOW, content_hash=digest,
    )  # fmt: skip


def verdict(i: Item) -> Verdict:
    if "Entity List" in i.title or "Entity List" in i.summary:
        return Verdict(True, (Hit("entity-list"), Hit("bis")), topics=("entity-list", "export-controls"))
    if "H20" in i.title:
        return Verdict(True, (Hit("nvidia"), Hit("h20")), topics=("ai-chips",))
    return Verdict(False, score=0.0, severity=None, topics=())


FEEDS = ("wire", "tech", "gulf", "local")


def polls(first_poll: bool) -> list[StoreJob]:
    """Four feeds: two events told by several of them (copies and rewrites), and local news."""
    by_feed = {
        "wire": [
            item("wire", 1, "US adds 17 firms to Entity List over chip diversion", ENTITY_LIST, hours=5),
            item("wire", 2, "Nvidia cleared to ship H20 to China under licences", H20, hours=3),
            item("wire", 3, "Council passes budget", BUDGET),
        ],
        "tech": [
            item(
                "tech", 1, "Commerce blacklists 17 companies: Entity List grows", ENTITY_LIST + " More soon.", hours=4
            ),
            item("tech", 2, "Nvidia gets US licences to resume H20 sales in China", H20, hours=2),
        ],
        "gulf": [item("gulf", 1, "Washington puts 17 firms on the Entity List", ENTITY_LIST, hours=2)],
        "local": [item("local", 1, "Budget approved", BUDGET), item("local", 2, "Parks get more money", BUDGET)],
    }
    return [
        analysed_job(
            feed,
            NOW,
            items,
            {i.identity: verdict(i) for i in items},
            first_poll=first_poll,
            polled=PollMark(600, f'"{feed}-etag"', None, title=f"{feed} news"),
        )
        for feed, items in by_feed.items()
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def engines(request: pytest.FixtureRequest) -> Iterator[Engine]:
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    engine: Engine = request.getfixturevalue(name)
    yield _prepare(engine)


def stories(engine: Engine) -> set[tuple[frozenset[str], int, int, str, str]]:
    """Each story as (its members' identities, member count, source count, languages, lead identity)."""
    with session(engine) as s:
        rows = s.exec(
            select(StoryItem.story_id, ItemRow.identity).join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
        ).all()
        members: dict[int, set[str]] = {}
        for sid, identity in rows:
            members.setdefault(sid, set()).add(identity)
        out = set()
        for sid, ids in members.items():
            st = s.get(Story, sid)
            assert st is not None
            lead = s.get(ItemRow, st.lead_item_id)
            assert lead is not None
            out.add((frozenset(ids), st.member_count, st.source_count, st.languages, lead.identity))
        return out


def ok(results: list[StoredBatch | Exception]) -> list[StoredBatch]:
    assert all(isinstance(r, StoredBatch) for r in results), results
    return results  # type: ignore[return-value]


def _prepare(engine: Engine) -> Engine:
    with session(engine) as s:
        sync_feeds(s, [FeedSpec(f, f"https://{f}.example/rss", "en") for f in FEEDS])
        subs.get_or_create(s, "console", "ops", now=NOW)
        s.commit()
    return engine


def test_one_batch_clusters_exactly_like_one_transaction_per_feed(sqlite_engine: Engine, tmp_path: Path) -> None:
    batched_db = _prepare(sqlite_engine)
    single_db = make_engine(f"sqlite:///{tmp_path / 'one-by-one.db'}")
    upgrade(single_db)
    _prepare(single_db)
    batched = ok(store_jobs(batched_db, polls(False), config=CONFIG, story_index=StoryIndex()))
    index = StoryIndex()
    single = [ok(store_jobs(single_db, [job], config=CONFIG, story_index=index))[0] for job in polls(False)]
    assert stories(batched_db) == stories(single_db)
    assert [(b.new, b.relevant, b.new_stories, len(b.alerts)) for b in batched] == [
        (b.new, b.relevant, b.new_stories, len(b.alerts)) for b in single
    ]
    single_db.dispose()


def test_batch_stores_items_once_clusters_and_writes_poll_state_and_outbox(engines: Engine) -> None:
    index = StoryIndex()
    results = ok(store_jobs(engines, polls(False), config=CONFIG, story_index=index))
    assert [r.new for r in results] == [3, 2, 1, 2]
    assert [r.new_stories for r in results] == [2, 0, 0, 0]  # two events; later feeds' copies join them
    assert sum(len(r.alerts) for r in results) == 2
    assert {frozenset(m[0]) for m in stories(engines)} == {
        frozenset({"wire-1", "tech-1", "gulf-1"}),
        frozenset({"wire-2", "tech-2"}),
    }
    with session(engines) as s:
        assert s.exec(select(func.count()).select_from(Delivery)).one() == 2  # committed with the items
        for f in FEEDS:
            feed = s.get(Feed, f)
            assert feed is not None and feed.polls == 1 and feed.etag == f'"{f}-etag"' and feed.title == f"{f} news"
    again = ok(store_jobs(engines, polls(False), config=CONFIG, story_index=index))
    assert sum(r.new for r in again) == 0 and sum(len(r.alerts) for r in again) == 0
    with session(engines) as s:
        assert s.exec(select(func.count()).select_from(ItemRow)).one() == 8


def test_first_poll_stores_backlog_without_alerting(engines: Engine) -> None:
    results = ok(store_jobs(engines, polls(True), config=CONFIG, story_index=StoryIndex()))
    assert sum(r.new_stories for r in results) == 2 and not any(r.alerts for r in results)
    with session(engines) as s:
        assert s.exec(select(func.count()).select_from(Delivery)).one() == 0


def test_one_feeds_failure_stays_with_that_feed(engines: Engine) -> None:
    index = StoryIndex()
    jobs = polls(False)
    wire, tech, gulf, local = jobs
    # a feed the database does not know: its items break a foreign key, so its transaction fails
    ghost_items = [item("ghost", 1, "Entity List grows by 17", ENTITY_LIST)]
    verdicts = {i.identity: verdict(i) for i in ghost_items}
    ghost = analysed_job("ghost", NOW, ghost_items, verdicts, polled=PollMark(60, None, None))
    results = store_jobs(engines, [wire, ghost, tech, local], config=CONFIG, story_index=index)
    assert isinstance(results[1], Exception)
    stored = ok([results[0], results[2], results[3]])
    assert [r.new for r in stored] == [3, 2, 2]
    # the rolled-back attempt taught the story cache ids that no longer exist: a later copy still
    # joins the story the committed retry made, not a ghost
    [later] = ok(store_jobs(engines, [gulf], config=CONFIG, story_index=index))
    assert later.new_stories == 0 and len(later.grown_stories) == 1
    assert {frozenset(m[0]) for m in stories(engines)} == {
        frozenset({"wire-1", "tech-1", "gulf-1"}),
        frozenset({"wire-2", "tech-2"}),
    }
    with session(engines) as s:
        assert s.exec(select(func.count()).select_from(ItemRow).where(ItemRow.feed_id == "ghost")).one() == 0


def test_a_job_without_what_the_analysis_computes_is_refused() -> None:
    """Verdicts, canonical URLs and the relevant items' story features are the analysis's (``bot.analyze``):
    the writer computes none of them, so a job that lacks one fails where it is built."""
    news, local = item("wire", 1, "Entity List grows", ENTITY_LIST), item("wire", 2, "Budget", BUDGET)
    verdicts = {i.identity: verdict(i) for i in (news, local)}
    full = analysed_job("wire", NOW, [news, local], verdicts)
    assert set(full.features) == {news.identity} and set(full.canonical) == {news.identity, local.identity}
    with pytest.raises(ValueError, match="story features"):
        StoreJob("wire", NOW, [news, local], verdicts, {}, full.canonical)
    with pytest.raises(ValueError, match="canonical URL"):
        StoreJob("wire", NOW, [news, local], verdicts, full.features, {news.identity: None})
    with pytest.raises(ValueError, match="verdict"):
        StoreJob("wire", NOW, [news, local], {news.identity: verdicts[news.identity]}, full.features, full.canonical)
    StoreJob("wire", NOW, [local], {local.identity: verdicts[local.identity]}, {}, {local.identity: None})


def test_a_batch_of_polls_without_items_is_one_update_and_its_commit(engines: Engine) -> None:
    """A warm cycle's 304s: the feeds' state in one statement, nothing of stories, floods or the outbox."""
    later = NOW + timedelta(minutes=10)
    jobs = [StoreJob.polled_only(f, later, PollMark(900, f'"{f}-2"', None)) for f in FEEDS]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engines, "before_cursor_execute", seen)
    try:
        results = ok(store_jobs(engines, jobs, config=CONFIG, story_index=StoryIndex()))
    finally:
        event.remove(engines, "before_cursor_execute", seen)
    assert [r.new for r in results] == [0] * len(FEEDS)
    assert statements == ["UPDATE"]
    with session(engines) as s:
        for f in FEEDS:
            feed = s.get(Feed, f)
            assert feed is not None and feed.etag == f'"{f}-2"' and feed.polls == 1
            assert feed.next_poll is not None and feed.next_poll - later == timedelta(seconds=900)
