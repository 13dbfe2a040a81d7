"""Faults on the wire: refused connections, timeouts, resets, oversized and compressed bodies."""

from __future__ import annotations

import gzip
import math
import tracemalloc
import zlib
from collections.abc import Callable

import pytest

from bot.fetch import Fetcher, FetchError, ResponseError, TransportError
from tests.fakes.feedserver import FeedServer, Reply, closed_port, gzip_bomb
from tests.fetch.support import RecordingSleep

FEED = b"<rss version='2.0'><channel><title>" + "رقائق".encode() + b"</title></channel></rss>"


async def test_closed_port_is_a_connect_error_after_retries(fetcher: Fetcher, sleep: RecordingSleep) -> None:
    url = f"http://127.0.0.1:{closed_port()}/feed"
    with pytest.raises(TransportError) as caught:
        await fetcher.fetch(url)
    assert caught.value.code == "connect" and caught.value.transient
    assert caught.value.attempts == 3 and len(sleep.calls) == 2
    assert caught.value.url == url


async def test_read_timeout(server: FeedServer, make_fetcher: Callable[..., Fetcher]) -> None:
    server.route("/slow", Reply(delay=math.inf))  # never answers while the test runs
    fetcher = make_fetcher(read_timeout=0.3, retries=1)
    with pytest.raises(TransportError) as caught:
        await fetcher.fetch(server.url("/slow"))
    assert caught.value.code == "timeout" and caught.value.transient
    assert caught.value.attempts == 2 and len(server.requests) == 2
    assert "waiting for data" in str(caught.value)


async def test_slow_drip_hits_the_total_budget(server: FeedServer, make_fetcher: Callable[..., Fetcher]) -> None:
    # Each byte arrives well within read_timeout, so only the total budget can stop this.
    server.route("/drip", Reply(body=b"x" * 10_000, content_length=False, chunk_size=1, chunk_delay=0.02))
    fetcher = make_fetcher(read_timeout=1.0, total_timeout=0.4, retries=0)
    with pytest.raises(TransportError) as caught:
        await fetcher.fetch(server.url("/drip"))
    assert caught.value.code == "timeout" and "total" in str(caught.value)


async def test_connection_reset_mid_body_is_retried(server: FeedServer, fetcher: Fetcher) -> None:
    server.sequence("/feed", [Reply(body=FEED, reset_after=10), Reply(body=FEED)])
    result = await fetcher.fetch(server.url("/feed"))
    assert result.body == FEED and result.attempts == 2


async def test_connection_reset_every_time_is_a_network_error(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed", Reply(body=FEED * 100, reset_after=100))
    with pytest.raises(TransportError) as caught:
        await fetcher.fetch(server.url("/feed"))
    assert caught.value.code == "network" and caught.value.attempts == 3


async def test_body_shorter_than_its_content_length(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed", Reply(body=FEED, content_length=len(FEED) + 50, close=True))
    with pytest.raises(TransportError) as caught:
        await fetcher.fetch(server.url("/feed"))
    assert caught.value.code == "network"


async def test_tls_to_a_plain_http_server_is_a_tls_error_not_retried(
    server: FeedServer, fetcher: Fetcher, sleep: RecordingSleep
) -> None:
    server.route("/feed", Reply(body=FEED))
    with pytest.raises(TransportError) as caught:
        await fetcher.fetch(server.url("/feed").replace("http://", "https://"))
    assert caught.value.code == "tls" and not caught.value.transient and sleep.calls == []


# -- size caps ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_length", [True, False], ids=["announced", "chunked"])
async def test_body_over_the_cap(
    server: FeedServer, make_fetcher: Callable[..., Fetcher], sleep: RecordingSleep, content_length: bool
) -> None:
    server.route("/big", Reply(body=b"a" * 200_000, content_length=content_length, chunk_size=16_384))
    with pytest.raises(ResponseError) as caught:
        await make_fetcher(max_bytes=100_000).fetch(server.url("/big"))
    assert caught.value.code == "too_large" and not caught.value.transient and sleep.calls == []


async def test_announced_size_alone_is_refused_before_reading(
    server: FeedServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    # 100 MB announced, a few bytes sent: the header is enough to say no.
    server.route("/huge", Reply(body=b"<rss>", content_length=100 * 1024 * 1024, close=True))
    with pytest.raises(ResponseError) as caught:
        await make_fetcher(max_bytes=1024 * 1024).fetch(server.url("/huge"))
    assert caught.value.code == "too_large" and "announces" in str(caught.value)


async def test_body_exactly_at_the_cap_is_fine(server: FeedServer, make_fetcher: Callable[..., Fetcher]) -> None:
    server.route("/edge", Reply(body=b"b" * 4096, content_length=False, chunk_size=1000))
    result = await make_fetcher(max_bytes=4096).fetch(server.url("/edge"))
    assert len(result.body) == 4096


# -- compression -------------------------------------------------------------------------------------


async def test_gzip_body_is_decoded(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed", Reply(body=FEED * 50, gzip=True))
    result = await fetcher.fetch(server.url("/feed"))
    assert result.body == FEED * 50 and result.headers["content-encoding"] == "gzip"


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
async def test_deflate_body_is_decoded_both_flavours(server: FeedServer, fetcher: Fetcher, wbits: int) -> None:
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = compressor.compress(FEED * 20) + compressor.flush()
    server.route("/feed", Reply(body=body, headers={"Content-Encoding": "deflate"}))
    assert (await fetcher.fetch(server.url("/feed"))).body == FEED * 20


async def test_concatenated_gzip_members(server: FeedServer, fetcher: Fetcher) -> None:
    body = gzip.compress(b"<rss>") + gzip.compress(b"</rss>")
    server.route("/feed", Reply(body=body, headers={"Content-Encoding": "gzip"}))
    assert (await fetcher.fetch(server.url("/feed"))).body == b"<rss></rss>"


async def test_gzip_bomb_is_refused_without_inflating_it(
    server: FeedServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    # 1 GiB of zeros in about 1 MB on the wire; the cap is 1 MiB of decoded bytes.
    server.route("/bomb", Reply(stream=gzip_bomb(1 << 30), headers={"Content-Encoding": "gzip"}))
    fetcher = make_fetcher(max_bytes=1 << 20, retries=0)
    tracemalloc.start()
    try:
        with pytest.raises(ResponseError) as caught:
            await fetcher.fetch(server.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == "too_large"
    # The cap plus one inflate step and bookkeeping; inflating a whole 64 KiB wire chunk at once
    # (what httpx's own decoder does) would already take about 64 MiB.
    assert peak < 8 * (1 << 20), f"peak traced memory {peak / (1 << 20):.1f} MiB"


async def test_corrupt_gzip_is_a_decoding_error(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed", Reply(body=b"\x1f\x8b\x08\x00garbage-not-deflate", headers={"Content-Encoding": "gzip"}))
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/feed"))
    assert caught.value.code == "decoding" and not caught.value.transient


async def test_encoding_we_did_not_ask_for(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed", Reply(body=b"\x00\x01", headers={"Content-Encoding": "br"}))
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/feed"))
    assert caught.value.code == "decoding" and "br" in str(caught.value)
