"""The service's ``/healthz`` report: the database answers, feeds poll, the dispatcher makes progress."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot import metrics
from bot.config import FeedsFile
from bot.deliver.dispatcher import Dispatcher
from bot.service.roles import polls
from storage import subscriptions as subs
from storage.db import session


async def report(
    engine: Engine,
    config: FeedsFile,
    role: str,
    *,
    last_poll_ok: datetime | None,
    dispatcher: Dispatcher | None,
    scheduler_running: bool,
) -> dict[str, object]:
    """The report ``bot.metrics.serve`` answers with (503 when not ``ok``); also sets the pending gauge."""

    def counts() -> dict[str, Any]:
        with session(engine) as s:
            return subs.service_counts(s)

    try:
        c = await asyncio.to_thread(counts)
        db_ok = True
    except Exception:
        c, db_ok = {}, False
    metrics.PENDING.set(float(c.get("pending", 0) or 0))
    age = metrics.age_seconds(last_poll_ok)
    interval = max((config.interval(f) for f in config.feeds), default=600)
    poll_ok = not polls(role) or (age is not None and age < 3 * interval)
    reasons = metrics.degraded_reasons(
        database=db_ok,
        feeds_enabled=c.get("polled") if polls(role) else None,
        feeds_failing=c.get("broken"),
        oldest_due=c.get("oldest_due"),
        dispatcher_cycle=dispatcher.last_cycle if dispatcher else None,
        dispatcher_running=dispatcher is not None,
    )
    ok = not reasons and scheduler_running and (poll_ok or age is None)
    return {
        "ok": ok,
        "reasons": reasons,
        "database": db_ok,
        "scheduler": scheduler_running,
        "last_poll_age_s": age,
        "role": role,
        "feeds": c.get("feeds"),
        "pending_deliveries": c.get("pending"),
    }
