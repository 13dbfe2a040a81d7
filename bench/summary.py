"""One machine-readable line per benchmark run, so `make bench` (bench/__main__.py) can end with a single
table of every target met or missed.

A bench calls ``emit(name, [target(...), ...])`` once, at the end of its output; the line starts with
``PREFIX`` and carries JSON. ``value`` is what was measured, ``limit`` the target, ``op`` how they compare.
"""

from __future__ import annotations

import json
import math
from typing import Any

PREFIX = "BENCH-SUMMARY "
_OPS = {"<": lambda v, t: v < t, "<=": lambda v, t: v <= t, ">": lambda v, t: v > t, ">=": lambda v, t: v >= t}


def target(name: str, value: float, op: str, limit: float, unit: str = "", *, note: str = "") -> dict[str, Any]:
    """One target; ``met`` is computed here, so no bench words its own verdict differently."""
    if op not in _OPS:
        raise ValueError(f"unknown comparison {op!r}")
    met = not math.isnan(value) and bool(_OPS[op](value, limit))
    return {"name": name, "value": value, "op": op, "limit": limit, "unit": unit, "met": met, "note": note}


def emit(bench: str, targets: list[dict[str, Any]], **extra: Any) -> None:
    print(PREFIX + json.dumps({"bench": bench, "targets": targets, **extra}, ensure_ascii=False), flush=True)


def parse(line: str) -> dict[str, Any] | None:
    """The summary a line carries, or None (any other output; a malformed summary is reported, not raised)."""
    if not line.startswith(PREFIX):
        return None
    try:
        data = json.loads(line[len(PREFIX) :])
    except json.JSONDecodeError:
        return {"bench": "?", "targets": [], "error": f"malformed summary line: {line[:120]!r}"}
    return data if isinstance(data, dict) else None
