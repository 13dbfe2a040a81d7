"""The console sink: alerts printed for a person at a terminal (the demo, and a service with no chat)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.pipeline import Alertable

_SEVERITY_MARK = {"critical": "‼", "high": "!", "normal": "·"}


def _bidi_safe(text: str) -> str:
    # Terminals lay out RTL text by themselves; we only strip controls that could spoof the line.
    return "".join(ch for ch in text if ch >= " " or ch == "\t")


def render_alert(alert: Alertable, *, source: str | None = None) -> str:
    item, match = alert.item, alert.match
    severity = getattr(match, "severity", None) or "normal"
    topics = " ".join(f"#{t}" for t in getattr(match, "topics", ()))
    entities = ", ".join(dict.fromkeys(e.id for e in getattr(match, "entities", ())))
    reasons = "; ".join(getattr(match, "reasons", ())[:3])
    lines = [
        f"{_SEVERITY_MARK.get(severity, '·')} [{severity.upper()}] {_bidi_safe(item.title)}",
        f"    {source or item.feed_id} · {item.language} · {item.published:%Y-%m-%d %H:%M} UTC"
        + (f" · score {match.score:.2f}" if hasattr(match, "score") else ""),
    ]
    if topics:
        lines.append(f"    topics: {topics}")
    if entities:
        lines.append(f"    entities: {entities}")
    if reasons:
        lines.append(f"    why: {_bidi_safe(reasons)}")
    if item.url:
        lines.append(f"    {item.url}")
    return "\n".join(lines)


class ConsoleSink:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.sent = 0

    async def send(self, alerts: Sequence[Alertable]) -> None:
        for alert in alerts:
            print(render_alert(alert), file=self.out, flush=True)
            self.sent += 1
