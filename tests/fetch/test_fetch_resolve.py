"""The fetcher's DNS answers (bot.fetch.resolve): one lookup per name for the guard and the connections, shared by
concurrent fetches, kept for a while, failures never kept."""

from __future__ import annotations

import asyncio
import socket

import pytest

import bot.fetch.fetcher as fetcher_module
import bot.fetch.guard as guard_module
from bot.fetch import Fetcher, FetchSettings
from bot.fetch.errors import TransportError
from bot.fetch.resolve import Resolver
from tests.fakes.feedserver import FeedServer, Reply

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_an_answer_is_kept_for_its_time_then_asked_again() -> None:
    clock = Clock()
    resolver = Resolver(ttl=30.0, clock=clock)
    first = await resolver.addresses("localhost")
    assert (socket.AF_INET, "127.0.0.1") in first
    clock.now += 29.0
    assert await resolver.addresses("localhost") == first and resolver.lookups == 1
    clock.now += 2.0
    assert await resolver.addresses("localhost") == first and resolver.lookups == 2


async def test_concurrent_fetches_of_one_name_wait_for_one_lookup() -> None:
    resolver = Resolver()
    answers = await asyncio.gather(*(resolver.addresses("localhost") for _ in range(20)))
    assert resolver.lookups == 1 and all(a == answers[0] for a in answers)


async def test_addresses_are_not_looked_up() -> None:
    resolver = Resolver()
    assert await resolver.addresses("192.0.2.7") == [(socket.AF_INET, "192.0.2.7")]
    assert await resolver.addresses("2001:db8::1") == [(socket.AF_INET6, "2001:db8::1")]
    assert resolver.lookups == 0


async def test_a_failed_lookup_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # The resolver's answers are scripted (no DNS server here): a failure, then an answer.
    loop = asyncio.get_running_loop()
    script: list[Exception | None] = [socket.gaierror(socket.EAI_AGAIN, "temporary failure"), None]

    async def answer(host: str, port: object, **_: object) -> list[tuple[object, ...]]:
        failure = script.pop(0)
        if failure is not None:
            raise failure
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.9", 0))]

    monkeypatch.setattr(loop, "getaddrinfo", answer)
    resolver = Resolver()
    with pytest.raises(socket.gaierror):
        await resolver.addresses("feeds.example")
    assert await resolver.addresses("feeds.example") == [(socket.AF_INET, "192.0.2.9")]
    assert resolver.lookups == 2


async def test_the_least_recently_asked_names_go_past_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()
    asked: list[str] = []

    async def answer(host: str, port: object, **_: object) -> list[tuple[object, ...]]:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", 0))]

    monkeypatch.setattr(loop, "getaddrinfo", answer)
    resolver = Resolver(max_names=2)
    for host in ("a.example", "b.example", "a.example", "c.example", "a.example", "b.example"):
        await resolver.addresses(host)
    # c pushed out b (asked least recently), so b is looked up again; a stayed
    assert asked == ["a.example", "b.example", "c.example", "b.example"]


async def test_the_guard_and_the_connections_share_one_lookup(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loopback stands in for a public site (the guard's rule is bypassed for every address); what is counted is
    # the lookups: the guard before each request and the connection it opens ask the fetcher's resolver once.
    monkeypatch.setattr(guard_module, "is_forbidden_address", lambda ip: False)
    monkeypatch.setattr(fetcher_module, "is_forbidden_address", lambda ip: False)
    loop = asyncio.get_running_loop()
    real, asked = loop.getaddrinfo, []

    async def counted(host: str, *args: object, **kwargs: object) -> object:
        asked.append(host)
        return await real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loop, "getaddrinfo", counted)
    server.route("/feed", Reply(body=FEED))
    server.route("/moved", Reply(status=301, headers={"Location": f"http://localhost:{server.port}/feed"}))
    async with Fetcher(FetchSettings(retries=0)) as fetcher:
        for path in ("/feed", "/moved", "/feed"):
            assert (await fetcher.fetch(f"http://localhost:{server.port}{path}")).body == FEED
    assert asked == ["localhost"] and len(server.requests) == 4


async def test_a_dns_failure_is_a_dns_error(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()

    async def answer(host: str, port: object, **_: object) -> list[tuple[object, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(loop, "getaddrinfo", answer)
    async with Fetcher(FetchSettings(retries=0)) as fetcher:
        with pytest.raises(TransportError) as caught:
            await fetcher.fetch("http://feeds.example/rss")
    assert caught.value.code == "dns"


async def test_a_bound_below_one_still_answers() -> None:
    resolver = Resolver(max_names=0)
    assert (socket.AF_INET, "127.0.0.1") in await resolver.addresses("localhost")
