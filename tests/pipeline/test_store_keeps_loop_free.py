"""Issue 14, item 2: a cycle storing a large batch must not stall command replies or dispatch.

Ordering, not timing: the writer is held inside its transaction (in story assignment, where a large batch
spends its time) until a chat command has been answered on the event loop. If storing ran on the loop, or
held it, the reply could not come first and the held writer would give up waiting.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.commands.core import Core
from bot.commands.model import Invocation
from bot.pipeline import Pipeline
from bot.stories.assign import Assigner
from tests.pipeline.test_batch_store import CONFIG, _prepare, polls

WAIT = 30.0  # seconds; only reached when the order is wrong


async def test_a_command_is_answered_while_the_writer_stores_a_batch(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _prepare(sqlite_engine)
    loop = asyncio.get_running_loop()
    storing = asyncio.Event()
    answered = threading.Event()
    order: list[str] = []
    real_assign = Assigner.assign

    def held_assign(self: Assigner, *args: Any, **kwargs: Any) -> Any:
        if not storing.is_set() and not order:
            order.append("storing")
            loop.call_soon_threadsafe(storing.set)
            # The writer's transaction stays open until the command is answered (or gives up).
            if answered.wait(WAIT):
                order.append("writer saw the reply")
        return real_assign(self, *args, **kwargs)

    monkeypatch.setattr(Assigner, "assign", held_assign)
    pipeline = Pipeline(engine=engine, fetcher=None, config=CONFIG)  # type: ignore[arg-type]  # stores only
    core = Core(engine, secret=b"test")

    jobs = polls(first_poll=False)
    stores = [asyncio.ensure_future(pipeline.writer.submit(job)) for job in jobs]
    await asyncio.wait_for(storing.wait(), WAIT)
    reply = await asyncio.wait_for(
        core.handle(Invocation(platform="telegram", chat_id="42", chat_type="private", user_id="7", command="help")),
        WAIT,
    )
    order.append("replied")
    answered.set()
    results = await asyncio.wait_for(asyncio.gather(*stores), WAIT)
    order.append("stored")

    assert not reply.error and reply.text
    assert order == ["storing", "replied", "writer saw the reply", "stored"]
    assert sum(r.new for r in results) == sum(len(j.items) for j in jobs)  # the held batch was stored whole
