"""Issue 14, item 2: no full garbage collection while the writer stores, and a short thread switch
(``bot.runtime``).

A full collection walks the whole old generation with the GIL held: in a 500-feed field cycle, nine of them
stalled the event loop 120–150 ms each. After ``settle`` CPython runs none on its own; the scheduler's job
runs one when the writer is idle, or when the last is ``FULL_AFTER`` old. Each test builds garbage that only
a full collection frees (a reference cycle in the old generation) and watches it through a weak reference.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import weakref
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import runtime
from bot.config import FeedsFile
from bot.service.jobs import Jobs
from bot.writer import BatchWriter
from tests.pipeline.test_writer import Recorder


class Node:
    other: Node | None = None


before = sys.getswitchinterval()


@pytest.fixture
def settled() -> Iterator[None]:
    runtime.settle()
    try:
        yield
    finally:
        runtime.restore()


def old_cycle() -> weakref.ref[Node]:
    """A reference cycle that survives the young collections into the old generation, then is dropped."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    gc.collect(1)  # both alive: moved to the old generation
    ref = weakref.ref(a)
    del a, b
    gc.collect(1)  # the young generations again: the cycle is not in them any more
    return ref


def churn() -> list[Node]:
    """Objects that live on, as a cycle's stories and rows do: enough for CPython's own rule to call for a
    full collection (thirty times its count of young collections, the old generation grown by a quarter)."""
    young, middle, _ = gc.get_threshold()
    return [Node() for _ in range(max(30 * young * middle, len(gc.get_objects()) // 2 + 10_000))]


def test_settle_stops_automatic_full_collections_and_restore_brings_them_back(settled: None) -> None:
    assert gc.get_threshold()[2] == runtime.DEFERRED
    assert gc.get_freeze_count() > 0, "what start-up built is out of the collector's sight"
    assert sys.getswitchinterval() == runtime.SWITCH_INTERVAL
    ref, kept = old_cycle(), churn()
    assert ref() is not None, "no full collection ran on its own"
    runtime.restore()
    assert gc.get_threshold()[2] != runtime.DEFERRED and gc.get_freeze_count() == 0
    assert sys.getswitchinterval() == before
    ref, kept = old_cycle(), churn()  # the same with CPython's defaults: a full collection frees the cycle
    assert ref() is None
    del kept


def test_an_idle_writer_gets_a_full_collection(settled: None) -> None:
    ref = old_cycle()
    collections = runtime.FullCollections()
    assert collections.tick(busy=False)
    assert ref() is None and collections.runs == 1


def test_a_busy_writer_waits_until_the_last_full_collection_is_old(settled: None) -> None:
    now = [1000.0]
    collections = runtime.FullCollections(clock=lambda: now[0])
    ref = old_cycle()
    assert not collections.tick(busy=True)
    assert ref() is not None, "the writer is busy and the last full collection is recent"
    now[0] += runtime.FULL_AFTER
    assert collections.tick(busy=True), "overdue: collected even while busy"
    assert ref() is None


def test_nothing_to_do_when_nothing_reached_the_old_generation(settled: None) -> None:
    collections = runtime.FullCollections()
    gc.collect()  # everything collected: no young collection since
    assert not collections.tick(busy=False)
    assert collections.runs == 0


async def test_the_service_job_waits_for_a_quiet_writer(settled: None) -> None:
    """``Jobs.start_polling`` schedules the look; a batch being written holds the collection back."""
    rec = Recorder()
    pipeline = SimpleNamespace(writer=BatchWriter(rec), claim=None)
    jobs = Jobs(AsyncIOScheduler(timezone="UTC"), None, FeedsFile(), wake=lambda: None)  # type: ignore[arg-type]
    jobs.start_polling(pipeline)  # type: ignore[arg-type]
    assert jobs.scheduler.get_job("gc") is not None
    storing = asyncio.create_task(pipeline.writer.submit("a"))
    assert await asyncio.to_thread(rec.entered.wait, 10)
    ref = old_cycle()
    await jobs.collect_garbage()
    assert ref() is not None and jobs.collections.runs == 0, "the writer was busy"
    rec.release.set()
    assert await asyncio.wait_for(storing, 10) == "A"
    await jobs.collect_garbage()
    assert ref() is None and jobs.collections.runs == 1
