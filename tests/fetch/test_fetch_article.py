"""Article text extraction over real HTTP, with its cache."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable

import pytest

from bot.fetch import Fetcher, article
from bot.fetch.article import RICH_BYTES, ArticleCache, ArticleLimits, fetch_article_text
from tests.fakes.feedserver import FeedServer, Reply
from tests.fetch.support import RecordingSleep

# Written for this test: a page with navigation and footer noise around one story.
STORY = (
    "The ministry published a revised list of accelerator chips that need a licence before they can be "
    "shipped abroad, and it tightened the rules for cloud providers that rent such chips to foreign buyers."
)
SECOND = "Trade lawyers expect the first licence decisions within ninety days of the notice."
PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>New chip licence list</title></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a> | <a href="/sport">Sport</a></nav>
<article><h1>New chip licence list</h1><p>{STORY}</p><p>{SECOND}</p></article>
<footer>Subscribe to our newsletter. All rights reserved.</footer></body></html>""".encode()

ARABIC_STORY = (
    "أعلنت الوزارة قائمة جديدة بالمعالجات التي تحتاج إلى ترخيص قبل تصديرها، وشددت القواعد على شركات "
    "الحوسبة السحابية التي تؤجر هذه المعالجات لعملاء في الخارج، وقال محللون إن القرار سيؤثر على الموزعين."
)
ARABIC_PAGE = (
    f"<html><head><title>قيود جديدة</title></head><body><article><h1>قيود جديدة</h1>"
    f"<p>{ARABIC_STORY}</p><p>{ARABIC_STORY}</p></article></body></html>"
).encode("cp1256")


async def test_extracts_main_text_once(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/story", Reply(body=PAGE, headers={"Content-Type": "text/html; charset=utf-8"}))
    text = await fetch_article_text(fetcher, server.url("/story"))
    assert text is not None and STORY in text and SECOND in text
    assert "newsletter" not in text and "Sport" not in text
    assert await fetch_article_text(fetcher, server.url("/story")) == text
    assert len(server.requests) == 1
    assert server.requests[0].headers["accept"].startswith("text/html")


async def test_declared_windows_1256_charset(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/ar", Reply(body=ARABIC_PAGE, headers={"Content-Type": "text/html; charset=windows-1256"}))
    text = await fetch_article_text(fetcher, server.url("/ar"), cache=ArticleCache())
    assert text is not None and "الحوسبة السحابية" in text


async def test_failures_are_none_and_cached(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/gone", Reply(status=404, body=b"nope"))
    server.route("/pdf", Reply(body=b"%PDF-1.7 ...", headers={"Content-Type": "application/pdf"}))
    server.route("/blank", Reply(body=b"<html><body></body></html>", headers={"Content-Type": "text/html"}))
    cache = ArticleCache()
    for path in ("/gone", "/pdf", "/blank"):
        assert await fetch_article_text(fetcher, server.url(path), cache=cache) is None
        assert await fetch_article_text(fetcher, server.url(path), cache=cache) is None
    assert len(server.requests) == 3


async def test_concurrent_asks_share_one_fetch(server: FeedServer, fetcher: Fetcher) -> None:
    server.route("/story", Reply(body=PAGE, headers={"Content-Type": "text/html"}, delay=0.05))
    cache = ArticleCache()
    texts = await asyncio.gather(*(fetch_article_text(fetcher, server.url("/story"), cache=cache) for _ in range(5)))
    assert len(set(texts)) == 1 and texts[0] is not None
    assert len(server.requests) == 1


async def test_cache_is_bounded_lru(server: FeedServer, make_fetcher: Callable[..., Fetcher]) -> None:
    fetcher = make_fetcher()
    for name in ("a", "b", "c"):
        server.route(f"/{name}", Reply(body=PAGE, headers={"Content-Type": "text/html"}))
    cache = ArticleCache(maxsize=2)
    for name in ("a", "b", "a", "c"):  # touching "a" makes "b" the oldest
        await fetch_article_text(fetcher, server.url(f"/{name}"), cache=cache)
    assert len(cache) == 2 and server.url("/a") in cache and server.url("/b") not in cache
    await fetch_article_text(fetcher, server.url("/b"), cache=cache)
    assert len(server.requests_for("/b")) == 2 and len(server.requests_for("/a")) == 1


# -- what one article page may cost (issue 13, item 4) -------------------------------------------------------


async def test_a_page_that_never_answers_costs_one_short_attempt(
    server: FeedServer, fetcher: Fetcher, sleep: RecordingSleep
) -> None:
    server.route("/hang", Reply(delay=math.inf))
    limits = ArticleLimits(timeout=0.3)
    assert fetcher.settings.retries == 2, "feeds keep their retries"
    assert await fetch_article_text(fetcher, server.url("/hang"), cache=ArticleCache(), limits=limits) is None
    assert len(server.requests_for("/hang")) == 1, "an article page is never retried"
    assert sleep.calls == [], "no backoff either"


async def test_a_page_over_the_article_cap_is_refused_and_never_extracted(
    server: FeedServer, fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    extracted: list[int] = []
    monkeypatch.setattr(article, "_extract", lambda body, *_: extracted.append(len(body)))
    monkeypatch.setattr(article, "_extract_plain", lambda body, *_: extracted.append(len(body)))
    big = PAGE + b"<!--" + b"x" * (3 * 1024 * 1024) + b"-->"
    server.route("/declared", Reply(body=big, headers={"Content-Type": "text/html"}))
    server.route("/chunked", Reply(body=big, headers={"Content-Type": "text/html"}, content_length=False))
    assert fetcher.settings.max_bytes == 10 * 1024 * 1024, "the feed cap is far above the page"
    for path in ("/declared", "/chunked"):
        assert await fetch_article_text(fetcher, server.url(path), cache=ArticleCache()) is None
    assert extracted == []


async def test_a_large_page_is_read_by_the_cheap_extractor(
    server: FeedServer, fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above 512 KiB trafilatura is not used (its cost grows faster than the page); the text is still found."""

    def no_trafilatura(*_: object, **__: object) -> str:
        raise AssertionError("trafilatura must not see a large page")

    monkeypatch.setattr("trafilatura.extract", no_trafilatura)  # bot.fetch.article imports it when it extracts
    filler = "<table>" + "<tr><td>cell</td><td>1,234</td></tr>" * 40_000 + "</table>"
    page = PAGE.replace(b"</article>", f"</article>{filler}".encode())
    assert RICH_BYTES < len(page) < ArticleLimits().max_bytes
    server.route("/big", Reply(body=page, headers={"Content-Type": "text/html; charset=utf-8"}))
    text = await fetch_article_text(fetcher, server.url("/big"), cache=ArticleCache())
    assert text is not None and STORY in text and SECOND in text
    assert "Sport" not in text and "newsletter" not in text, "navigation and footer are left out"


async def test_an_extraction_that_runs_too_long_is_given_up(
    server: FeedServer, fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def stuck(body: bytes, charset: str | None, url: str) -> str | None:
        release.wait(30)
        return "too late"

    monkeypatch.setattr(article, "_extract", stuck)
    server.route("/story", Reply(body=PAGE, headers={"Content-Type": "text/html"}))
    limits = ArticleLimits(extract_timeout=0.2)
    try:
        text = await fetch_article_text(fetcher, server.url("/story"), cache=ArticleCache(), limits=limits)
        assert text is None and not release.is_set(), "the caller gave up while the extraction still ran"
    finally:
        release.set()
