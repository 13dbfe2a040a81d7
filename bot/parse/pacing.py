"""The pace a feed document asks for: RSS ``<ttl>`` and the syndication module's ``sy:updatePeriod``.

Only the channel's own elements count (feedparser puts an item's ``<ttl>`` on the entry, not here). Both are
read strictly: ``<ttl>`` is a whole number of minutes, ``sy:updatePeriod`` one of the five words of the
module, ``sy:updateFrequency`` (times per period, 1 when absent) a whole number. Anything else — "60 min",
"-5", "0", "sometimes" — is not an ask at all. ``bot.fetch.pacing`` weighs the result against the HTTP
headers and the bounds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PERIODS = {"hourly": 3600.0, "daily": 86400.0, "weekly": 7 * 86400.0, "monthly": 30 * 86400.0, "yearly": 365 * 86400.0}
# Nine digits of minutes is already centuries: longer strings are refused before int() sees them.
_WHOLE = re.compile(r"[0-9]{1,9}")


def document_ask(feed: Mapping[str, Any]) -> tuple[float, str] | None:
    """(seconds, source) the feed-level element asks for, the larger of ``ttl`` and ``sy``; None if neither."""
    asks = [a for a in (_ttl(feed.get("ttl")), _sy(feed.get("sy_updateperiod"), feed.get("sy_updatefrequency"))) if a]
    return max(asks, key=lambda a: a[0]) if asks else None


def _whole(value: object) -> int | None:
    if not isinstance(value, str) or not _WHOLE.fullmatch(value.strip()):
        return None
    number = int(value.strip())
    return number if number > 0 else None


def _ttl(value: object) -> tuple[float, str] | None:
    minutes = _whole(value)
    return (minutes * 60.0, "ttl") if minutes else None


def _sy(period: object, frequency: object) -> tuple[float, str] | None:
    if not isinstance(period, str) or period.strip().lower() not in _PERIODS:
        return None
    # An absent frequency means once per period; a present but unreadable one makes the whole ask unreadable,
    # since guessing 1 could stretch "24 times daily" into "daily".
    times = 1 if frequency is None or (isinstance(frequency, str) and not frequency.strip()) else _whole(frequency)
    if not times:
        return None
    return _PERIODS[period.strip().lower()] / times, "sy:updatePeriod"
