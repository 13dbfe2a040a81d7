"""Digest schedules: a cron trigger per subscription in its own time zone, and the outbox row per period.

Once per period: ``enqueue_digest`` writes one ``digest`` row keyed ``digest:<kind>:<local date of the
slot>`` (``bot.digest.period.period_key``); the outbox's unique (subscription, key) makes a second run of
the same slot — a restart, a second service instance, a catch-up — a no-op. The dispatcher then sends it,
retrying on failure, and rebuilds the digest at send time (``bot.digest.deliver``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine

from bot.digest.build import build_digest
from bot.digest.deliver import digest_payload
from bot.digest.period import Period, last_slot, period_key, scheduled, zone
from bot.digest.render import render_text
from storage import subscriptions as subs
from storage.db import session
from storage.tables import Subscription

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A job that fires a moment early (clock adjustments) still belongs to the slot it was meant for.
EARLY = timedelta(seconds=60)

__all__ = ["DAYS", "catch_up", "digest_jobs", "enqueue_digest", "period_key", "trigger_for"]


def trigger_for(sub: Subscription) -> CronTrigger | None:
    if sub.digest not in ("daily", "weekly"):
        return None
    day = DAYS[sub.digest_day % 7] if sub.digest == "weekly" else "*"
    return CronTrigger(day_of_week=day, hour=sub.digest_hour % 24, minute=0, timezone=zone(sub.timezone))


def digest_jobs(subscriptions: Iterable[Subscription]) -> list[tuple[int, CronTrigger]]:
    return [(s.id, trig) for s in subscriptions if s.id is not None and (trig := trigger_for(s)) is not None]


def scheduled_period(sub: Subscription, now: datetime) -> Period:
    return scheduled(sub, now + EARLY)


def enqueue_digest(engine: Engine, sub_id: int, now: datetime) -> bool:
    """The scheduler's job: queue this subscription's digest for the slot that just ended. True when a row
    was added (False: paused, digest off, or this period's digest is already queued or sent)."""
    with session(engine) as s:
        sub = s.get(Subscription, sub_id)
        if sub is None or sub.paused or sub.digest not in ("daily", "weekly"):
            return False
        period = scheduled_period(sub, now)
        text = render_text(build_digest(s, sub, period=period))
        added = subs.enqueue(
            s,
            [sub_id],
            story_id=None,
            key=period_key(sub, period),
            kind="digest",
            now=now,
            payload=digest_payload(sub, period, text),
        )
        s.commit()
        return added > 0


def catch_up(engine: Engine, now: datetime, within: timedelta = timedelta(hours=12)) -> int:
    """At start-up: queue the digests whose slot passed less than ``within`` ago while the service was
    down (the key makes this harmless when they were sent). Returns how many were queued."""
    with session(engine) as s:
        due = [
            sub.id
            for sub in subs.list_subscriptions(s, active_only=True)
            if sub.id is not None and trigger_for(sub) is not None and now - last_slot(sub, now) <= within
        ]
    return sum(enqueue_digest(engine, sub_id, now) for sub_id in due)
