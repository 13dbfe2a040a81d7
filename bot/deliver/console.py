"""The console sink: alerts printed for a person at a terminal (the demo, and a service with no chat)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from bot.deliver.model import AlertView, Reply
from bot.deliver.pacing import Pacer
from bot.domain import Platform, Severity

if TYPE_CHECKING:
    from bot.deliver.alertable import Alertable

_SEVERITY_MARK = {Severity.CRITICAL: "‼", Severity.HIGH: "!", Severity.NORMAL: "·"}


def _bidi_safe(text: str) -> str:
    # Terminals lay out RTL text by themselves; we only strip controls that could spoof the line.
    return "".join(ch for ch in text if ch >= " " or ch == "\t")


def render_alert(alert: Alertable, *, source: str | None = None) -> str:
    item, match = alert.item, alert.match
    severity = getattr(match, "severity", None) or Severity.NORMAL
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


class ConsoleNotifier:
    """The ``console`` platform: alerts printed, for a service with no chat configured (and the demo)."""

    platform = Platform.CONSOLE

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.count = 0
        self.pacer = Pacer()  # one alert a second, as in a chat: the demo reads at that pace

    async def pace(self, target: str) -> None:
        """Returns when a send to ``target`` may go (the dispatcher waits here before it builds the message)."""
        await self.pacer.wait(target)

    def _print(self, text: str) -> str:
        print(text, file=self.out, flush=True)
        self.count += 1
        return f"console-{self.count}"

    async def send_alert(self, target: str, alert: AlertView, *, language: str, timezone: str) -> str:
        return self._print(render_view(alert))

    async def edit_alert(self, target: str, message_id: str, alert: AlertView, *, language: str, timezone: str) -> None:
        others = ", ".join(s.name for s in alert.also_reported_by)
        self._print(
            f"  ↻ story updated: {_bidi_safe(alert.title)} — also reported by {len(alert.also_reported_by)}: {others}"
        )

    async def send_reply(self, target: str, reply: Reply) -> str:
        return self._print(reply.text)


def render_view(alert: AlertView) -> str:
    lines = [
        f"{_SEVERITY_MARK.get(alert.severity, '·')} [{alert.severity.upper()}] {_bidi_safe(alert.title)}",
        f"    {alert.source} · {alert.language} · {alert.published:%Y-%m-%d %H:%M} UTC · score {alert.score:.2f}",
    ]
    if alert.topics:
        lines.append("    topics: " + " ".join(f"#{t}" for t in alert.topics))
    if alert.entities:
        lines.append("    entities: " + ", ".join(alert.entities))
    if alert.primary_source:
        lines.append(f"    primary source: {alert.primary_source.name} {alert.primary_source.url or ''}")
    if alert.also_reported_by:
        lines.append(
            f"    also reported by {len(alert.also_reported_by)}: " + ", ".join(s.name for s in alert.also_reported_by)
        )
    if alert.url:
        lines.append(f"    {alert.url}")
    return "\n".join(lines)
