"""The second look cannot let one feed starve the others (issue 13, item 4).

Real loopback servers, a real SQLite file and the real pipeline; the classifier is a transparent keyword rule
(a title naming Huawei is thin evidence worth a look; "chip" anywhere makes an item relevant), so these tests
pin down the pipeline's bounds, not the matcher. Nothing here measures time: a healthy feed's alert is shown
to arrive while the hostile feed's pages are still hanging, which is what bounds its latency.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime
from types import SimpleNamespace

import pytest
from sqlalchemy.engine import Engine

from bot.app import fetch_settings
from bot.config import Env, parse_config
from bot.fetch import Fetcher
from bot.pipeline import Alertable, Pipeline
from storage.db import session
from storage.feeds import FeedSpec, get_feed, sync_feeds
from storage.queries import count_items
from tests.fakes.feedserver import FeedServer, Reply

NOW = datetime.now(UTC).replace(microsecond=0)
ARTICLE = (
    "<html><body><article><h1>Huawei plans</h1>"
    + "<p>Huawei said its new AI chip will be made at home despite the export controls on chipmaking tools, "
    "and analysts expect the first shipments of the accelerator next spring.</p>" * 3 + "</article></body></html>"
).encode()


def keyword_classifier(title: str, text: str, lang: str | None) -> SimpleNamespace:
    relevant = "chip" in f"{title} {text}".lower()
    evidence = 5.0 if relevant else (1.0 if "huawei" in title.lower() else 0.0)
    return SimpleNamespace(
        relevant=relevant,
        score=0.9 if relevant else 0.1,
        severity="high" if relevant else None,
        topics=("ai-chips",) if relevant else (),
        entities=(),
        reasons=(),
        evidence=evidence,
    )


def rss(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid isPermaLink='false'>{guid}</guid>"
        f"<pubDate>{format_datetime(NOW)}</pubDate></item>"
        for guid, title, link in items
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>{body}</channel></rss>".encode()


@pytest.fixture
async def servers() -> AsyncIterator[tuple[FeedServer, FeedServer]]:
    """Feeds and good pages on 127.0.0.1; the hostile feed's pages on 127.0.0.2."""
    async with FeedServer("127.0.0.1") as feeds, FeedServer("127.0.0.2") as pages:
        yield feeds, pages


async def _pipeline(engine: Engine, feeds: FeedServer, settings: str) -> tuple[Pipeline, list[Alertable]]:
    config = parse_config(
        f"settings: {{allow_private_addresses: true, retries: 2, {settings}}}\n"
        "feeds:\n"
        f"  - {{id: hostile, url: '{feeds.url('/hostile.xml')}', language: en}}\n"
        f"  - {{id: healthy, url: '{feeds.url('/healthy.xml')}', language: en}}\n"
    )
    with session(engine) as s:
        sync_feeds(s, [FeedSpec(f.id, f.url, f.language) for f in config.feeds])
        for fid in ("hostile", "healthy"):  # past the quiet first poll
            feed = get_feed(s, fid)
            assert feed is not None
            feed.polls = 1
            s.add(feed)
        s.commit()
    alerts: list[Alertable] = []

    async def collect(batch: object) -> None:
        alerts.extend(batch)  # type: ignore[call-overload]

    fetcher = Fetcher(fetch_settings(config, Env()))
    pipeline = Pipeline(engine=engine, fetcher=fetcher, config=config, on_alerts=collect, classifier=keyword_classifier)
    return pipeline, alerts


async def test_a_feed_whose_pages_hang_does_not_hold_up_a_healthy_feeds_alert(
    sqlite_engine: Engine, servers: tuple[FeedServer, FeedServer]
) -> None:
    feeds, pages = servers
    for n in range(8):
        pages.route(f"/hang/{n}", Reply(delay=math.inf))
    thin = [(f"h{n}", f"Huawei story {n}", pages.url(f"/hang/{n}")) for n in range(8)]
    feeds.route("/hostile.xml", Reply(body=rss(thin)))
    feeds.route("/ok", Reply(body=ARTICLE, headers={"Content-Type": "text/html; charset=utf-8"}))
    feeds.route("/healthy.xml", Reply(body=rss([("g1", "Huawei unveils its plan", feeds.url("/ok"))])))
    # The hang outlasts the test: only closing the page server ends it.
    pipeline, alerts = await _pipeline(sqlite_engine, feeds, "article_timeout: 1h")
    try:
        hostile = asyncio.create_task(pipeline.refresh_feed("hostile"))
        assert await pages.tracker.wait_for(2, within=10), "the hostile feed's pages are being read"
        async with asyncio.timeout(60):  # a safety net, not a measurement
            healthy = await pipeline.refresh_feed("healthy")
        assert (healthy.status, healthy.relevant) == ("new", 1)
        assert [a.item.feed_id for a in alerts] == ["healthy"], "the healthy feed alerted"
        assert not hostile.done() and pages.tracker.current == 2, "...while the hostile pages still hung"
        assert pipeline.second_look.slots.held("hostile") == 2, "the hostile feed held only its share of slots"

        await pages.close()  # the hanging pages end; the hostile feed's poll completes, losing nothing
        async with asyncio.timeout(60):
            result = await hostile
        assert (result.status, result.new, result.relevant) == ("new", 8, 0)
        assert len(pages.requests) <= 4 and len({r.path for r in pages.requests}) == len(pages.requests)
    finally:
        await pipeline.fetcher.aclose()
    with session(sqlite_engine) as s:
        assert count_items(s, "hostile") == 8


async def test_pages_per_poll_are_capped_and_never_retried(
    sqlite_engine: Engine, servers: tuple[FeedServer, FeedServer]
) -> None:
    feeds, pages = servers
    for n in range(8):
        pages.route(f"/busy/{n}", Reply(status=503, body=b"busy"))  # transient: a feed would be retried
    thin = [(f"h{n}", f"Huawei story {n}", pages.url(f"/busy/{n}")) for n in range(8)]
    feeds.route("/hostile.xml", Reply(body=rss(thin)))
    pipeline, _ = await _pipeline(sqlite_engine, feeds, "article_pages_per_poll: 3")
    try:
        result = await pipeline.refresh_feed("hostile")
    finally:
        await pipeline.fetcher.aclose()
    assert (result.status, result.new) == ("new", 8)
    assert sorted(r.path for r in pages.requests) == sorted({r.path for r in pages.requests})
    assert len(pages.requests) == 3, "three pages for this poll, each asked once"
