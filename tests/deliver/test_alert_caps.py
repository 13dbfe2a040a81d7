"""Alert caps (issue 13, item 6): a feed republishing its archive cannot flood a chat.

Real loopback feed server, the real pipeline and store (SQLite and PostgreSQL), the real dispatcher with a
recording notifier. The classifier is a transparent keyword rule: "chip" in a title is relevant, "ban" makes
it critical.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.app import fetch_settings
from bot.config import Env, FeedsFile, parse_config
from bot.deliver.caps import SUMMARY, summary_text
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.deliver.model import AlertView, Reply
from bot.fetch import Fetcher
from bot.pipeline import Pipeline
from storage import subscriptions as subs
from storage.db import session
from storage.feeds import FeedSpec, get_feed, sync_feeds
from storage.queries import count_items
from storage.tables import Delivery, Story, Subscription
from tests.fakes.feedserver import FeedServer
from tests.fakes.feedserver import Reply as HTTPReply

NOW = datetime.now(UTC).replace(microsecond=0)
EVAL_DEV = Path(__file__).resolve().parents[2] / "eval" / "match" / "dev.jsonl"
WORDS = (
    "amber",
    "basalt",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "garnet",
    "harbor",
    "iris",
    "juniper",
    "kestrel",
    "lagoon",
    "maple",
    "nectar",
    "opal",
    "prairie",
    "quartz",
    "raven",
    "sierra",
    "tundra",
    "umber",
    "violet",
    "willow",
    "yarrow",
    "zephyr",
    "anvil",
    "beacon",
    "canyon",
    "dune",
    "estuary",
    "falcon",
    "glacier",
    "heron",
    "island",
    "jasper",
    "kelp",
    "lantern",
    "meadow",
    "nimbus",
    "orchid",
    "pebble",
    "quiver",
    "reef",
    "saffron",
    "thistle",
    "upland",
    "vale",
    "wharf",
)


def classifier(title: str, text: str, lang: str | None) -> SimpleNamespace:
    hit = "chip" in title.lower()
    return SimpleNamespace(
        relevant=hit,
        score=0.9 if hit else 0.0,
        severity=("critical" if "ban" in title.lower() else "normal") if hit else None,
        topics=("ai-chips",) if hit else (),
        entities=(),
        reasons=(),
        evidence=5.0 if hit else 0.0,
    )


def headlines(n: int, seed: int) -> list[str]:
    """Distinct headlines (each its own story)."""
    rng = random.Random(seed)
    return [f"Chip {' '.join(rng.sample(WORDS, 5))} {i}" for i in range(n)]


def rss(title: str, entries: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>https://archive.example/{g}</link><guid isPermaLink='false'>{g}</guid>"
        f"<description>{t}, reported at length.</description><pubDate>{format_datetime(NOW)}</pubDate></item>"
        for g, t in entries
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title>{body}</channel></rss>".encode()


class Recorder:
    platform = "test"

    def __init__(self) -> None:
        self.alerts: list[tuple[str, AlertView]] = []
        self.replies: list[tuple[str, Reply]] = []

    async def send_alert(self, target: str, alert: AlertView, *, language: str, timezone: str) -> str:
        self.alerts.append((target, alert))
        return f"m{len(self.alerts)}"

    async def edit_alert(self, target: str, message_id: str, alert: AlertView, *, language: str, timezone: str) -> None:
        pass

    async def send_reply(self, target: str, reply: Reply) -> str:
        self.replies.append((target, reply))
        return f"r{len(self.replies)}"


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer("127.0.0.1") as srv:
        yield srv


def subscribe(engine: Engine, *chats: tuple[str, str]) -> None:
    with session(engine) as s:
        for target, language in chats:
            sub = subs.get_or_create(s, "test", target, now=NOW, language=language)
            sub.interface_language = language
            s.add(sub)
        s.commit()


async def drain(dispatcher: Dispatcher) -> None:
    while await dispatcher.dispatch_once():
        pass


async def test_an_archive_flood_sends_a_few_alerts_and_one_summary_per_chat(engine: Engine, server: FeedServer) -> None:
    config = parse_config(
        "settings: {allow_private_addresses: true, retries: 0, admin_chats: ['console:ops']}\n"
        f"feeds:\n  - {{id: archive, url: '{server.url('/feed.xml')}', language: en}}\n"
    )
    with session(engine) as s:
        sync_feeds(s, [FeedSpec("archive", config.feeds[0].url, "en")])
    subscribe(engine, ("chat-en", "en"), ("chat-ar", "ar"))
    old = [(f"old{i}", t) for i, t in enumerate(headlines(3, seed=1))]
    server.route("/feed.xml", HTTPReply(body=rss("The Archive", old)))
    async with Fetcher(fetch_settings(config, Env())) as fetcher:
        pipeline = Pipeline(engine=engine, fetcher=fetcher, config=config, classifier=classifier)
        [first] = await pipeline.poll_once()  # quiet: the backlog
        assert first.new == 3
        flood = [(f"n{i}", t) for i, t in enumerate(headlines(120, seed=2))]
        flood[40] = ("n40", "Chip export ban widened")  # the most severe story, deep in the archive
        server.route("/feed.xml", HTTPReply(body=rss("The Archive", old + flood)))
        [second] = await pipeline.poll_once()
    assert (second.new, second.relevant) == (120, 120)
    assert second.new_stories == 120 and len(second.alerts) == 120, "every story is stored and deserved its alert"

    recorder, operators = Recorder(), Recorder()
    notifiers = {"test": recorder, "console": operators}
    dispatcher = Dispatcher(engine, notifiers, owner="w", settings=DispatchSettings(pace=False))
    await drain(dispatcher)
    for chat in ("chat-en", "chat-ar"):
        titles = [a.title for t, a in recorder.alerts if t == chat]
        assert len(titles) == 5, "alerts_per_feed_poll (default 5) per chat"
        assert titles[0] == "Chip export ban widened", "the most severe story goes first"
    summaries = {t: r.text for t, r in recorder.replies}
    assert summaries == {
        "chat-en": "…and 115 more stories from The Archive — see /latest or the digest.",
        "chat-ar": "…وقصص أخرى من The Archive (عددها 115) — تجدها عبر \u200e/latest\u200e أو في الملخص.",
    }
    [(_, notice)] = operators.replies
    assert "archive" in notice.text and "120 new items" in notice.text, "the flood is flagged to the operators"
    with session(engine) as s:
        assert count_items(s, "archive") == 123, "nothing is lost"
        assert len(s.exec(select(Story)).all()) == 123
        ops = subs.get_subscription(s, "console", "ops")
        assert ops is not None and ops.topics == "__operator__", "the operator chat gets no alerts of its own"


def test_summary_text_names_the_biggest_sources_first() -> None:
    payload = '{"feeds": [["a", "A", 2], ["b", "B", 9], ["c", "C", 1], ["d", "D", 4], ["e", "E", 1]]}'
    expected = "…and 17 more stories from B, D, A, 2 other sources — see /latest or the digest."
    assert summary_text(payload, "en") == expected
    assert summary_text("not json", "en").startswith("…and 0 more stories")


async def _ingest(
    engine: Engine,
    feed: str,
    titles: list[str],
    now: datetime,
    settings: dict[str, object],
    tag: str = "",
    texts: dict[str, str] | None = None,
) -> None:
    """Store ``titles`` as one poll of ``feed``; with ``texts`` (title → body), matched by the real matcher."""
    from bot.normalize import Item
    from tests.fakes.store import store_new_items

    items = [
        Item(
            feed_id=feed,
            identity=f"{feed}-{tag}{t}",
            guid=f"{feed}-{tag}{t}",
            url=f"https://{feed}.example/{tag}{i}-{abs(hash(t))}",
            title=t,
            summary=(texts or {}).get(t, t),
            content="",
            language="en",
            published=now - timedelta(minutes=1),
            fetched=now,
            content_hash=hashlib.sha256(f"{feed}{tag}{t}".encode()).hexdigest(),
        )
        for i, t in enumerate(titles)
    ]
    config = FeedsFile.model_validate({"settings": settings})
    chosen = None if texts is not None else classifier
    store_new_items(engine, feed, items, first_poll=False, now=now, config=config, classifier=chosen)


async def test_a_chat_gets_at_most_its_hourly_alerts_and_one_summary_an_hour(engine: Engine) -> None:
    settings = {"alerts_per_feed_poll": 3, "alerts_per_chat_hour": 4}
    with session(engine) as s:
        sync_feeds(s, [FeedSpec(f, f"https://{f}.example/rss", "en") for f in ("a", "b")])
    subscribe(engine, ("chat", "en"))
    clock = [NOW]
    recorder = Recorder()
    dispatcher = Dispatcher(
        engine, {"test": recorder}, owner="w", settings=DispatchSettings(pace=False), clock=lambda: clock[0]
    )
    await _ingest(engine, "a", headlines(3, seed=3), NOW, settings)
    await _ingest(engine, "b", headlines(3, seed=4), NOW, settings)  # one over the hour's four
    await _ingest(engine, "a", headlines(2, seed=5), NOW, settings)  # both folded, into the waiting summary
    await drain(dispatcher)
    assert len(recorder.alerts) == 4
    assert [r.text for _, r in recorder.replies] == ["…and 4 more stories from b, a — see /latest or the digest."]

    later = NOW + timedelta(minutes=10)
    await _ingest(engine, "b", headlines(2, seed=6), later, settings)  # still over the cap: a new summary, held
    clock[0] = later
    await drain(dispatcher)
    assert len(recorder.replies) == 1, "one summary an hour: the next waits"
    await _ingest(engine, "a", headlines(1, seed=7), later, settings)  # joins the held summary
    with session(engine) as s:
        [held] = s.exec(select(Delivery).where(Delivery.kind == SUMMARY, Delivery.status == "pending")).all()
        assert held.next_attempt > later
    clock[0] = NOW + timedelta(minutes=61)
    await drain(dispatcher)
    assert [r.text for _, r in recorder.replies][1] == "…and 3 more stories from b, a — see /latest or the digest."

    hour_later = NOW + timedelta(minutes=75)  # a new hour: alerts again
    await _ingest(engine, "a", headlines(1, seed=8), hour_later, settings)
    clock[0] = hour_later
    await drain(dispatcher)
    assert len(recorder.alerts) == 5
    with session(engine) as s:
        assert all(not sub.paused for sub in s.exec(select(Subscription)).all())
        assert count_items(s) == 12, "every folded story is stored"


async def test_a_folded_story_reported_fresh_by_another_feed_is_alerted_after_all(engine: Engine) -> None:
    """A flood cannot silence real news: a story folded into a summary is alerted when another feed reports it.

    The real matcher and story clustering here (copies must join their story): eight labeled relevant items."""
    rows = [json.loads(line) for line in EVAL_DEV.read_text(encoding="utf-8").splitlines()]
    picked = [r for r in rows if r["relevant"] and r["lang"] == "en"][:8]
    texts = {r["title"]: r["text"] for r in picked}
    stories = list(texts)
    settings = {"alerts_per_feed_poll": 3}
    with session(engine) as s:
        sync_feeds(s, [FeedSpec(f, f"https://{f}.example/rss", "en") for f in ("flood", "good")])
    subscribe(engine, ("chat", "en"))
    recorder = Recorder()
    dispatcher = Dispatcher(engine, {"test": recorder}, owner="w", settings=DispatchSettings(pace=False))
    await _ingest(engine, "flood", stories, NOW, settings, texts=texts)
    await drain(dispatcher)
    alerted = {a.story_id for _, a in recorder.alerts}
    assert len(alerted) == 3 and len(recorder.replies) == 1
    with session(engine) as s:
        lead = {r.story_id: r.title for r in _story_titles(s)}
    folded = [t for sid, t in lead.items() if sid not in alerted]
    assert len(folded) == 5

    await _ingest(engine, "flood", stories, NOW + timedelta(minutes=1), settings, tag="again", texts=texts)
    await drain(dispatcher)
    assert {a.story_id for _, a in recorder.alerts} == alerted, "the flooding feed's own copies unfold nothing"

    await _ingest(engine, "good", folded[:1], NOW + timedelta(minutes=2), settings, texts=texts)  # real news
    await drain(dispatcher)
    assert [a.title for _, a in recorder.alerts[3:]] == folded[:1], "the chat is alerted to the story now"
    await _ingest(engine, "good", folded[:1], NOW + timedelta(minutes=3), settings, tag="later", texts=texts)
    await drain(dispatcher)
    assert len(recorder.alerts) == 4, "once"


def _story_titles(s: Any) -> list[Any]:
    from storage.tables import ItemRow, StoryItem

    stmt = select(StoryItem.story_id, ItemRow.title).join(ItemRow, col(ItemRow.id) == col(StoryItem.item_id))
    return list(s.exec(stmt).all())


async def test_fresh_news_is_claimed_before_a_flood_of_edits_and_a_cycle_takes_a_few_rows_per_chat(
    engine: Engine,
) -> None:
    """Edits of growing stories never queue a chat's new alert behind them, and one chat's long queue never
    holds a dispatch cycle (with every other chat's next alert) for minutes."""
    rows = [json.loads(line) for line in EVAL_DEV.read_text(encoding="utf-8").splitlines()]
    picked = [r for r in rows if r["relevant"] and r["lang"] == "en"][:9]
    texts = {r["title"]: r["text"] for r in picked}
    first, fresh = list(texts)[:8], list(texts)[8:]
    settings = {"alerts_per_feed_poll": 100}
    with session(engine) as s:
        sync_feeds(s, [FeedSpec(f, f"https://{f}.example/rss", "en") for f in ("a", "b")])
    subscribe(engine, ("chat", "en"))
    recorder = Recorder()
    dispatcher = Dispatcher(
        engine,
        {"test": recorder},
        owner="w",
        settings=DispatchSettings(pace=False),
        clock=lambda: NOW + timedelta(minutes=5),
    )
    await _ingest(engine, "a", first, NOW, settings, texts=texts)
    await drain(dispatcher)
    stories = len({a.story_id for _, a in recorder.alerts})
    assert stories >= 6
    edits: list[str] = []
    recorder.edit_alert = lambda target, message_id, alert, **_: _note(edits, alert.title)  # type: ignore[method-assign]
    await _ingest(engine, "b", first, NOW + timedelta(minutes=1), settings, texts=texts)  # copies: edits due
    await _ingest(engine, "a", fresh, NOW + timedelta(minutes=2), settings, texts=texts)  # then fresh news
    sent_before = len(recorder.alerts)
    assert await dispatcher.dispatch_once() == 5, "five rows of this chat a cycle"
    assert len(recorder.alerts) == sent_before + 1, "the fresh alert went in the first cycle, before the edits"
    assert len(edits) == 4
    await drain(dispatcher)
    assert len(edits) == stories, "every grown story is edited in later cycles"


async def _note(into: list[str], title: str) -> None:
    into.append(title)


async def test_a_feed_that_keeps_flooding_alerts_nothing_more_and_floods_release_no_folded_story(
    engine: Engine, server: FeedServer
) -> None:
    """Two feeds replaying one archive: the first flood poll alerts at most the cap once (the copies of the
    other flooding feed unfold nothing), a repeated flood alerts nothing, and a calm feed still unfolds."""
    config = parse_config(
        "settings: {allow_private_addresses: true, retries: 0, alerts_per_feed_poll: 3, flood_min_new: 20,"
        " admin_chats: ['console:ops']}\nfeeds:\n"
        + "".join(f"  - {{id: {f}, url: '{server.url(f'/{f}.xml')}', language: en}}\n" for f in ("a", "b", "c"))
    )
    with session(engine) as s:
        sync_feeds(s, [FeedSpec(f.id, f.url, "en") for f in config.feeds])
    subscribe(engine, ("chat", "en"))
    old = headlines(3, seed=11)
    archive, later = headlines(30, seed=12), headlines(30, seed=13)

    def serve(feed: str, titles: list[str], tag: str = "") -> None:
        server.route(f"/{feed}.xml", HTTPReply(body=rss(feed, [(f"{feed}{tag}-{t}", t) for t in titles])))

    for f in ("a", "b", "c"):
        serve(f, old)
    recorder, operators = Recorder(), Recorder()
    edits: list[str] = []
    recorder.edit_alert = lambda target, message_id, alert, **_: _note(edits, alert.title)  # type: ignore[method-assign]
    dispatcher = Dispatcher(
        engine, {"test": recorder, "console": operators}, owner="w", settings=DispatchSettings(pace=False)
    )
    async with Fetcher(fetch_settings(config, Env())) as fetcher:
        pipeline = Pipeline(engine=engine, fetcher=fetcher, config=config, classifier=classifier)
        await pipeline.poll_once()  # backlogs
        serve("a", old + archive)
        serve("b", old + archive)  # the same archive: copies of a's stories (or a's of b's)
        calm = "Chip fab opens in the calm feed's town"
        serve("c", [*old, calm])  # real news in the same cycle
        await pipeline.poll_once()
        await drain(dispatcher)
        assert recorder.alerts[0][1].title == calm, "a calm feed's alert goes before the flood's"
        assert len(recorder.alerts) == 4, "one flood's cap: the other flooding feed's copies unfold nothing"
        serve("a", old + archive + later)  # a floods again, with stories nobody has seen
        serve("b", old + archive, tag="again")  # b replays its archive with fresh GUIDs: copies of sent stories
        [again] = [r for r in await pipeline.poll_once() if r.feed_id == "a"]
        assert again.new_stories == 30
        await drain(dispatcher)
        assert len(recorder.alerts) == 4, "a feed that keeps flooding alerts nothing more"
        assert edits == [], "a flood's copies edit no sent alert (every flood poll would, in every chat)"
        folded = next(t for t in archive if t not in {a.title for _, a in recorder.alerts})
        serve("c", [*old, calm, folded])  # a calm feed reports one of the folded stories
        await pipeline.poll_once()
        await drain(dispatcher)
    assert [a.title for _, a in recorder.alerts[4:]] == [folded], "real news still unfolds a folded story"
    summaries = [r.text for t, r in recorder.replies if t == "chat"]
    assert summaries and "more stories from" in summaries[0]
    assert len(operators.replies) == 2, "each flooding feed is told to the operators once an hour"
    with session(engine) as s:
        feeds = {f: get_feed(s, f) for f in ("a", "b", "c")}
        assert (feeds["a"].flood_polls, feeds["a"].flood_items) == (2, 60)  # type: ignore[union-attr]
        assert feeds["b"].flood_polls == 2  # type: ignore[union-attr]
        assert feeds["c"].flood_polls == 0  # type: ignore[union-attr]
        assert count_items(s, "a") == 63, "nothing is lost"
