"""Where a fetch may go: schemes, file:// and the SSRF guard."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bot.fetch import Fetcher, FetchError, FetchSettings, PolicyError
from bot.fetch.guard import is_forbidden_address
from tests.fakes.feedserver import FeedServer, Reply

FEED = "<rss version='2.0'><channel><title>حظر تصدير الرقائق</title></channel></rss>".encode()


# -- file:// ----------------------------------------------------------------------------------------


async def test_file_url_read_when_allowed_and_not_modified_by_mtime(
    tmp_path: Path, make_fetcher: Callable[..., Fetcher]
) -> None:
    path = tmp_path / "أخبار.xml"  # non-ASCII names are percent-encoded in the URL
    path.write_bytes(FEED)
    fetcher = make_fetcher(allow_file=True)
    first = await fetcher.fetch(path.as_uri())
    assert first.body == FEED and first.status == 200 and first.last_modified
    second = await fetcher.fetch(path.as_uri(), last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    os.utime(path, (1_000_000_000, 1_000_000_000))
    third = await fetcher.fetch(path.as_uri(), last_modified=first.last_modified)
    assert not third.not_modified and third.body == FEED


async def test_file_url_disabled_by_default(tmp_path: Path, make_fetcher: Callable[..., Fetcher]) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    with pytest.raises(PolicyError) as caught:
        await make_fetcher().fetch(path.as_uri())
    assert caught.value.code == "file_disabled" and not caught.value.transient


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [("missing.xml", None, "not_found_file"), ("empty.xml", b"", "empty_body"), ("big.xml", b"x" * 5000, "too_large")],
)
async def test_file_url_failures(
    tmp_path: Path, make_fetcher: Callable[..., Fetcher], name: str, content: bytes | None, code: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(FetchError) as caught:
        await make_fetcher(allow_file=True, max_bytes=1000).fetch(path.as_uri())
    assert caught.value.code == code


async def test_file_url_with_remote_host_is_refused(make_fetcher: Callable[..., Fetcher]) -> None:
    with pytest.raises(PolicyError) as caught:
        await make_fetcher(allow_file=True).fetch("file://fileserver/share/feed.xml")
    assert caught.value.code == "invalid_url"


# -- schemes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/feed.xml", "gopher://127.0.0.1/", "javascript:alert(1)", "example.org/feed"]
)
async def test_other_schemes_are_refused(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(PolicyError) as caught:
        await fetcher.fetch(url)
    assert caught.value.code == "scheme" and caught.value.attempts == 0


# -- SSRF guard -------------------------------------------------------------------------------------


async def test_loopback_refused_by_default(server: FeedServer) -> None:
    server.route("/feed", Reply(body=FEED))
    async with Fetcher(FetchSettings()) as fetcher:
        for url in (server.url("/feed"), f"http://localhost:{server.port}/feed"):
            with pytest.raises(PolicyError) as caught:
                await fetcher.fetch(url)
            assert caught.value.code == "private_address" and not caught.value.transient
    assert server.requests == []  # refused before any byte was sent


async def test_loopback_allowed_when_enabled(server: FeedServer) -> None:
    server.route("/feed", Reply(body=FEED))
    async with Fetcher(FetchSettings(allow_private_addresses=True)) as fetcher:
        assert (await fetcher.fetch(server.url("/feed"))).body == FEED


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
        "http://[::1]:8080/",
        "http://10.1.2.3/",
        "http://0.0.0.0/",
    ],
)
async def test_private_literals_refused(url: str) -> None:
    async with Fetcher(FetchSettings()) as fetcher:
        with pytest.raises(PolicyError) as caught:
            await fetcher.fetch(url)
    assert caught.value.code == "private_address"


async def test_every_redirect_hop_is_checked() -> None:
    # A public first hop (an IP literal, so no DNS) that redirects to loopback: the second hop is refused.
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:8080/admin"})

    async with Fetcher(FetchSettings(), transport=httpx.MockTransport(handler)) as fetcher:
        with pytest.raises(PolicyError) as caught:
            await fetcher.fetch("http://93.184.216.34/feed")
    assert caught.value.code == "private_address"
    assert seen == ["http://93.184.216.34/feed"]


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("169.254.1.1", True),
        ("100.64.0.1", True),  # carrier-grade NAT
        ("0.0.0.0", True),
        ("224.0.0.251", True),  # multicast
        ("240.0.0.1", True),  # reserved
        ("255.255.255.255", True),
        ("::1", True),
        ("::", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:10.0.0.1", True),
        ("2002:7f00:1::", True),  # 6to4 wrapping 127.0.0.1
        ("8.8.8.8", False),
        ("1.1.1.1", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:8.8.8.8", False),
    ],
)
def test_forbidden_address_table(address: str, forbidden: bool) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address)) is forbidden


@pytest.mark.parametrize("url", ["http://", "http://exa mple.org/feed", "https://[::1/feed"])
async def test_malformed_urls(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(PolicyError) as caught:
        await fetcher.fetch(url)
    assert caught.value.code == "invalid_url" and caught.value.url == url
