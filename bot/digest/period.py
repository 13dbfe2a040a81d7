"""Digest periods in the subscription's own time zone.

A scheduled digest covers the slot that just ended: from the previous run's wall-clock time to this run's
(Monday 08:00 → Monday 08:00 in Europe/London), so a period that crosses a DST change is 167 or 169 hours,
not 168, and the next period starts exactly where this one ended. The slot is computed from the schedule,
not from the moment the job ran: a late run, a retry an hour later or a rebuild at send time covers the
same period, and the outbox key (one digest per subscription and period) is the slot's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.tables import Subscription

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


@dataclass(frozen=True)
class Period:
    since: datetime  # aware UTC, included
    until: datetime  # aware UTC, excluded
    timezone: str
    kind: str  # "weekly" | "daily" | "custom"

    def previous(self) -> Period:
        """The period just before, of the same wall-clock length in the same time zone."""
        tz = zone(self.timezone)
        local_until, local_since = self.until.astimezone(tz), self.since.astimezone(tz)
        span = local_until.replace(tzinfo=None) - local_since.replace(tzinfo=None)
        return Period(_wall_minus(local_since, span), self.since, self.timezone, self.kind)


def zone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _wall_minus(local: datetime, span: timedelta) -> datetime:
    """``local`` minus ``span`` of wall-clock time (aware arithmetic in Python is wall-clock), as UTC."""
    return (local - span).astimezone(UTC)


def kind_of(sub: Subscription) -> str:
    return sub.digest if sub.digest in PERIODS else "weekly"


def ending_at(sub: Subscription, until: datetime, span: timedelta | None = None) -> Period:
    """The period that ends at ``until`` (an on-demand ``/digest`` or the CLI: until is now)."""
    if span is None:
        kind = kind_of(sub)
        span = PERIODS[kind]
    else:  # a span of exactly a day or a week is that period
        kind = next((k for k, v in PERIODS.items() if v == span), "custom")
    tz = zone(sub.timezone)
    until = until.astimezone(UTC)
    return Period(_wall_minus(until.astimezone(tz), span), until, str(tz), kind)


def last_slot(sub: Subscription, now: datetime) -> datetime:
    """The latest scheduled digest time at or before ``now`` (aware UTC)."""
    tz = zone(sub.timezone)
    local = now.astimezone(tz)
    slot = local.replace(hour=sub.digest_hour % 24, minute=0, second=0, microsecond=0)
    if kind_of(sub) == "weekly":
        slot -= timedelta(days=(local.weekday() - sub.digest_day % 7) % 7)
        step = timedelta(days=7)
    else:
        step = timedelta(days=1)
    # Wall-clock steps; compare as instants. A nonexistent local time (spring forward) resolves to
    # the instant after the gap, as the scheduler fires then.
    slot = slot.astimezone(UTC).astimezone(tz)
    if slot > local:
        slot = (slot - step).astimezone(UTC).astimezone(tz)
    return slot.astimezone(UTC)


def scheduled(sub: Subscription, now: datetime) -> Period:
    """The scheduled period for a run at ``now``: the slot that just ended."""
    return ending_at(sub, last_slot(sub, now))


def period_key(sub: Subscription, period: Period) -> str:
    """One digest per subscription and period: a second run of the same slot finds the key taken."""
    local = period.until.astimezone(zone(period.timezone))
    return f"digest:{period.kind}:{local:%Y-%m-%d}"
