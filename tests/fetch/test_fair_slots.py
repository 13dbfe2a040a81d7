"""FairSlots: article-page slots shared between feeds, so one feed's queue never keeps another waiting."""

from __future__ import annotations

import asyncio

import pytest

from bot.fetch.limits import FairSlots


async def _hold(slots: FairSlots, key: str, got: list[str], release: asyncio.Event) -> None:
    async with slots.slot(key):
        got.append(key)
        await release.wait()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_one_feed_holds_at_most_its_share_and_another_feed_gets_a_slot_at_once() -> None:
    slots = FairSlots(total=4, per_key=2)
    release, got = asyncio.Event(), []
    tasks = [asyncio.create_task(_hold(slots, "hostile", got, release)) for _ in range(8)]
    await _settle()
    assert got == ["hostile", "hostile"] and slots.held("hostile") == 2 and slots.free == 2
    healthy = asyncio.create_task(_hold(slots, "healthy", got, release))
    await _settle()
    assert got[-1] == "healthy", "a free slot is never kept from another feed by the first one's queue"
    release.set()
    await asyncio.gather(*tasks, healthy)
    assert got.count("hostile") == 8 and slots.free == 4


async def test_a_freed_slot_goes_to_the_waiting_feed_holding_the_fewest() -> None:
    slots = FairSlots(total=2, per_key=2)
    first, later, got = asyncio.Event(), asyncio.Event(), []
    held = [asyncio.create_task(_hold(slots, "hostile", got, first)) for _ in range(2)]
    queued = [asyncio.create_task(_hold(slots, "hostile", got, later)) for _ in range(5)]
    await _settle()
    other = asyncio.create_task(_hold(slots, "other", got, later))  # queued after all five
    await _settle()
    assert got == ["hostile", "hostile"]
    first.set()  # both slots come free: one goes to "other", which held none, before the older queue
    await asyncio.gather(*held)
    await _settle()
    assert got[2:4].count("other") == 1
    later.set()
    await asyncio.gather(*queued, other)
    assert slots.free == 2


async def test_a_cancelled_waiter_loses_nothing() -> None:
    slots = FairSlots(total=1, per_key=1)
    release, got = asyncio.Event(), []
    holder = asyncio.create_task(_hold(slots, "a", got, release))
    await _settle()
    waiter = asyncio.create_task(_hold(slots, "b", got, release))
    await _settle()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    release.set()
    await holder
    assert slots.free == 1 and got == ["a"]
    async with slots.slot("c"):
        assert slots.free == 0
