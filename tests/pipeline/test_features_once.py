"""Feeds analysed in threads at once (``raqib poll --once`` over a few feeds) read the story term map once,
not once per feed: a 5-feed first poll used to read and compile it five times over."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from bot.analyze import Analysis, analyze
from bot.stories import terms

ITEM = (
    "<item><title>US adds {n} Chinese firms to the Entity List over AI chips</title>"
    "<link>https://w{n}.example/1</link><guid isPermaLink='false'>w{n}</guid>"
    "<description>The US Commerce Department added {n} Chinese companies, including chipmakers that supply "
    "Huawei, to the Entity List on Tuesday, restricting their access to American semiconductors and tools."
    "</description></item>"
)


def _feed(n: int) -> bytes:
    channel = f"<channel><title>W{n}</title>{ITEM.format(n=n)}</channel>"
    return f"<?xml version='1.0'?><rss version='2.0'>{channel}</rss>".encode()


def test_five_feeds_at_once_read_the_term_map_once() -> None:
    terms._load.cache_clear()
    terms._company_nouns.cache_clear()
    start = threading.Barrier(5)

    def one(n: int) -> Analysis:
        start.wait()
        return analyze(
            _feed(n),
            url=f"https://w{n}.example/rss",
            headers={"Content-Type": "application/rss+xml; charset=utf-8"},
            feed_id=f"w{n}",
            language="en",
            fetched=datetime(2026, 12, 2, tzinfo=UTC),
        )

    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(one, range(5)))
    assert all(len(r.features) == 1 for r in results), "every feed's relevant item has its story features"
    assert terms._load.cache_info().misses == 1
    assert terms._company_nouns.cache_info().misses <= 1
