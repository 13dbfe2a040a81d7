"""Periods in the subscription's time zone: slots, DST changes, keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from bot.digest.period import ending_at, last_slot, period_key, scheduled
from bot.digest.schedule import scheduled_period, trigger_for
from storage.tables import Subscription


def sub(**kw: object) -> Subscription:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    base: dict[str, object] = {"platform": "telegram", "target": "1", "created_at": now, "updated_at": now}
    return Subscription(**(base | kw))  # type: ignore[arg-type]


def test_weekly_period_across_the_spring_change_in_london() -> None:
    # Clocks go forward on Sunday 2025-03-30 in London: Monday 08:00 BST is 07:00 UTC.
    london = sub(digest="weekly", digest_day=0, digest_hour=8, timezone="Europe/London")
    p = scheduled(london, datetime(2025, 3, 31, 7, 0, 30, tzinfo=UTC))
    assert p.until == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)
    assert p.since == datetime(2025, 3, 24, 8, 0, tzinfo=UTC)  # 08:00 GMT the Monday before
    assert p.until - p.since == timedelta(hours=167)
    assert p.previous().until == p.since and p.previous().since == datetime(2025, 3, 17, 8, 0, tzinfo=UTC)
    assert period_key(london, p) == "digest:weekly:2025-03-31"


def test_daily_period_across_the_autumn_change_in_new_york() -> None:
    # Clocks go back on Sunday 2025-11-02 in New York: 07:00 EST is 12:00 UTC, 07:00 EDT was 11:00 UTC.
    ny = sub(digest="daily", digest_hour=7, timezone="America/New_York")
    p = scheduled(ny, datetime(2025, 11, 2, 12, 5, tzinfo=UTC))
    assert (p.since, p.until) == (datetime(2025, 11, 1, 11, 0, tzinfo=UTC), datetime(2025, 11, 2, 12, 0, tzinfo=UTC))
    assert p.until - p.since == timedelta(hours=25)
    assert period_key(ny, p) == "digest:daily:2025-11-02"
    # A run an hour late, or a retry, covers the same period.
    assert scheduled(ny, datetime(2025, 11, 2, 13, 30, tzinfo=UTC)) == p


def test_slot_before_the_hour_is_the_previous_one_and_early_runs_are_forgiven() -> None:
    dubai = sub(digest="weekly", digest_day=4, digest_hour=9, timezone="Asia/Dubai")  # Friday 09:00 UTC+4
    friday_0500_utc = datetime(2025, 6, 13, 5, 0, tzinfo=UTC)
    assert last_slot(dubai, friday_0500_utc) == friday_0500_utc
    assert last_slot(dubai, friday_0500_utc - timedelta(seconds=1)) == friday_0500_utc - timedelta(days=7)
    # The scheduler firing a few seconds early still belongs to this slot.
    assert scheduled_period(dubai, friday_0500_utc - timedelta(seconds=5)).until == friday_0500_utc


def test_the_cron_trigger_fires_at_the_local_hour_in_both_seasons() -> None:
    london = sub(digest="weekly", digest_day=0, digest_hour=8, timezone="Europe/London")
    trig = trigger_for(london)
    assert trig is not None
    winter = trig.get_next_fire_time(None, datetime(2025, 3, 20, tzinfo=UTC))
    summer = trig.get_next_fire_time(None, datetime(2025, 3, 25, tzinfo=UTC))
    assert winter is not None and summer is not None
    assert winter.astimezone(UTC) == datetime(2025, 3, 24, 8, 0, tzinfo=UTC)
    assert summer.astimezone(UTC) == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)
    assert trigger_for(sub(digest="off")) is None


def test_on_demand_period_ends_now_and_a_bad_zone_falls_back_to_utc() -> None:
    with time_machine.travel(datetime(2025, 3, 31, 12, 0, tzinfo=UTC), tick=False):
        now = datetime.now(UTC)
        p = ending_at(sub(timezone="Europe/London"), now)
        assert p.until == now and p.since == datetime(2025, 3, 24, 13, 0, tzinfo=UTC)  # 12:00 GMT → 13:00 BST
        q = ending_at(sub(timezone="Mars/Olympus"), now, timedelta(days=1))
        assert q.since == now - timedelta(days=1) and q.kind == "daily"
