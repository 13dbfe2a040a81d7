"""A poll that outlives its feed lease keeps the feed: the worker renews the lease while the poll lasts, so
another worker cannot take the feed over mid-poll and poll it again within the interval (a slow first poll,
a cold lexicon or a loaded machine made three workers poll one feed 0.25 s apart)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy.engine import Engine

from bot.config import FeedsFile
from bot.demo.server import FeedServer
from bot.fetch import Fetcher, FetchSettings
from bot.pipeline import Pipeline
from storage.db import session
from storage.feeds import FeedSpec, get_feed, sync_feeds
from storage.leases import FeedClaim

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = 0.3  # seconds: renewed every 0.1 s of real time; the lease's end is read from the fake clock
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title><item><title>Rice prices</title>'
    b"<guid>g1</guid><link>https://news.example/1</link></item></channel></rss>"
)


def never_relevant(title: str, text: str, lang: str | None) -> SimpleNamespace:
    return SimpleNamespace(relevant=False, score=0.0, severity=None, topics=(), entities=(), reasons=(), evidence=0.0)


@dataclass
class WatchedClaim(FeedClaim):
    """The service's claim, telling the test when a renewal has been written."""

    renewed: threading.Event = field(default_factory=threading.Event)

    def renew(self, feed_id: str, now: datetime) -> bool:
        held = super().renew(feed_id, now)
        self.renewed.set()
        return held


async def test_a_poll_longer_than_its_lease_is_not_taken_over(sqlite_engine: Engine, tmp_path: Path) -> None:
    asked, answer = threading.Event(), threading.Event()

    def slow_feed() -> tuple[int, dict[str, str], bytes]:
        asked.set()
        answer.wait(10)  # the server holds the poll until the test has tried to take the feed over
        return 200, {"Content-Type": "application/rss+xml"}, RSS

    clock = [NOW]
    with FeedServer({"/f.xml": slow_feed}) as server:
        url = server.base_url + "/f.xml"
        settings = {"allow_private_addresses": True, "retries": 0}
        config = FeedsFile.model_validate({"settings": settings, "feeds": [{"id": "f", "url": url, "language": "en"}]})
        with session(sqlite_engine) as s:
            sync_feeds(s, [FeedSpec("f", url, "en")])
        claim = WatchedClaim(sqlite_engine, "worker-a", lease=LEASE, horizon=3600)
        other = FeedClaim(sqlite_engine, "worker-b", lease=LEASE, horizon=3600)
        async with Fetcher(FetchSettings(allow_private_addresses=True, retries=0, total_timeout=10.0)) as fetcher:
            pipeline = Pipeline(
                sqlite_engine, fetcher, config, clock=lambda: clock[0], classifier=never_relevant, claim=claim
            )
            poll = asyncio.create_task(pipeline.refresh_feed("f"))
            assert await asyncio.to_thread(asked.wait, 10), "the poll reached the feed"
            clock[0] = NOW + timedelta(seconds=10)  # long past the first lease's end
            claim.renewed.clear()
            assert await asyncio.to_thread(claim.renewed.wait, 10), "the lease is renewed while the poll lasts"
            assert not other("f", clock[0] + timedelta(seconds=LEASE / 2)), "another worker took the feed mid-poll"
            answer.set()
            result = await asyncio.wait_for(poll, 10)

    assert result.status == "new", result
    with session(sqlite_engine) as s:
        row = get_feed(s, "f")
        assert row is not None
        assert row.lease_owner is None, "the poll's write releases the lease"
    assert not other("f", clock[0] + timedelta(seconds=1)), "not due again until its interval has passed"
