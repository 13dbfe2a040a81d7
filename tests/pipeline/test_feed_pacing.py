"""A feed's own pace through the real refresh path: a loopback server answers with each header or element,
refresh_feed() polls it, and the feed row's next poll (and the reason shown to users) is what we assert.

Bounds: the feed's configured interval (10m here) is the floor, max_feed_interval (2h here) the ceiling.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.engine import Engine

from bot.config import FeedsFile
from bot.fetch import Fetcher, FetchSettings
from bot.pipeline import FeedResult, Pipeline
from bot.service.jobs import claim_horizon
from storage.db import session
from storage.feeds import FeedSpec, get_feed, sync_feeds
from storage.leases import claim_feed
from storage.tables import Feed
from tests.fakes.feedserver import FeedServer, Reply, ServerThread

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SY = "http://purl.org/rss/1.0/modules/syndication/"


def never_relevant(title: str, text: str, lang: str | None) -> SimpleNamespace:
    return SimpleNamespace(relevant=False, score=0.0, severity=None, topics=(), entities=(), reasons=(), evidence=0.0)


def rss(channel_extra: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:sy="{SY}"><channel><title>F</title>'
        f"{channel_extra}<item><title>Rice prices</title><guid>g1</guid><link>https://news.example/1</link>"
        "</item></channel></rss>"
    ).encode()


def feed_reply(channel_extra: str = "", **headers: str) -> Reply:
    named = {k.replace("_", "-"): v for k, v in headers.items()}
    return Reply(body=rss(channel_extra), headers={"Content-Type": "application/rss+xml", **named})


class Harness:
    def __init__(self, engine: Engine, fetcher: Fetcher, server: FeedServer, **settings: object) -> None:
        self.engine, self.server = engine, server
        self.config = FeedsFile.model_validate(
            {
                "settings": {"allow_private_addresses": True, "retries": 0, "max_feed_interval": "2h", **settings},
                "feeds": [{"id": "f", "url": server.url("/feed.xml"), "language": "en", "interval": "10m"}],
            }
        )
        with session(engine) as s:
            sync_feeds(s, [FeedSpec("f", server.url("/feed.xml"), "en")])
        self.pipeline = Pipeline(
            engine=engine, fetcher=fetcher, config=self.config, clock=lambda: NOW, classifier=never_relevant
        )

    async def poll(self, reply: Reply) -> tuple[FeedResult, Feed]:
        self.server.route("/feed.xml", reply)
        result = await self.pipeline.refresh_feed("f")
        with session(self.engine) as s:
            row = get_feed(s, "f")
            assert row is not None
        return result, row


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(FetchSettings(allow_private_addresses=True, retries=0, total_timeout=5.0)) as f:
        yield f


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        yield srv


def waits(row: Feed) -> float:
    assert row.next_poll is not None
    return (row.next_poll - NOW).total_seconds()


ASKS = [
    (feed_reply("<ttl>60</ttl>"), 3600, "ttl"),
    (feed_reply(cache_control="public, max-age=1800"), 1800, "max-age"),
    (feed_reply(Expires=format_datetime(NOW + timedelta(minutes=45), usegmt=True)), 2700, "Expires"),
    (
        feed_reply("<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"),
        1800,
        "sy:updatePeriod",
    ),
    # several asks: the largest
    (feed_reply("<ttl>20</ttl>", cache_control="max-age=2400"), 2400, "max-age"),
]


async def test_the_feed_sets_its_next_poll(engine: Engine, fetcher: Fetcher, server: FeedServer) -> None:
    h = Harness(engine, fetcher, server)
    for reply, seconds, source in ASKS:  # one feed answering differently each poll: each answer counts afresh
        result, row = await h.poll(reply)
        assert result.status in ("new", "unchanged"), source
        assert waits(row) == seconds, source
        assert (row.poll_interval, row.paced_by, row.paced_asks) == (seconds, source, seconds)
        assert result.pacing is not None and result.pacing.interval == seconds
        assert result.as_dict()["feed_asks"] == {"seconds": seconds, "source": source}


async def test_never_faster_than_configured_nor_slower_than_the_ceiling(
    sqlite_engine: Engine, fetcher: Fetcher, server: FeedServer
) -> None:
    h = Harness(sqlite_engine, fetcher, server)
    _, row = await h.poll(feed_reply("<ttl>1</ttl>"))
    assert waits(row) == 600, "a feed asking 1 min is still polled every 10 min, as configured"
    assert (row.paced_by, row.paced_asks) == ("ttl", 60)

    _, row = await h.poll(feed_reply("<sy:updatePeriod>daily</sy:updatePeriod>"))
    assert waits(row) == 7200, "a feed asking a day waits max_feed_interval"
    assert (row.poll_interval, row.paced_by, row.paced_asks) == (7200, "sy:updatePeriod", 86400)

    _, row = await h.poll(feed_reply(cache_control="max-age=31536000"))
    assert waits(row) == 7200


BAD = [
    feed_reply("<ttl>soon</ttl>"),
    feed_reply("<ttl>-30</ttl>"),
    feed_reply(cache_control="max-age=-5"),
    feed_reply(cache_control="no-cache, max-age=3600"),
    feed_reply(Expires=format_datetime(NOW - timedelta(hours=1), usegmt=True)),
    feed_reply(Expires="0"),
    feed_reply("<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>lots</sy:updateFrequency>"),
]


async def test_bad_values_are_ignored(sqlite_engine: Engine, fetcher: Fetcher, server: FeedServer) -> None:
    h = Harness(sqlite_engine, fetcher, server)
    for reply in BAD:
        _, row = await h.poll(feed_reply("<ttl>60</ttl>"))  # a valid ask first, so that a kept one would show
        assert waits(row) == 3600
        result, row = await h.poll(reply)
        assert result.status == "unchanged", reply
        assert waits(row) == 600, f"the configured interval: {reply}"
        assert (row.poll_interval, row.paced_by, row.paced_asks) == (600, None, None)


async def test_a_304_keeps_the_documents_ask_and_takes_its_own_headers(
    engine: Engine, fetcher: Fetcher, server: FeedServer
) -> None:
    h = Harness(engine, fetcher, server)
    first = feed_reply("<ttl>30</ttl>", ETag='"v1"')
    _, row = await h.poll(first)
    assert waits(row) == 1800

    result, row = await h.poll(Reply(status=304, headers={"ETag": '"v1"'}))
    assert result.status == "not_modified"
    assert server.requests_for("/feed.xml")[-1].headers.get("if-none-match") == '"v1"'
    assert (waits(row), row.paced_by) == (1800, "ttl"), "the unchanged document still asks 30 min"

    result, row = await h.poll(Reply(status=304, headers={"ETag": '"v1"', "Cache-Control": "max-age=5400"}))
    assert (waits(row), row.paced_by) == (5400, "max-age"), "a 304's own Cache-Control counts"

    # a new version without <ttl> forgets the old ask
    _, row = await h.poll(feed_reply(ETag='"v2"'))
    assert (waits(row), row.paced_by, row.document_asks) == (600, None, None)
    _, row = await h.poll(Reply(status=304, headers={"ETag": '"v2"'}))
    assert waits(row) == 600


async def test_retry_after_beyond_max_backoff_waits_max_backoff(
    sqlite_engine: Engine, fetcher: Fetcher, server: FeedServer
) -> None:
    h = Harness(sqlite_engine, fetcher, server, max_backoff="1h")
    result, row = await h.poll(Reply(status=503, headers={"Retry-After": str(7 * 86400)}))
    assert result.status == "failed" and result.error_code == "http_503"
    assert 3600 <= waits(row) <= 1.25 * 3600, "a week's Retry-After is held to max_backoff (plus its jitter)"


async def test_the_services_claim_waits_for_the_feeds_pace(
    sqlite_engine: Engine, fetcher: Fetcher, server: FeedServer
) -> None:
    """The scheduler runs every configured interval; the claim refuses the runs before the paced next poll —
    and a pace of max_feed_interval must not look like a clock that went back (the claim's horizon)."""
    h = Harness(sqlite_engine, fetcher, server, max_feed_interval="1d", max_backoff="6h")
    _, row = await h.poll(feed_reply("<sy:updatePeriod>daily</sy:updatePeriod>"))
    assert waits(row) == 86400

    def claim(at: datetime) -> bool:
        return claim_feed(sqlite_engine, "f", owner="w", now=at, lease=300, slack=30, horizon=claim_horizon(h.config))

    assert not claim(NOW + timedelta(minutes=10)), "the next scheduler run is not due yet"
    assert not claim(NOW + timedelta(hours=12))
    assert claim(NOW + timedelta(days=1)), "due at the paced time"


def test_feeds_check_shows_each_feeds_pace_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.feeds import check
    from bot.config import Env

    srv = FeedServer()
    srv.route("/ttl.xml", feed_reply("<ttl>60</ttl>"))
    srv.route("/daily.xml", feed_reply("<sy:updatePeriod>daily</sy:updatePeriod>"))
    srv.route("/eager.xml", feed_reply(cache_control="max-age=60"))
    srv.route("/plain.xml", feed_reply())
    with ServerThread([srv]):
        feeds = [
            {"id": name, "url": srv.url(f"/{name}.xml"), "language": "en", "interval": "10m"}
            for name in ("ttl", "daily", "eager", "plain")
        ]
        settings = {"allow_private_addresses": True, "retries": 0, "data_dir": str(tmp_path)}
        config = FeedsFile.model_validate({"settings": {**settings, "max_feed_interval": "2h"}, "feeds": feeds})
        assert check(config, Env(), as_json=False) == 0
    lines = {line.split(":")[0].split()[-1]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["ttl"].endswith("polled every 1h (feed asks 1h: ttl)")
    assert lines["daily"].endswith("polled every 2h (feed asks 1d: sy:updatePeriod; capped by max_feed_interval)")
    assert lines["eager"].endswith("polled every 10m (feed asks 1m: max-age; the configured interval is the minimum)")
    assert lines["plain"].endswith("polled every 10m")


async def test_slash_feeds_shows_a_pace_the_feed_set(
    sqlite_engine: Engine, fetcher: Fetcher, server: FeedServer
) -> None:
    from bot.commands.core import Core
    from bot.commands.model import Invocation

    h = Harness(sqlite_engine, fetcher, server)

    async def feeds_reply(lang: str) -> str:
        async def member() -> bool:
            return False  # /feeds is for everyone

        core = Core(sqlite_engine, secret=b"s", clock=lambda: NOW + timedelta(minutes=3))
        reply = await core.handle(
            Invocation(
                platform="telegram",
                chat_id="1",
                chat_type="private",
                user_id="7",
                command="feeds",
                args=(),
                user_language=lang,
                is_admin=member,
            )
        )
        return reply.text

    await h.poll(feed_reply("<ttl>90</ttl>"))
    assert "every 90 min, as the feed asks (ttl)" in await feeds_reply("en")
    assert "كل 90 دقيقة، كما يطلب المصدر (ttl)" in await feeds_reply("ar")

    await h.poll(feed_reply("<sy:updatePeriod>daily</sy:updatePeriod>"))
    assert "every 2 h (the feed asks 24 h by sy:updatePeriod; capped at max_feed_interval)" in await feeds_reply("en")

    await h.poll(feed_reply("<ttl>1</ttl>"))  # below the configured 10 min: nothing to explain
    text = await feeds_reply("en")
    assert "last polled 3 min ago" in text and "every" not in text
