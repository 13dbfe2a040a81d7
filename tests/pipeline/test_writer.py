"""``BatchWriter``: jobs from many coroutines are written in batches by one thread, in submission order; a
job's failure reaches its own caller only; a cancelled writer never leaves a caller waiting."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.writer import BatchWriter, WriterStopped


class Recorder:
    """A ``write`` that blocks its first call until released, so that later jobs queue up behind it."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.threads: set[int] = set()

    def __call__(self, jobs: list[str]) -> list[str | Exception]:
        self.threads.add(threading.get_ident())
        self.batches.append(list(jobs))
        if len(self.batches) == 1:
            self.entered.set()
            assert self.release.wait(10)
        return [ValueError(f"bad {j}") if j.startswith("bad") else j.upper() for j in jobs]


async def _first_write_started(rec: Recorder) -> None:
    assert await asyncio.to_thread(rec.entered.wait, 10)


async def test_jobs_queued_during_a_write_go_in_one_batch_in_order() -> None:
    rec = Recorder()
    writer: BatchWriter[str, str] = BatchWriter(rec)
    first = asyncio.create_task(writer.submit("a1"))
    await _first_write_started(rec)
    rest = [asyncio.create_task(writer.submit(j)) for j in ("b1", "a2", "c1", "b2")]
    await asyncio.sleep(0)  # let them queue (no timing: the write is blocked until released)
    rec.release.set()
    assert await first == "A1"
    assert [await t for t in rest] == ["B1", "A2", "C1", "B2"]
    # a lone job is written at once; the four that came meanwhile share the next transaction, in order
    assert rec.batches == [["a1"], ["b1", "a2", "c1", "b2"]]
    assert writer.batches == 2


async def test_a_failing_job_fails_alone() -> None:
    rec = Recorder()
    rec.release.set()
    writer: BatchWriter[str, str] = BatchWriter(rec)
    results = await asyncio.gather(*(writer.submit(j) for j in ("x", "bad-y", "z")), return_exceptions=True)
    assert results[0] == "X" and results[2] == "Z"
    assert isinstance(results[1], ValueError) and "bad-y" in str(results[1])


async def test_batches_are_bounded_by_jobs_and_weight() -> None:
    rec = Recorder()
    writer: BatchWriter[str, str] = BatchWriter(rec, max_jobs=3, max_weight=10, weight=len)
    first = asyncio.create_task(writer.submit("w"))
    await _first_write_started(rec)
    jobs = ["aa", "bb", "cc", "dd", "eeeeeeeeee", "f"]
    tasks = [asyncio.create_task(writer.submit(j)) for j in jobs]
    await asyncio.sleep(0)
    rec.release.set()
    await first
    assert [await t for t in tasks] == [j.upper() for j in jobs]
    # three jobs at most; a heavy job starts a batch of its own rather than overfilling one
    assert rec.batches[1:] == [["aa", "bb", "cc"], ["dd"], ["eeeeeeeeee"], ["f"]]


async def test_a_write_that_raises_fails_its_whole_batch_and_the_writer_goes_on() -> None:
    calls: list[list[str]] = []

    def write(jobs: list[str]) -> list[str | Exception]:
        calls.append(jobs)
        if "boom" in jobs:
            raise RuntimeError("database gone")
        return list(jobs)

    writer: BatchWriter[str, str] = BatchWriter(write)
    with pytest.raises(RuntimeError, match="database gone"):
        await writer.submit("boom")
    assert await writer.submit("next") == "next"


async def test_a_cancelled_writer_tells_every_waiting_caller() -> None:
    rec = Recorder()
    writer: BatchWriter[str, str] = BatchWriter(rec)
    first = asyncio.create_task(writer.submit("a"))
    await _first_write_started(rec)
    queued = asyncio.create_task(writer.submit("b"))
    await asyncio.sleep(0)
    assert writer._task is not None
    writer._task.cancel()
    with pytest.raises(WriterStopped):
        await first
    with pytest.raises(WriterStopped):
        await queued
    rec.release.set()  # the thread finishes its transaction on its own


async def test_a_cancelled_caller_does_not_stop_the_others() -> None:
    rec = Recorder()
    writer: BatchWriter[str, str] = BatchWriter(rec)
    first = asyncio.create_task(writer.submit("a"))
    await _first_write_started(rec)
    gone = asyncio.create_task(writer.submit("b"))
    kept = asyncio.create_task(writer.submit("c"))
    await asyncio.sleep(0)
    gone.cancel()
    rec.release.set()
    assert await first == "A" and await kept == "C"
    assert rec.batches[1] == ["b", "c"]  # the cancelled caller's job is still written


def test_each_event_loop_gets_its_own_drain_task() -> None:
    rec = Recorder()
    rec.release.set()
    writer: BatchWriter[str, str] = BatchWriter(rec)
    assert asyncio.run(writer.submit("one")) == "ONE"
    assert asyncio.run(writer.submit("two")) == "TWO"  # a second asyncio.run, as the CLI and tests do
