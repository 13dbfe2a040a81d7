"""One writer for many pollers: jobs queue up, and a worker thread writes them in batches, in order.

Why: SQLite has one writer, and per-feed transactions from many threads only contend for it; a single
writer that takes everything queued while the previous batch was being written turns N feeds into a few
transactions (a commit, a cache sync and a story-summary update per batch instead of per feed). Nothing
waits to fill a batch: a lone job is written at once, batches grow only when jobs arrive faster than the
database takes them.

There is nothing to start or stop: the drain task starts with the first job and ends when the queue is
empty, on whichever event loop submitted it. ``write`` returns one result per job — a value, or the
exception that failed that job alone — and is called in a thread, one call at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger("raqib.writer")

J = TypeVar("J")
R = TypeVar("R")


class WriterStopped(RuntimeError):
    """The writer was cancelled (the service is stopping) before this job's batch was written."""


class BatchWriter(Generic[J, R]):
    def __init__(
        self,
        write: Callable[[list[J]], Sequence[R | Exception]],
        *,
        max_jobs: int = 64,
        max_weight: int = 5000,
        weight: Callable[[J], int] = lambda _job: 1,
    ) -> None:
        """``max_jobs``/``max_weight`` bound one batch (``weight``: e.g. a job's item count), so one
        transaction never holds the database for long."""
        self._write = write
        self.max_jobs, self.max_weight, self._weight = max_jobs, max_weight, weight
        self._queue: deque[tuple[J, asyncio.Future[R]]] = deque()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # batches written (for tests and benchmarks)

    @property
    def busy(self) -> bool:
        """Jobs queued or a batch being written."""
        return bool(self._queue) or (self._task is not None and not self._task.done())

    async def submit(self, job: J) -> R:
        """Queue ``job``; returns its result once its batch is committed, or raises its exception."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R] = loop.create_future()
        self._queue.append((job, fut))
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._drain(), name="raqib-writer")
        return await fut

    def _take(self) -> list[tuple[J, asyncio.Future[R]]]:
        batch: list[tuple[J, asyncio.Future[R]]] = []
        weight = 0
        while self._queue and len(batch) < self.max_jobs:
            w = self._weight(self._queue[0][0])
            if batch and weight + w > self.max_weight:
                break
            batch.append(self._queue.popleft())
            weight += w
        return batch

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            if self._queue[0][1].get_loop() is not loop:  # left by an event loop that has ended
                self._queue.popleft()
                continue
            batch = self._take()
            try:
                results = await asyncio.to_thread(self._write, [job for job, _ in batch])
            except asyncio.CancelledError:
                # The thread finishes its transaction on its own; those waiting are told it may not have.
                stopped = WriterStopped("the writer stopped before this batch was confirmed")
                for _, fut in [*batch, *self._queue]:
                    if not fut.done():
                        fut.set_exception(stopped)
                self._queue.clear()
                raise
            except Exception as exc:  # ``write`` failed as a whole: every job of the batch shares it
                log.exception("writing a batch of %d jobs failed", len(batch))
                results = [exc] * len(batch)
            self.batches += 1
            if len(results) != len(batch):  # a bug in ``write``: nobody may wait forever for it
                results = [RuntimeError(f"writer returned {len(results)} results for {len(batch)} jobs")] * len(batch)
            for (_, fut), result in zip(batch, results, strict=True):
                if fut.done():  # its caller was cancelled; the job is written all the same
                    continue
                if isinstance(result, Exception):
                    fut.set_exception(result)
                else:
                    fut.set_result(result)
