"""The scheduler's jobs: feed polls, retention, digests, trend alerts — each a method, testable directly.

A poller schedules one interval job per enabled feed (jittered; the first runs spread over a few seconds)
and takes each feed with the pipeline's ``FeedClaim`` before polling it; a dispatcher schedules each
subscription's digest, a catch-up of digest slots missed while the service was down, and the trend alerts.

At shutdown the jobs in flight get ``JOB_GRACE`` seconds to finish; the rest are cancelled quietly (the
scheduler's own cancellation logged each as a failed job, with a traceback).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine

from bot import metrics, runtime
from bot.config import FeedsFile
from bot.digest.schedule import catch_up, digest_jobs, enqueue_digest
from bot.digest.spikes import enqueue_trend_alerts
from bot.pipeline import FeedResult, Pipeline
from bot.service import notices
from storage import subscriptions as subs
from storage.db import session
from storage.retention import prune

log = logging.getLogger("raqib.service")
JOB_GRACE = 5.0  # seconds the jobs in flight get to finish at shutdown


def claim_horizon(config: FeedsFile) -> float:
    """The furthest ahead a feed's ``next_poll`` is ever set (seconds): beyond it the clock went back.

    The longest of a failing feed's backoff (its jitter adds up to a quarter) and a feed's own pace
    (``max_feed_interval``), plus two of the longest configured intervals (a configured interval above the
    pace's ceiling is kept, and the scheduler's runs fall up to an interval apart).
    """
    s = config.settings
    longest = max((config.interval(f) for f in config.feeds), default=s.default_interval)
    return max(1.25 * s.max_backoff, s.max_feed_interval) + 2 * longest


class Jobs:
    def __init__(self, scheduler: AsyncIOScheduler, engine: Engine, config: FeedsFile, wake: Callable[[], None]):
        self.scheduler, self.engine, self.config, self.wake = scheduler, engine, config, wake
        self.pipeline: Pipeline | None = None  # a poller's
        self.last_poll_ok: datetime | None = None
        self._running: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self.collections = runtime.FullCollections()

    # -- what each role schedules --------------------------------------------------------------------
    def start_polling(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.schedule_feeds()
        self._add(
            self.retention,
            "interval",
            hours=6,
            id="retention",
            coalesce=True,
            next_run_time=datetime.now(UTC) + timedelta(minutes=5),
        )
        # Full garbage collections wait for a quiet writer (``bot.runtime``: the service settles at start).
        self._add(self.collect_garbage, "interval", seconds=runtime.TICK, id="gc", coalesce=True)

    async def collect_garbage(self) -> None:
        busy = self.pipeline is not None and self.pipeline.writer.busy
        if self.collections.tick(busy):
            log.debug("full garbage collection (%s)", "writer busy, overdue" if busy else "writer idle")

    def start_dispatching(self) -> None:
        self.schedule_digests()
        # A chat's /settings digest … changes its schedule while we run: keep the jobs in step, and
        # catch up on a slot missed while the service was down (the outbox key makes repeats harmless).
        self._add(self.schedule_digests, "interval", minutes=5, id="digest-sync", coalesce=True)
        self._add(self.catch_up_digests, "date", run_date=datetime.now(UTC), id="digest-catch-up")
        self._add(
            self.trends,
            "interval",
            hours=1,
            id="trends",
            coalesce=True,
            next_run_time=datetime.now(UTC) + timedelta(minutes=10),
        )

    def reconfigure(self, config: FeedsFile) -> None:
        """A reloaded feeds file: feed jobs added, removed or rescheduled, digests re-read."""
        self.config = config
        if self.pipeline is not None:
            self.pipeline.config = config
            self.schedule_feeds()

    # -- feeds -----------------------------------------------------------------------------------------
    def schedule_feeds(self) -> None:
        now = datetime.now(UTC)
        wanted = {f"feed:{f.id}": f for f in self.config.feeds if f.enabled}
        claim = self.pipeline.claim if self.pipeline is not None else None
        if claim is not None:
            # A run may come up to the jitter early (APScheduler draws it afresh for every run).
            shortest = min((self.config.interval(f) for f in wanted.values()), default=600.0)
            claim.slack = min(self.config.settings.interval_jitter + 0.5, shortest / 2)
            claim.horizon = claim_horizon(self.config)
        for job in self.scheduler.get_jobs():
            if job.id.startswith("feed:") and job.id not in wanted:
                job.remove()
        for job_id, feed in wanted.items():
            interval = self.config.interval(feed)
            self._add(
                self.poll,
                "interval",
                args=[feed.id],
                id=job_id,
                replace_existing=True,
                seconds=interval,
                jitter=min(self.config.settings.interval_jitter, interval / 4),
                coalesce=True,
                max_instances=1,
                misfire_grace_time=max(int(interval), 30),
                # the first polls spread over a few seconds rather than all at once
                next_run_time=now + timedelta(seconds=random.uniform(0, min(5.0, interval))),
            )

    async def poll(self, feed_id: str) -> None:
        if self.pipeline is None:  # feed jobs are scheduled only once the pipeline exists
            raise RuntimeError("a feed job ran before the pipeline was built")
        started = asyncio.get_running_loop().time()
        result: FeedResult = await self.pipeline.refresh_feed(feed_id)
        metrics.FEEDS_POLLED.labels(result.status).inc()
        if result.status != "skipped":
            metrics.POLL_SECONDS.observe(asyncio.get_running_loop().time() - started)
        if result.status in ("new", "unchanged", "not_modified"):
            self.last_poll_ok = datetime.now(UTC)
        if result.new:  # a failure was already logged, once, where it was classified (the pipeline)
            log.info(
                "feed %s: %d new items, %d relevant, %d new stories",
                feed_id,
                result.new,
                result.relevant,
                result.new_stories,
            )
        metrics.ITEMS_NEW.inc(result.new)
        metrics.record_matches(result.relevant, result.new + result.updated)
        metrics.STORIES_NEW.inc(result.new_stories)
        if result.alerts:
            self.wake()
        if result.disabled:
            await asyncio.to_thread(
                notices.feed_disabled, self.engine, self.config.settings, feed_id, result.error or ""
            )

    async def retention(self) -> None:
        days = self.config.settings.retention_days
        pruned = await asyncio.to_thread(prune, self.engine, datetime.now(UTC) - timedelta(days=days))
        log.info("retention: %d items older than %d days pruned to tombstones", pruned, days)

    # -- digests and trends ----------------------------------------------------------------------------
    async def catch_up_digests(self) -> None:
        if await asyncio.to_thread(catch_up, self.engine, datetime.now(UTC)):
            self.wake()

    async def trends(self) -> None:
        """Instant trend alerts for the subscriptions that asked for them (/settings trends on)."""

        def run() -> int:
            with session(self.engine) as s:
                ids = [x.id for x in subs.list_subscriptions(s, active_only=True) if x.trend_alerts and x.id]
            return enqueue_trend_alerts(self.engine, datetime.now(UTC), ids) if ids else 0

        if await asyncio.to_thread(run):
            self.wake()

    def schedule_digests(self) -> None:
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest:"):
                job.remove()
        with session(self.engine) as s:
            for sub_id, trigger in digest_jobs(subs.list_subscriptions(s, active_only=True)):
                self._add(
                    self.digest,
                    trigger,
                    args=[sub_id],
                    id=f"digest:{sub_id}",
                    coalesce=True,
                    misfire_grace_time=3600,
                    max_instances=1,
                )

    async def digest(self, sub_id: int) -> None:
        await asyncio.to_thread(enqueue_digest, self.engine, sub_id, datetime.now(UTC))
        self.wake()

    # -- running and stopping --------------------------------------------------------------------------
    def _add(self, func: Callable[..., Any], trigger: Any, *, args: list[Any] | None = None, **kw: Any) -> None:
        """A job whose runs are tracked, so that shutdown can let them finish (see ``stop``)."""
        if not asyncio.iscoroutinefunction(func):
            self.scheduler.add_job(func, trigger, args=args, **kw)
            return
        name = kw.get("id") or func.__name__
        kw.setdefault("name", name)
        self.scheduler.add_job(self._run, trigger, args=[name, func, *(args or [])], **kw)

    async def _run(self, name: str, func: Callable[..., Awaitable[None]], *args: Any) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await func(*args)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            log.info("job %s cancelled at shutdown", name)  # our own cancellation: not a failure
        finally:
            if task is not None:
                self._running.discard(task)

    async def stop(self, grace: float = JOB_GRACE) -> None:
        """No new runs; the runs in flight finish (within ``grace``) or are cancelled; the scheduler stops."""
        self._stopping = True
        if not self.scheduler.running:
            return
        self.scheduler.pause()
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)
        self.scheduler.shutdown(wait=False)  # cancels what is still running
