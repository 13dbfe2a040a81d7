"""Group commit: small writes that many coroutines submit at about the same moment share one transaction.

The dispatcher sends to hundreds of chats concurrently, and each send has two small writes (``sending``
before the request, the outcome after it). One transaction each means one commit — on SQLite one WAL sync,
and the single writer lock — per write: at 1,000 chats that is most of an alert's delay. Here a write waits
only for the transaction already in progress (never for a timer): alone, it commits at once as before; under
load, everything submitted meanwhile commits together in the next one.

Each write is a function of a session that makes its own checks (the lease owner, the status) and returns
its answer, so sharing a transaction changes when a write commits, never what it decides. When a shared
transaction fails, each write is tried again alone, so one bad write cannot fail its neighbours and every
caller gets its own result or its own exception.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.db import session

T = TypeVar("T")
Write = Callable[[Session], Any]


class GroupWriter:
    def __init__(self, engine: Engine, max_batch: int = 500) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: list[tuple[Write, asyncio.Future[Any]]] = []
        self._task: asyncio.Task[None] | None = None
        self.transactions = 0  # for tests and benchmarks: how many commits the writes took

    async def run(self, write: Callable[[Session], T]) -> T:
        """Commit ``write`` (with whatever else is waiting) and return its result."""
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((write, fut))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await fut

    async def _drain(self) -> None:
        batch: list[tuple[Write, asyncio.Future[Any]]] = []
        try:
            while self._queue:
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                try:
                    results = await asyncio.to_thread(self._together, [w for w, _ in batch])
                except Exception as exc:
                    if len(batch) == 1:
                        _settle(batch[0][1], exc=exc)
                        continue
                    for write, fut in batch:  # alone, each write succeeds or fails on its own
                        try:
                            result = await asyncio.to_thread(self._together, [write])
                        except Exception as exc:
                            _settle(fut, exc=exc)
                        else:
                            _settle(fut, result=result[0])
                    continue
                for (_, fut), result in zip(batch, results, strict=True):
                    _settle(fut, result=result)
        except BaseException as exc:  # the writer itself failed or was cancelled: nobody waits forever
            for _, fut in [*batch, *self._queue]:
                _settle(fut, exc=exc if isinstance(exc, Exception) else asyncio.CancelledError())
            self._queue = []
            if not isinstance(exc, Exception):
                raise

    def _together(self, writes: list[Write]) -> list[Any]:
        with session(self.engine) as s:
            results = [write(s) for write in writes]
            s.commit()
        self.transactions += 1
        return results


def _settle(fut: asyncio.Future[Any], *, result: Any = None, exc: BaseException | None = None) -> None:
    if fut.done():
        return
    if exc is None:
        fut.set_result(result)
    elif isinstance(exc, asyncio.CancelledError):
        fut.cancel()
    else:
        fut.set_exception(exc)
        with contextlib.suppress(BaseException):
            fut.exception()  # marked retrieved: its caller may have gone away
