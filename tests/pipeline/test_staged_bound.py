"""Issue 14, bounded memory: when the writer is slower than parsing, feeds wait before their analysis.

Ordering, not timing: the writer is held, so nothing is stored; every feed is fetched; the pipeline must then
hold all but two writer batches' worth of feeds before their analysis (``Pipeline._staged``), instead of
analysing every feed and keeping each analysis in memory until the writer takes it.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from sqlalchemy.engine import Engine

import bot.pipeline
from bot.app import fetch_settings
from bot.config import Env, parse_config
from bot.fetch import Fetcher
from bot.pipeline import STAGED_BATCHES, Pipeline
from storage.db import session
from storage.feeds import FeedSpec, sync_feeds
from tests.fakes.feedserver import FeedServer, Reply

WAIT = 30.0  # seconds; only reached when the bound does not hold
FEEDS = 12


def _rss(n: int) -> bytes:
    items = "".join(
        f"<item><title>Feed {n} item {i}: port cranes and harbour traffic</title><guid>f{n}-{i}</guid>"
        f"<link>https://site{n}.example/{i}</link><pubDate>Thu, 03 Dec 2026 08:0{i}:00 GMT</pubDate></item>"
        for i in range(3)
    )
    return f'<rss version="2.0"><channel><title>Feed {n}</title>{items}</channel></rss>'.encode()


async def test_feeds_wait_before_analysis_while_the_writer_is_behind(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    analysed, lock = [0], threading.Lock()
    real_analyze = bot.pipeline.analyze

    def counted(*args: Any, **kwargs: Any) -> Any:
        with lock:
            analysed[0] += 1
        return real_analyze(*args, **kwargs)

    queued = asyncio.Event()
    waiting = [0]

    class Watched(asyncio.Semaphore):
        async def acquire(self) -> bool:  # type: ignore[override]
            if self.locked():
                waiting[0] += 1
                if waiting[0] == FEEDS - bound:
                    queued.set()
            return await super().acquire()

    monkeypatch.setattr(bot.pipeline, "analyze", counted)
    monkeypatch.setattr(bot.pipeline, "Semaphore", Watched)
    config = parse_config(
        "settings: {allow_private_addresses: true, retries: 0}\nfeeds:\n"
        + "".join(f"  - {{id: f{n}, url: 'http://x/{n}', language: en}}\n" for n in range(FEEDS))
    )
    release = threading.Event()
    async with FeedServer() as server, Fetcher(fetch_settings(config, Env())) as fetcher:
        for n in range(FEEDS):
            server.route(f"/{n}.xml", Reply(body=_rss(n), headers={"Content-Type": "application/rss+xml"}))
        with session(sqlite_engine) as s:
            sync_feeds(s, [FeedSpec(f"f{n}", server.url(f"/{n}.xml"), "en") for n in range(FEEDS)])
        pipeline = Pipeline(engine=sqlite_engine, fetcher=fetcher, config=config)
        pipeline.writer.max_jobs = 1  # one feed a batch: a bound of STAGED_BATCHES feeds
        bound = STAGED_BATCHES * pipeline.writer.max_jobs
        real_write = pipeline.writer._write

        def held(jobs: list[Any]) -> Any:
            release.wait(WAIT)
            return real_write(jobs)

        pipeline.writer._write = held  # type: ignore[method-assign]
        cycle = asyncio.ensure_future(pipeline.poll_once())
        try:
            await asyncio.wait_for(queued.wait(), WAIT)
            assert analysed[0] <= bound  # the others were fetched and wait before their analysis
        finally:
            release.set()
        results = await asyncio.wait_for(cycle, WAIT)
    assert [r.status for r in results] == ["new"] * FEEDS
    assert analysed[0] == FEEDS and sum(r.new for r in results) == 3 * FEEDS
