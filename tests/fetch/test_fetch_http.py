"""Conditional GET, statuses, retries and redirects against a real loopback server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote

import pytest

from bot.fetch import Fetcher, FetchError, FetchSettings, HTTPStatusError, RateLimitedError
from tests.fakes.feedserver import FeedServer, Reply, Request
from tests.fetch.support import RecordingSleep

RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>Export rules</title><link>https://example.org/a</link></item></channel></rss>"
)


async def test_etag_then_304_sends_validator_and_returns_empty_body(server: FeedServer, fetcher: Fetcher) -> None:
    def answer(request: Request) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(status=304, headers={"ETag": '"v1"'})
        return Reply(body=RSS, headers={"ETag": '"v1"', "Content-Type": "application/rss+xml"})

    server.route("/feed", answer)
    first = await fetcher.fetch(server.url("/feed"))
    assert (first.status, first.not_modified, first.body, first.etag) == (200, False, RSS, '"v1"')
    assert "if-none-match" not in server.requests[0].headers

    second = await fetcher.fetch(server.url("/feed"), etag=first.etag)
    assert second.not_modified and second.status == 304 and second.body == b""
    assert second.etag == '"v1"'
    assert server.requests[1].headers["if-none-match"] == '"v1"'


async def test_last_modified_sent_and_echoed_when_304_omits_it(server: FeedServer, fetcher: Fetcher) -> None:
    stamp = "Tue, 04 Mar 2025 10:00:00 GMT"

    def answer(request: Request) -> Reply:
        if request.headers.get("if-modified-since") == stamp:
            return Reply(status=304)  # no validators repeated: the caller must keep its own
        return Reply(body=RSS, headers={"Last-Modified": stamp})

    server.route("/feed", answer)
    first = await fetcher.fetch(server.url("/feed"))
    assert first.last_modified == stamp and first.etag is None
    second = await fetcher.fetch(server.url("/feed"), last_modified=stamp, etag='"old"')
    assert second.not_modified
    assert (second.last_modified, second.etag) == (stamp, '"old"')
    assert server.requests[1].headers["if-modified-since"] == stamp


async def test_user_agent_accept_and_lowercased_headers(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed", Reply(body=RSS, headers={"X-Custom-Thing": "yes", "Content-Type": "text/xml"}))
    result = await fetcher.fetch(server.url("/feed"))
    sent = server.requests[0].headers
    assert sent["user-agent"] == FetchSettings().user_agent and "Raqib" in sent["user-agent"]
    assert sent["accept"].startswith("application/rss+xml")
    assert sent["accept-encoding"] == "gzip, deflate"
    assert result.headers["x-custom-thing"] == "yes"
    assert result.headers["content-type"] == "text/xml"
    assert result.attempts == 1 and result.url == result.final_url == server.url("/feed")


@pytest.mark.parametrize("status", [404, 410, 403])
async def test_client_errors_are_not_retried(
    server: FeedServer, fetcher: Fetcher, sleep: RecordingSleep, status: int
) -> None:
    server.route("/feed", Reply(status=status, body=b"gone"))
    with pytest.raises(HTTPStatusError) as caught:
        await fetcher.fetch(server.url("/feed"))
    assert caught.value.code == f"http_{status}"
    assert not caught.value.transient and caught.value.attempts == 1
    assert len(server.requests) == 1 and sleep.calls == []
    assert str(status) in str(caught.value) and server.url("/feed") in str(caught.value)


async def test_500_is_retried_with_jittered_backoff_then_reported(
    server: FeedServer, make_fetcher: Callable[..., Fetcher], sleep: RecordingSleep
) -> None:
    server.route("/feed", Reply(status=500, body=b"oops"))
    fetcher = make_fetcher(retries=3, backoff_base=0.5, backoff_max=1.5)
    with pytest.raises(HTTPStatusError) as caught:
        await fetcher.fetch(server.url("/feed"))
    assert caught.value.code == "http_500" and caught.value.transient and caught.value.attempts == 4
    assert len(server.requests) == 4
    # Full jitter: each wait is within [0, min(cap, base * 2**n)].
    assert len(sleep.calls) == 3
    for wait, ceiling in zip(sleep.calls, [0.5, 1.0, 1.5], strict=True):
        assert 0.0 <= wait <= ceiling


async def test_transient_failure_then_success(server: FeedServer, fetcher: Fetcher, sleep: RecordingSleep) -> None:
    server.sequence("/feed", [Reply(status=502), Reply(status=503), Reply(body=RSS)])
    result = await fetcher.fetch(server.url("/feed"))
    assert result.body == RSS and result.attempts == 3 and len(sleep.calls) == 2


async def test_429_retry_after_seconds_is_honoured(server: FeedServer, fetcher: Fetcher, sleep: RecordingSleep) -> None:
    server.sequence("/feed", [Reply(status=429, headers={"Retry-After": "7"}), Reply(body=RSS)])
    result = await fetcher.fetch(server.url("/feed"))
    assert result.body == RSS and result.attempts == 2
    assert sleep.calls == [7.0]


async def test_503_retry_after_http_date_is_honoured(
    server: FeedServer, fetcher: Fetcher, sleep: RecordingSleep
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    server.sequence("/feed", [Reply(status=503, headers={"Retry-After": when}), Reply(body=RSS)])
    await fetcher.fetch(server.url("/feed"))
    assert len(sleep.calls) == 1 and 10.0 < sleep.calls[0] <= 20.0


async def test_retry_after_beyond_cap_gives_up_at_once_with_the_wish(
    server: FeedServer, fetcher: Fetcher, sleep: RecordingSleep
) -> None:
    server.route("/feed", Reply(status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimitedError) as caught:
        await fetcher.fetch(server.url("/feed"))
    assert caught.value.code == "rate_limited" and caught.value.retry_after == 3600.0
    assert sleep.calls == [] and len(server.requests) == 1


async def test_429_without_retry_after_uses_backoff(
    server: FeedServer, fetcher: Fetcher, sleep: RecordingSleep
) -> None:
    server.route("/feed", Reply(status=429))
    with pytest.raises(RateLimitedError) as caught:
        await fetcher.fetch(server.url("/feed"))
    assert caught.value.retry_after is None and caught.value.attempts == 3 and len(sleep.calls) == 2


async def test_empty_body_is_an_error(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed", Reply(body=b""))
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/feed"))
    assert caught.value.code == "empty_body" and not caught.value.transient


# -- redirects ---------------------------------------------------------------------------------------


async def test_301_sets_permanent_url(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/old", Reply(status=301, headers={"Location": "/new"}))
    server.route("/new", Reply(body=RSS))
    result = await fetcher.fetch(server.url("/old"))
    assert result.body == RSS and result.url == server.url("/old")
    assert result.final_url == result.permanent_url == server.url("/new")


async def test_308_then_301_chain_is_permanent(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/a", Reply(status=308, headers={"Location": server.url("/b")}))
    server.route("/b", Reply(status=301, headers={"Location": "c"}))  # relative to /b
    server.route("/c", Reply(body=RSS))
    result = await fetcher.fetch(server.url("/a"))
    assert result.permanent_url == server.url("/c")


@pytest.mark.parametrize("statuses", [(302,), (307,), (301, 302), (302, 301)])
async def test_any_temporary_hop_means_no_permanent_url(
    server: FeedServer, fetcher: Fetcher, statuses: tuple[int, ...]
) -> None:
    for index, status in enumerate(statuses):
        server.route(f"/h{index}", Reply(status=status, headers={"Location": f"/h{index + 1}"}))
    server.route(f"/h{len(statuses)}", Reply(body=RSS))
    result = await fetcher.fetch(server.url("/h0"))
    assert result.final_url == server.url(f"/h{len(statuses)}") and result.permanent_url is None


async def test_redirect_with_raw_utf8_arabic_location(server: FeedServer, fetcher: Fetcher) -> None:
    path = "/أخبار/اقتصاد.xml"
    server.route("/old", Reply(status=301, headers={"Location": path}))
    server.route(quote(path), Reply(body=RSS))
    result = await fetcher.fetch(server.url("/old"))
    assert result.body == RSS and result.permanent_url == server.url(quote(path))


async def test_redirect_loop_is_detected(server: FeedServer, fetcher: Fetcher, sleep: RecordingSleep) -> None:
    server.route("/a", Reply(status=302, headers={"Location": "/b"}))
    server.route("/b", Reply(status=302, headers={"Location": "/a#again"}))
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/a"))
    assert caught.value.code == "redirect_loop" and not caught.value.transient
    assert len(server.requests) == 2 and sleep.calls == []


async def test_redirect_chain_longer_than_cap(server: FeedServer, make_fetcher: Callable[..., Fetcher]) -> None:
    for index in range(10):
        server.route(f"/r{index}", Reply(status=301, headers={"Location": f"/r{index + 1}"}))
    server.route("/r10", Reply(body=RSS))
    with pytest.raises(FetchError) as caught:
        await make_fetcher(max_redirects=3).fetch(server.url("/r0"))
    assert caught.value.code == "too_many_redirects"
    assert len(server.requests) == 4  # the first request and three hops, never the fourth
    # Exactly at the cap is fine.
    result = await make_fetcher(max_redirects=3).fetch(server.url("/r7"))
    assert result.final_url == server.url("/r10")


async def test_redirect_to_another_scheme_is_refused(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed", Reply(status=302, headers={"Location": "file:///etc/passwd"}))
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/feed"))
    assert caught.value.code == "scheme"


async def test_redirect_without_location_is_a_status_error(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed", Reply(status=302))
    with pytest.raises(HTTPStatusError) as caught:
        await fetcher.fetch(server.url("/feed"))
    assert caught.value.code == "http_302"


async def test_stored_validators_cannot_inject_headers(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/feed", Reply(body=RSS))
    await fetcher.fetch(server.url("/feed"), etag='"v1"\r\nX-Evil: 1', last_modified="Tue\n, 04 Mar 2025")
    sent = server.requests[0].headers
    assert "x-evil" not in sent and "if-none-match" not in sent and "if-modified-since" not in sent
