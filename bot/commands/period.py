"""Periods typed in commands (``/latest hbm 7d``, ``/export hbm 30d``): one parser, so every command reads the
same forms."""

from __future__ import annotations

MAX_PERIOD = 365 * 86400  # /latest hbm 30d: the longest period asked for
PERIOD_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400}


def period_seconds(arg: str) -> int | None:
    """Seconds in a period typed by a user: ``24h``, ``7d``, ``2w`` (ASCII or Arabic-Indic digits); else None."""
    if not 2 <= len(arg) <= 5 or arg[-1] not in PERIOD_UNITS or not arg[:-1].isdecimal():
        return None
    n = int(arg[:-1])
    return n * PERIOD_UNITS[arg[-1]] if n > 0 else None
