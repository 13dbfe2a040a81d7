"""The scheduler's jobs at shutdown: a run in flight finishes, or is cancelled quietly — never logged as a
failed job with a traceback (the report: ``raqib run`` stopped right after start, while the digest catch-up
ran)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine

from bot.config import FeedsFile
from bot.service.jobs import Jobs


def _jobs(engine: Engine) -> Jobs:
    return Jobs(AsyncIOScheduler(timezone="UTC"), engine, FeedsFile(), wake=lambda: None)


async def _start(jobs: Jobs, release: asyncio.Event) -> tuple[asyncio.Event, list[str]]:
    """One job that starts at once and runs until ``release``; returns (started, what it did)."""
    started, done = asyncio.Event(), []

    async def slow() -> None:
        started.set()
        await release.wait()
        done.append("finished")

    jobs._add(slow, "date", run_date=datetime.now(UTC), id="slow")
    jobs.scheduler.start()
    await asyncio.wait_for(started.wait(), timeout=10)
    return started, done


async def test_a_job_in_flight_finishes_before_the_scheduler_stops(
    sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    jobs, release = _jobs(sqlite_engine), asyncio.Event()
    _, done = await _start(jobs, release)
    stopping = asyncio.create_task(jobs.stop(grace=10))
    release.set()  # only after stop() began: had it cancelled the run, the run would not finish
    await asyncio.wait_for(stopping, timeout=10)
    assert done == ["finished"], "stop waited for the run in flight"
    assert not jobs.scheduler.running
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_job_still_running_after_the_grace_is_cancelled_without_a_traceback(
    sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    jobs = _jobs(sqlite_engine)
    _, done = await _start(jobs, asyncio.Event())  # never released
    running = set(jobs._running)
    await jobs.stop(grace=0.05)
    # APScheduler's done-callback (which logged the cancellation as a failure) runs before this wait returns
    await asyncio.wait(running, timeout=10)
    assert done == [] and not jobs.scheduler.running
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no 'Job … raised an exception'"
    assert any("job slow cancelled at shutdown" in r.getMessage() for r in caplog.records)
