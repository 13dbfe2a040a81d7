"""Shared work in a dispatch cycle: group-committed writes, one view per story, one INSERT per story's outbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.deliver.dispatcher import Dispatcher, DispatchSettings
from bot.deliver.groupwrite import GroupWriter
from bot.deliver.views import ViewCache
from storage import subscriptions as subs
from storage.db import session
from storage.tables import Delivery
from tests.deliver.test_dispatcher import HBM, Recorder, ingest, item, setup

NOW = datetime.now(UTC).replace(microsecond=0)


async def test_concurrent_writes_share_transactions_and_keep_their_own_results(engine: Engine) -> None:
    writer = GroupWriter(engine)

    def write(n: int, s: Session) -> int:
        return int(s.execute(text("SELECT :n"), {"n": n}).scalar_one())

    results = await asyncio.gather(*(writer.run(lambda s, n=n: write(n, s)) for n in range(200)))
    assert results == list(range(200))
    assert writer.transactions < 200, "writes submitted together commit together"


async def test_a_failing_write_fails_alone(engine: Engine) -> None:
    setup(engine, ("chat", "hbm"))
    writer = GroupWriter(engine)

    def good(s: Session) -> str:
        sub = subs.get_subscription(s, "test", "chat")
        assert sub is not None
        sub.paused_reason = "renamed"
        s.add(sub)
        return "ok"

    def bad(s: Session) -> str:
        s.execute(text("SELECT * FROM no_such_table"))
        return "never"

    got = await asyncio.gather(writer.run(good), writer.run(bad), writer.run(good), return_exceptions=True)
    assert got[0] == "ok" and got[2] == "ok" and isinstance(got[1], Exception)
    with session(engine) as s:
        sub = subs.get_subscription(s, "test", "chat")
        assert sub is not None and sub.paused_reason == "renamed", "the good writes were committed"


async def test_view_cache_builds_once_per_story_and_again_after_ttl() -> None:
    builds: list[int] = []
    clock = {"t": 0.0}

    def build(story_id: int) -> None:
        builds.append(story_id)

    cache = ViewCache(build, ttl=1.0, monotonic=lambda: clock["t"])  # type: ignore[arg-type]
    await asyncio.gather(*(cache.get(7) for _ in range(50)), cache.get(8))
    assert sorted(builds) == [7, 8]
    clock["t"] = 1.5
    await cache.get(7)
    assert builds.count(7) == 2, "a view older than the ttl is built again"


async def test_view_cache_does_not_keep_a_failed_build() -> None:
    calls = {"n": 0}

    def build(story_id: int) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database away")

    cache = ViewCache(build)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        await cache.get(1)
    assert await cache.get(1) is None and calls["n"] == 2


async def test_one_story_to_many_chats_builds_one_view_and_few_transactions(engine: Engine) -> None:
    setup(engine, *((f"chat-{i}", "hbm") for i in range(60)))
    ingest(engine, "a", item("a", 1, *HBM))
    rec = Recorder()
    d = Dispatcher(engine, {"test": rec}, owner="w", settings=DispatchSettings(pace=False))
    built: list[int] = []
    build = d.prepare.story_view
    d.prepare.story_view = lambda story_id: built.append(story_id) or build(story_id)  # type: ignore[method-assign]
    assert await d.dispatch_once() == 60
    assert sorted(t for t, _ in rec.sent) == sorted(f"chat-{i}" for i in range(60))
    assert len(built) == 1, "the view is shared by every chat of the cycle"
    assert d._writes.transactions < 2 * 60, "marks and outcomes share transactions"
    with session(engine) as s:
        rows = s.exec(select(Delivery)).all()
        assert {r.status for r in rows} == {"sent"} and all(r.lease_owner is None for r in rows)
        assert len({r.message_id for r in rows}) == 60
    assert await d.dispatch_once() == 0, "nothing is sent twice"


def test_enqueue_writes_each_subscription_once(engine: Engine) -> None:
    setup(engine, *((f"chat-{i}", "hbm") for i in range(5)))
    with session(engine) as s:
        ids = [x.id for x in subs.list_subscriptions(s) if x.id is not None]
        assert subs.enqueue(s, ids[:3], story_id=None, key="k", kind="notice", now=NOW, payload="{}") == 3
        assert subs.enqueue(s, [*ids, ids[0]], story_id=None, key="k", kind="notice", now=NOW) == 2
        s.commit()
    with session(engine) as s:
        assert s.exec(select(func.count()).select_from(Delivery)).one() == 5
        rows = s.exec(select(Delivery)).all()
        assert all(r.status == "pending" and r.attempts == 0 and not r.resent_after_crash for r in rows)
