"""The feed's own pacing: how long it asks us to wait before polling again, kept within our bounds.

A feed can ask in four ways, read by two stages:

* HTTP, here: ``Cache-Control: max-age`` (less the ``Age`` a cache already held it), or, without a usable
  max-age, ``Expires`` (measured from the response's own ``Date``, so the server's clock skew cancels out);
* the document, in ``bot.parse.pacing``: RSS ``<ttl>`` (minutes) and ``sy:updatePeriod`` /
  ``sy:updateFrequency`` (the syndication module).

The largest ask wins: each one says "nothing new before then", and the slowest is the politest reading.
Bounds (``pace``): the feed's configured interval is the floor, so a feed is never polled faster than the
feeds file says, and ``max_feed_interval`` is the ceiling, so a CMS default of "daily" cannot hold a news
feed's stories back for a day. Values we cannot trust are ignored, never guessed at: a garbage or
non-positive number, ``no-cache``/``no-store``, an ``Expires`` that is not a date or already past.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# A sane ceiling before any arithmetic: a number of seconds that no feed means (ten years), and that keeps a
# hostile "max-age=9999…9" from becoming a float overflow or a date out of range downstream.
_LONGEST = 10 * 365 * 86400.0
_MAX_AGE = re.compile(r'^max-age\s*=\s*"?([0-9]{1,12})"?$', re.IGNORECASE)
_NO_FRESHNESS = frozenset({"no-cache", "no-store"})


@dataclass(frozen=True, slots=True)
class Ask:
    """What the feed asked: wait ``seconds`` between polls, said through ``source``.

    ``source`` is what a user sees as the reason: ``ttl``, ``sy:updatePeriod``, ``max-age`` or ``Expires``.
    """

    seconds: float
    source: str


@dataclass(frozen=True, slots=True)
class Pacing:
    """The interval until the next poll, and the feed's ask behind it (None: the feed asked nothing usable)."""

    interval: float
    ask: Ask | None = None

    @property
    def bound(self) -> str | None:
        """Which bound overrode the ask: ``minimum`` (the configured interval), ``maximum``, or None."""
        if self.ask is None or self.ask.seconds == self.interval:
            return None
        return "minimum" if self.ask.seconds < self.interval else "maximum"


def pace(configured: float, maximum: float, asks: Iterable[Ask | None]) -> Pacing:
    """The next interval: the largest ask, never below ``configured``, never above ``maximum``.

    ``configured`` wins over ``maximum`` when it is the larger: the feeds file's own interval is never
    shortened, the ceiling only bounds what a feed asks.
    """
    usable = [a for a in asks if a is not None]
    if not usable:
        return Pacing(configured)
    ask = max(usable, key=lambda a: a.seconds)
    return Pacing(max(configured, min(ask.seconds, maximum)), ask)


def header_ask(headers: Mapping[str, str], *, now: datetime | None = None) -> Ask | None:
    """The ask of an HTTP response's headers (names lower-cased, as ``FetchResult.headers`` has them)."""
    age = _seconds(headers.get("age")) or 0.0
    directives = [d.strip() for d in (headers.get("cache-control") or "").split(",") if d.strip()]
    if any(d.lower() in _NO_FRESHNESS for d in directives):
        return None  # the server wants every request to revalidate: no pace to honour
    for directive in directives:
        if m := _MAX_AGE.match(directive):
            # RFC 9111 4.2.1: with max-age present, Expires is not consulted.
            return _ask(float(m.group(1)) - age, "max-age")
    expires = _date(headers.get("expires"))
    if expires is None:
        return None
    origin = _date(headers.get("date")) or now or datetime.now(UTC)
    return _ask((expires - origin).total_seconds() - age, "Expires")


def _ask(seconds: float, source: str) -> Ask | None:
    return Ask(min(seconds, _LONGEST), source) if seconds > 0 else None


def _seconds(value: str | None) -> float | None:
    value = (value or "").strip()
    return float(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # "0", "-1" and other non-dates mean "already expired" (RFC 9111 5.3): no ask
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
