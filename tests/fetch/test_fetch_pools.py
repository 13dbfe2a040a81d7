"""One connection pool per host name (bot.fetch.pools): routing, release, and the bound on idle pools."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from bot.fetch import Fetcher
from bot.fetch.pools import HostPools
from tests.fakes.feedserver import FeedServer, Reply

FEED = b"<rss version='2.0'><channel><title>pools</title></channel></rss>"


class Recording(httpx.AsyncBaseTransport):
    """A pool stand-in: answers every request, remembers what it served and whether it was closed."""

    def __init__(self, made: list[Recording]) -> None:
        self.hosts: list[str] = []
        self.closed = False
        made.append(self)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert not self.closed, "a closed pool was used"
        self.hosts.append(request.url.host)
        return httpx.Response(200, content=b"ok")

    async def aclose(self) -> None:
        self.closed = True


async def _get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    return await client.send(client.build_request("GET", url), stream=True)


async def test_each_host_name_gets_its_own_pool_whatever_the_port_or_case() -> None:
    made: list[Recording] = []
    pools = HostPools(lambda: Recording(made), max_pools=10)
    async with httpx.AsyncClient(transport=pools) as client:
        for url in ("http://a.example/1", "http://A.example:8080/2", "https://b.example/3", "http://a.example/4"):
            await (await _get(client, url)).aclose()
        assert pools.pools == 2
    assert [t.hosts for t in made] == [["a.example"] * 3, ["b.example"]]
    assert pools.pools == 0
    assert all(t.closed for t in made)  # closing the client closes every pool


async def test_least_recently_used_idle_pools_are_closed_past_the_bound() -> None:
    made: list[Recording] = []
    pools = HostPools(lambda: Recording(made), max_pools=2)
    async with httpx.AsyncClient(transport=pools) as client:
        await (await _get(client, "http://a.example/")).aclose()
        await (await _get(client, "http://b.example/")).aclose()
        await (await _get(client, "http://a.example/")).aclose()  # a is now the most recently used
        await (await _get(client, "http://c.example/")).aclose()
        assert pools.pools == 2
        a, b, c = made
        assert b.closed and not a.closed and not c.closed


async def test_a_pool_with_a_response_open_is_never_closed() -> None:
    made: list[Recording] = []
    pools = HostPools(lambda: Recording(made), max_pools=1)
    async with httpx.AsyncClient(transport=pools) as client:
        open_response = await _get(client, "http://busy.example/")
        await (await _get(client, "http://other.example/")).aclose()
        busy = made[0]
        assert not busy.closed and pools.pools == 2  # the bound yields to requests in flight
        await open_response.aread()
        await open_response.aclose()
        await open_response.aclose()  # a second close must not count the request twice
        await (await _get(client, "http://third.example/")).aclose()
        assert busy.closed and pools.pools == 1


def test_the_bound_must_allow_one_pool() -> None:
    with pytest.raises(ValueError):
        HostPools(lambda: Recording([]), max_pools=0)


async def test_fetcher_keeps_connections_per_host_and_reuses_them(make_fetcher: Callable[..., Fetcher]) -> None:
    servers = [FeedServer(f"127.0.0.{n}") for n in (1, 2, 3)]
    for srv in servers:
        await srv.start()
        srv.route("/feed", Reply(body=FEED))
    try:
        fetcher = make_fetcher(per_host=2, max_connections=2)  # fewer pools allowed than hosts
        for _ in range(3):
            for srv in servers:
                assert (await fetcher.fetch(srv.url("/feed"))).body == FEED
        assert all(len(srv.requests) == 3 for srv in servers)
        pools = fetcher._client._transport
        assert isinstance(pools, HostPools) and pools.pools <= 2
    finally:
        for srv in servers:
            await srv.close()
