"""Watched terms are keyword alerts (issue 15 item 12): a new item that contains a chat's watched term reaches
that chat even when the matcher judged it off-topic — once, saying which term, and never a chat that follows
topics only, nor /latest or the digest (no story is made of it). A muted term always wins.

Real loopback feed server, the real pipeline with the real matcher, the real store (SQLite and PostgreSQL) and
the real dispatcher with a recording notifier.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.app import fetch_settings
from bot.config import Env, FeedsFile, parse_config
from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.fetch import Fetcher
from bot.match import classify
from bot.normalize import Item
from bot.pipeline import Pipeline
from storage import subscriptions as subs
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from storage.queries import search_stories
from storage.tables import Delivery, Story
from tests.deliver.test_alert_caps import Recorder as _Recorder
from tests.fakes.feedserver import FeedServer
from tests.fakes.feedserver import Reply as HTTPReply
from tests.fakes.store import store_new_items

NOW = datetime.now(UTC).replace(microsecond=0)
OFF_TOPIC = "Apple unveils new iPhone colours for the autumn"
OFF_TOPIC_2 = "Apple opens its first store in Riyadh"
ARABIC_OFF_TOPIC = "ترمب يلعب الغولف في اسكتلندا خلال عطلة نهاية الأسبوع"
RELEVANT = "US grants Nvidia licences to sell H20 chips to China"


class Recorder(_Recorder):
    def titles(self, chat: str) -> list[str]:
        return sorted(a.title for t, a in self.alerts if t == chat)


def rss(entries: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{escape(t)}</title><link>https://wire.example/{g}</link><guid isPermaLink='false'>{g}</guid>"
        f"<description>{escape(t)}.</description><pubDate>{format_datetime(NOW)}</pubDate></item>"
        for g, t in entries
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>{body}</channel></rss>".encode()


def chat(
    engine: Engine, target: str, *, topics: str, watch: list[str], mute: tuple[str, ...] = (), language: str = "en"
) -> None:
    with session(engine) as s:
        sub = subs.get_or_create(s, "test", target, now=NOW, language=language, topics=topics)
        sub.watch_terms = json.dumps(watch, ensure_ascii=False)
        sub.mute_terms = json.dumps(list(mute), ensure_ascii=False)
        s.add(sub)
        s.commit()


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer("127.0.0.1") as srv:
        yield srv


async def drain(dispatcher: Dispatcher) -> None:
    while await dispatcher.dispatch_once():
        pass


async def test_an_off_topic_item_with_a_watched_term_reaches_the_watching_chat_only(
    engine: Engine, server: FeedServer
) -> None:
    config = parse_config(
        "settings: {allow_private_addresses: true, retries: 0}\n"
        f"feeds:\n  - {{id: wire, url: '{server.url('/feed.xml')}', language: en}}\n"
    )
    with session(engine) as s:
        sync_feeds(s, [FeedSpec("wire", config.feeds[0].url, "en", title="Wire")])
    chat(engine, "watcher", topics=subs.NO_TOPICS, watch=["apple", "ترامب"])
    chat(engine, "muter", topics=subs.NO_TOPICS, watch=["Apple"], mute=("iphone",))
    chat(engine, "topics", topics="nvidia ai-chips", watch=[])
    chat(engine, "nvidia-watcher", topics="hbm", watch=["NVIDIA"])  # a relevant story, off its topic, on its term
    chat(engine, "everything", topics="", watch=[])
    chat(engine, "arabic-only", topics=subs.NO_TOPICS, watch=["Apple"], language="ar")
    with session(engine) as s:  # this chat reads Arabic items only: an English item it watches is not for it
        sub = subs.get_subscription(s, "test", "arabic-only")
        assert sub is not None
        sub.languages = "ar"
        s.add(sub)
        s.commit()

    backlog = [("b1", "Apple reports record quarter")]
    fresh = [("n1", OFF_TOPIC), ("n2", OFF_TOPIC_2), ("n3", ARABIC_OFF_TOPIC), ("n4", RELEVANT)]
    server.route("/feed.xml", HTTPReply(body=rss(backlog)))
    recorder = Recorder()
    dispatcher = Dispatcher(engine, {"test": recorder}, owner="w", settings=DispatchSettings(pace=False))
    async with Fetcher(fetch_settings(config, Env())) as fetcher:
        pipeline = Pipeline(engine=engine, fetcher=fetcher, config=config, classifier=classify)
        await pipeline.poll_once()  # the backlog: stored quietly, watched term or not
        server.route("/feed.xml", HTTPReply(body=rss(backlog + fresh)))
        [second] = await pipeline.poll_once()
        assert (second.new, second.relevant) == (4, 1), "the matcher judged three of them off-topic"
        await drain(dispatcher)
        assert recorder.titles("watcher") == sorted([OFF_TOPIC, OFF_TOPIC_2, ARABIC_OFF_TOPIC])
        assert recorder.titles("muter") == [OFF_TOPIC_2], "a muted term wins over a watched one"
        assert recorder.titles("topics") == [RELEVANT] and recorder.titles("everything") == [RELEVANT]
        assert recorder.titles("arabic-only") == [], "the chat's item languages still apply"
        [(_, story)] = [(t, a) for t, a in recorder.alerts if t == "nvidia-watcher"]
        assert story.title == RELEVANT and story.story_id > 0 and story.reasons[0] == "watched term: NVIDIA"
        [(_, plain)] = [(t, a) for t, a in recorder.alerts if t == "topics"]
        assert not any("watched term" in r for r in plain.reasons), "a topic brought it there"
        why = {a.title: a.reasons for t, a in recorder.alerts if t == "watcher"}
        assert why[OFF_TOPIC][0] == "watched term: apple" and why[ARABIC_OFF_TOPIC][0] == "watched term: ترامب"
        off = [a for t, a in recorder.alerts if t == "watcher"]
        assert all(a.story_id < 0 and a.topics == () for a in off), "no story: minus the item's id"
        assert len({a.story_id for a in off}) == 3

        # Once per item: the feed again, then the item corrected in place, bring nothing new.
        corrected = [("n1", OFF_TOPIC + " (updated)"), *fresh[1:]]
        server.route("/feed.xml", HTTPReply(body=rss(backlog + corrected)))
        await pipeline.poll_once()
        sent = len(recorder.alerts)
        await drain(dispatcher)
        assert len(recorder.alerts) == sent

    with session(engine) as s:
        stories = s.exec(select(Story)).all()
        assert len(stories) == 1, "only the relevant item is a story: /latest and digests never see the others"
        assert search_stories(s, "Apple", limit=10) == []
        rows = s.exec(select(Delivery).where(Delivery.key.startswith("watch:"))).all()  # type: ignore[attr-defined]
        assert len(rows) == 4 and all(r.story_id is None and r.status == "sent" for r in rows)


def _item(n: int, title: str, now: datetime) -> Item:
    return Item(
        feed_id="wire",
        identity=f"w{n}",
        guid=f"w{n}",
        url=f"https://wire.example/{n}",
        title=title,
        summary=title,
        content="",
        language="en",
        published=now - timedelta(minutes=n),
        fetched=now,
        content_hash=f"h{n}",
    )


async def test_watched_items_count_against_the_chats_alert_caps(engine: Engine) -> None:
    with session(engine) as s:
        sync_feeds(s, [FeedSpec("wire", "https://wire.example/rss", "en", title="Wire")])
    chat(engine, "watcher", topics=subs.NO_TOPICS, watch=["Apple"])
    config = FeedsFile.model_validate({"settings": {"alerts_per_feed_poll": 2}})
    items = [_item(n, f"Apple {word} on sale", NOW) for n, word in enumerate(("pies", "juice", "trees"), start=1)]
    store_new_items(engine, "wire", items, first_poll=False, now=NOW, config=config, classifier=classify)
    recorder = Recorder()
    await drain(Dispatcher(engine, {"test": recorder}, owner="w", settings=DispatchSettings(pace=False)))
    assert len(recorder.alerts) == 2, "alerts_per_feed_poll holds for watched items too (the newest first)"
    assert [a.title for _, a in recorder.alerts] == ["Apple pies on sale", "Apple juice on sale"]
    [(_, summary)] = recorder.replies
    assert summary.text.startswith("…and 1 more stories from wire")


async def test_an_article_in_two_feeds_is_alerted_once(engine: Engine) -> None:
    with session(engine) as s:
        sync_feeds(s, [FeedSpec(f, f"https://{f}.example/rss", "en") for f in ("wire", "search")])
    chat(engine, "watcher", topics=subs.NO_TOPICS, watch=["Apple"])
    config = FeedsFile()
    own = _item(1, OFF_TOPIC_2, NOW)
    # A news search's copy: another feed, another title, the same article's link.
    search = replace(own, feed_id="search", identity="s1", guid="s1", title=f"{OFF_TOPIC_2} - Wire", content_hash="s1")
    other = _item(2, "Apple cuts iPad prices", NOW)
    store_new_items(engine, "wire", [own], first_poll=False, now=NOW, config=config, classifier=classify)
    store_new_items(
        engine,
        "search",
        [search, replace(other, feed_id="search", identity="s2", guid="s2")],
        first_poll=False,
        now=NOW,
        config=config,
        classifier=classify,
    )
    recorder = Recorder()
    await drain(Dispatcher(engine, {"test": recorder}, owner="w", settings=DispatchSettings(pace=False)))
    assert sorted(a.title for _, a in recorder.alerts) == ["Apple cuts iPad prices", OFF_TOPIC_2]
