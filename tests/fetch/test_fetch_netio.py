"""The fetcher's network layer on asyncio's streams (bot.fetch.netio): HTTPS, dead keep-alive connections,
timeouts, and connections pinned to the addresses the SSRF guard checked — through the production transport,
against real servers on loopback (resets and the other faults: test_fetch_faults)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpcore
import pytest
import trustme

import bot.fetch.fetcher as fetcher_module
from bot.fetch import Fetcher, FetchSettings
from bot.fetch.errors import PolicyError, TransportError
from bot.fetch.guard import is_forbidden_address
from bot.fetch.netio import AsyncioBackend, ForbiddenAddress, _interleaved
from tests.fakes.feedserver import FeedServer, Reply

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_server(ca: trustme.CA) -> AsyncIterator[FeedServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    async with FeedServer("127.0.0.1", tls=context) as srv:
        yield srv


@pytest.fixture
def trusted(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test CA trusted the way an operator trusts a private one: SSL_CERT_FILE, read when the fetcher starts."""
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))


async def test_https_feed_is_fetched_and_its_connection_reused(
    tls_server: FeedServer, trusted: None, make_fetcher: Callable[..., Fetcher]
) -> None:
    tls_server.route("/feed", Reply(body=FEED, headers={"ETag": '"e"'}))
    fetcher = make_fetcher()
    first = await fetcher.fetch(tls_server.url("/feed"))
    again = await fetcher.fetch(tls_server.url("/feed"))
    assert first.body == FEED and again.body == FEED and first.final_url.startswith("https://")
    assert tls_server.connections == 1  # the TLS connection went back to the pool and served the second


async def test_untrusted_certificate_is_a_tls_error_not_retried(
    tls_server: FeedServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    tls_server.route("/feed", Reply(body=FEED))
    with pytest.raises(TransportError) as caught:
        await make_fetcher().fetch(tls_server.url("/feed"))
    assert caught.value.code == "tls" and not caught.value.transient and tls_server.requests == []


@pytest.mark.parametrize("status", [200, 304])
async def test_a_connection_the_server_dropped_while_idle_is_not_reused(
    server: FeedServer, fetcher: Fetcher, status: int
) -> None:
    # A server closes idle keep-alive connections when its own timeout passes, without a word: the next
    # request must open a new connection, not fail (and be retried) on the dead one.
    server.route("/feed", Reply(status=status, body=FEED if status == 200 else b"", hang_up=True))
    await fetcher.fetch(server.url("/feed"), etag='"e"')
    assert await server.wait_closed(1, within=5.0)
    result = await fetcher.fetch(server.url("/feed"), etag='"e"')
    assert result.attempts == 1 and result.status == status
    assert server.connections == 2 and len(server.requests) == 2


async def test_a_read_timeout_is_a_timeout_and_the_fetcher_goes_on(
    server: FeedServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    server.route("/slow", Reply(body=FEED, delay=1.0))
    server.route("/feed", Reply(body=FEED))
    fetcher = make_fetcher(read_timeout=0.2, retries=0)
    with pytest.raises(TransportError) as caught:
        await fetcher.fetch(server.url("/slow"))
    assert caught.value.code == "timeout" and caught.value.transient
    assert (await fetcher.fetch(server.url("/feed"))).body == FEED  # the fetcher goes on


async def test_refused_connection_is_a_connect_error() -> None:
    async with FeedServer("127.0.0.1") as srv:
        port = srv.port
    with pytest.raises(httpcore.ConnectError):
        await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=2.0)


async def test_stream_reads_writes_and_reports_eof(server: FeedServer) -> None:
    server.route("/feed", Reply(body=FEED, close=True))
    stream = await AsyncioBackend().connect_tcp(server.host, server.port, timeout=2.0)
    try:
        assert stream.get_extra_info("server_addr") == (server.host, server.port)
        assert stream.get_extra_info("is_readable") is False  # an idle, live connection
        await stream.write(b"GET /feed HTTP/1.1\r\nHost: x\r\n\r\n", timeout=2.0)
        received = b""
        while chunk := await stream.read(65536, timeout=2.0):
            received += chunk
        assert received.startswith(b"HTTP/1.1 200") and received.endswith(FEED)
        assert stream.get_extra_info("is_readable") is True  # the server closed it: never to be reused
    finally:
        await stream.aclose()


# -- DNS rebinding: the guard applied when connecting, to the addresses connected to ---------------------


async def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_when_connecting(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first lookup (bot.fetch.guard) answered with a public address; the name now resolves to loopback.
    # Modelled by letting the first check pass: the connection must not reach the server.
    async def public_answer(url: object, original: str, **options: object) -> None:
        return None

    monkeypatch.setattr(fetcher_module, "check_public_host", public_answer)
    server.route("/feed", Reply(body=FEED))
    async with Fetcher(FetchSettings(retries=2)) as fetcher:
        with pytest.raises(PolicyError) as caught:
            await fetcher.fetch(f"http://localhost:{server.port}/feed")
    assert caught.value.code == "private_address" and not caught.value.transient
    assert "127.0.0.1" in str(caught.value) and caught.value.attempts == 1
    assert server.connections == 0 and server.requests == []


async def test_pinned_connection_goes_to_a_checked_address(server: FeedServer) -> None:
    checked: list[str] = []

    def forbidden(ip: object) -> bool:
        checked.append(str(ip))
        return False

    server.route("/feed", Reply(body=FEED, close=True))
    stream = await AsyncioBackend(forbidden).connect_tcp("localhost", server.port, timeout=2.0)
    try:
        peer = stream.get_extra_info("server_addr")
        assert peer[0] in checked and server.connections == 1
    finally:
        await stream.aclose()


async def test_pinned_connection_refuses_before_connecting() -> None:
    async with FeedServer("127.0.0.1") as srv:
        with pytest.raises(ForbiddenAddress, match=r"127\.0\.0\.1"):
            await AsyncioBackend(is_forbidden_address).connect_tcp("127.0.0.1", srv.port, timeout=2.0)
        assert srv.connections == 0


async def test_pinned_connection_falls_back_to_the_next_checked_address(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The resolver's answer is scripted (no DNS server here): a first address nothing listens on, then ours.
    loop = asyncio.get_running_loop()

    async def answer(host: str, port: int, **_: object) -> list[tuple[object, ...]]:
        stream = socket.SOCK_STREAM
        return [
            (socket.AF_INET, stream, 6, "", ("127.0.0.3", port)),
            (socket.AF_INET, stream, 6, "", (server.host, port)),
        ]

    monkeypatch.setattr(loop, "getaddrinfo", answer)
    stream = await AsyncioBackend(lambda ip: False).connect_tcp("feeds.example", server.port, timeout=2.0)
    try:
        assert stream.get_extra_info("server_addr") == (server.host, server.port) and server.connections == 1
    finally:
        await stream.aclose()


def test_addresses_are_tried_with_families_interleaved() -> None:
    v6, v4 = socket.AF_INET6, socket.AF_INET
    answer = [(v6, "2001:db8::1"), (v6, "2001:db8::2"), (v4, "192.0.2.1"), (v4, "192.0.2.2"), (v4, "192.0.2.3")]
    assert [ip for _, ip in _interleaved(answer)] == [
        "2001:db8::1",
        "192.0.2.1",
        "2001:db8::2",
        "192.0.2.2",
        "192.0.2.3",
    ]
