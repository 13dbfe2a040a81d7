"""Digest schedules: a cron trigger per subscription in its own time zone, and the outbox row for a period."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine

from bot.digest.build import digest_reply
from storage import subscriptions as subs
from storage.db import session
from storage.tables import Subscription

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def trigger_for(sub: Subscription) -> CronTrigger | None:
    if sub.digest not in ("daily", "weekly"):
        return None
    try:
        tz = ZoneInfo(sub.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    day = DAYS[sub.digest_day % 7] if sub.digest == "weekly" else "*"
    return CronTrigger(day_of_week=day, hour=sub.digest_hour % 24, minute=0, timezone=tz)


def digest_jobs(subscriptions: Iterable[Subscription]) -> list[tuple[int, CronTrigger]]:
    return [(s.id, trig) for s in subscriptions if s.id is not None and (trig := trigger_for(s)) is not None]


def period_key(sub: Subscription, now: datetime) -> str:
    """One digest per subscription and period: the key makes a second run of the same slot a no-op."""
    local = now.astimezone(ZoneInfo(sub.timezone) if sub.timezone else ZoneInfo("UTC"))
    if sub.digest == "weekly":
        iso = local.isocalendar()
        return f"digest:{iso.year}-W{iso.week:02d}"
    return f"digest:{local:%Y-%m-%d}"


def enqueue_digest(engine: Engine, sub_id: int, now: datetime) -> bool:
    with session(engine) as s:
        sub = s.get(Subscription, sub_id)
        if sub is None or sub.paused:
            return False
        reply = digest_reply(s, sub, now)
        if reply is None:
            return False
        added = subs.enqueue(
            s,
            [sub_id],
            story_id=None,
            key=period_key(sub, now),
            kind="digest",
            now=now,
            payload=json.dumps({"text": reply.text}, ensure_ascii=False),
        )
        s.commit()
        return added > 0
