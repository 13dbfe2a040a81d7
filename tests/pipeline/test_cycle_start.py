"""Issue 14, item 2: a cycle starts its feeds a slice at a time, the event loop taking a turn between slices.

Every feed's first step (its state, its URL, the fetcher's limits) runs before it first waits; 500 of them
in one turn of the loop held command replies and dispatch for over 100 ms. Counted, not timed: a probe task
takes a turn whenever the loop gives one, and no turn may see more than a slice of feeds start.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy.engine import Engine

from bot.config import FeedsFile
from bot.pipeline import START_SLICE, FeedResult, FeedState, Pipeline

FEEDS = 4 * START_SLICE + 3
CONFIG = FeedsFile.model_validate(
    {"feeds": [{"id": f"f{n}", "url": f"http://127.0.0.1:9/{n}.xml", "language": "en"} for n in range(FEEDS)]}
)


@pytest.fixture
def pipeline(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    """A pipeline over ``FEEDS`` feeds whose states are read without the database (each test sets the poll)."""
    monkeypatch.setattr(Pipeline, "_states", lambda self, ids: {f.id: "skipped" for f in CONFIG.feeds})
    return Pipeline(engine=sqlite_engine, fetcher=None, config=CONFIG)  # type: ignore[arg-type]


async def test_a_cycle_gives_the_loop_a_turn_between_slices_of_feeds(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    turn, started, release = 0, Counter[int](), asyncio.Event()

    async def refresh(self: Pipeline, feed_id: str, state: FeedState | str | None = None) -> FeedResult:
        started[turn] += 1
        await release.wait()
        return FeedResult(feed_id, "unchanged")

    async def probe() -> None:
        nonlocal turn
        while sum(started.values()) < FEEDS:
            await asyncio.sleep(0)
            turn += 1
        release.set()

    monkeypatch.setattr(Pipeline, "refresh_feed", refresh)
    results, _ = await asyncio.wait_for(asyncio.gather(pipeline.poll_once(), probe()), 30)

    assert [r.feed_id for r in results] == [f.id for f in CONFIG.feeds]
    assert max(started.values()) <= START_SLICE
    assert len(started) >= FEEDS // START_SLICE


async def test_a_cancelled_cycle_cancels_the_feeds_it_started(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_slice, running, cancelled = asyncio.Event(), [0], [0]

    async def refresh(self: Pipeline, feed_id: str, state: FeedState | str | None = None) -> FeedResult:
        running[0] += 1
        if running[0] == START_SLICE:
            first_slice.set()
        try:
            await asyncio.Event().wait()  # never set: only cancellation ends it
        except asyncio.CancelledError:
            cancelled[0] += 1
            raise
        raise AssertionError("unreachable")

    monkeypatch.setattr(Pipeline, "refresh_feed", refresh)
    cycle = asyncio.create_task(pipeline.poll_once())
    await asyncio.wait_for(first_slice.wait(), 30)
    cycle.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cycle
    for _ in range(3):  # the cancelled feeds' tasks finish on their next turns
        await asyncio.sleep(0)
    assert 0 < running[0] < FEEDS, "cancelled while starting its slices"
    assert cancelled[0] == running[0], "no feed it started is left running"
