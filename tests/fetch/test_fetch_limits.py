"""Concurrency limits and connection reuse, measured by the servers themselves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.fetch import Fetcher
from tests.fakes.feedserver import FeedServer, Reply, Tracker

FEED = b"<rss version='2.0'><channel><title>limits</title></channel></rss>"


async def test_per_host_limit(server: FeedServer, make_fetcher: Callable[..., Fetcher]) -> None:
    # Each answer waits until 3 requests are in flight (or 5 s), so the limit is reached for sure;
    # a fetcher without the limit would have all 12 in flight at once.
    for index in range(12):
        server.route(f"/f{index}", Reply(body=FEED, wait_in_flight=3))
    fetcher = make_fetcher(per_host=3, max_connections=50)
    results = await asyncio.gather(*(fetcher.fetch(server.url(f"/f{index}")) for index in range(12)))
    assert all(r.body == FEED for r in results)
    assert server.tracker.peak == 3
    assert all(r.attempts == 1 for r in results)


@pytest.fixture
async def four_hosts() -> AsyncIterator[tuple[list[FeedServer], Tracker]]:
    shared = Tracker()
    servers = [FeedServer(f"127.0.0.{n}", trackers=[shared]) for n in range(1, 5)]
    for srv in servers:
        await srv.start()
    yield servers, shared
    for srv in servers:
        await srv.close()


async def test_global_limit_across_hosts(
    four_hosts: tuple[list[FeedServer], Tracker], make_fetcher: Callable[..., Fetcher]
) -> None:
    servers, shared = four_hosts
    urls = []
    for srv in servers:
        for index in range(6):
            srv.route(f"/f{index}", Reply(body=FEED, wait_in_flight=5, wait_tracker=shared))
            urls.append(srv.url(f"/f{index}"))
    fetcher = make_fetcher(per_host=4, max_connections=5)
    results = await asyncio.gather(*(fetcher.fetch(url) for url in urls))
    assert len(results) == 24
    assert shared.peak == 5
    assert all(srv.tracker.peak <= 4 for srv in servers)
    assert all(r.attempts == 1 for r in results)
    assert {r.final_url.split("/")[2].split(":")[0] for r in results} == {f"127.0.0.{n}" for n in range(1, 5)}


async def test_keep_alive_reuses_connections(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed", Reply(body=FEED, headers={"ETag": '"e"'}))
    server.route("/cond", Reply(status=304))
    server.route("/gone", Reply(status=404, body=b"no such feed"))
    for _ in range(5):
        await fetcher.fetch(server.url("/feed"))
        await fetcher.fetch(server.url("/cond"), etag='"e"')
    with pytest.raises(Exception, match="404"):
        await fetcher.fetch(server.url("/gone"))
    await fetcher.fetch(server.url("/feed"))
    assert len(server.requests) == 12 and server.connections == 1


async def test_host_slots_are_forgotten_when_idle(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed", Reply(body=FEED))
    await asyncio.gather(*(fetcher.fetch(server.url("/feed")) for _ in range(8)))
    assert fetcher._limiter.hosts_tracked == 0
