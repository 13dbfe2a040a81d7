"""Spikes: an entity or topic mentioned in the last 24 hours far more than its daily baseline.

Baseline. Mentions (relevant items) per day over the four weeks before the last 24 hours — or over the
store's whole history when it is younger than that, and no spikes at all while that history is shorter
than ``min_history`` (a store a day old has no "usual"). A spike is ``count >= min_count`` (a few mentions
are noise however small the baseline) and ``count > multiple × baseline``. Something never mentioned in the
baseline window is a spike once it reaches ``min_count``; it is reported as such, not as "∞×".

Instant trend alerts. ``enqueue_trend_alerts(engine, now, subscription_ids)`` is for the lead's scheduler:
run it every hour or so for the subscriptions that asked for trend alerts; it writes one ``notice`` outbox
row per subscription, spike and local day (key ``trend:…``), so an entity that stays hot all day alerts
once, and the dispatcher sends its text like any notice.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.tables import MatchEntity, MatchTopic, Subscription


@dataclass(frozen=True)
class SpikeSettings:
    multiple: float = 3.0  # the last 24 h must exceed this many times the daily baseline
    min_count: int = 3  # and hold at least this many mentions
    window: timedelta = timedelta(hours=24)
    baseline: timedelta = timedelta(days=28)
    min_history: timedelta = timedelta(days=3)
    limit: int = 5  # spikes shown in a digest


@dataclass(frozen=True)
class Spike:
    kind: str  # "entity" | "topic"
    key: str  # entity id or topic id
    count: int  # mentions in the window
    baseline: float  # mentions per day over the baseline window
    ratio: float | None  # count / baseline; None when the baseline is zero
    baseline_days: float = 28.0  # how long the baseline window was (shorter in a young store)

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "key": self.key,
            "count": self.count,
            "baseline": round(self.baseline, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 2),
            "baseline_days": round(self.baseline_days, 1),
        }


def _counts(
    s: Session, kind: str, since: datetime, until: datetime, topics: list[str], languages: set[str]
) -> Counter[str]:
    from bot.digest.build import counted_entity, relevant_items

    ids = select(relevant_items(since, until, topics, languages).subquery().c.id)
    if kind == "topic":
        stmt = select(MatchTopic.topic, func.count()).where(col(MatchTopic.item_id).in_(ids))
        if topics:
            stmt = stmt.where(col(MatchTopic.topic).in_(topics))
        rows = s.exec(stmt.group_by(MatchTopic.topic)).all()
        return Counter({k: int(n) for k, n in rows})
    stmt_e = select(MatchEntity.entity, func.count()).where(col(MatchEntity.item_id).in_(ids))
    rows = s.exec(stmt_e.group_by(MatchEntity.entity)).all()
    return Counter({k: int(n) for k, n in rows if counted_entity(k)})


def detect_spikes(
    s: Session,
    now: datetime,
    *,
    topics: list[str] | None = None,
    languages: set[str] | None = None,
    settings: SpikeSettings | None = None,
) -> list[Spike]:
    """Spikes of entities and topics in the ``settings.window`` before ``now``, strongest first."""
    settings = settings or SpikeSettings()
    topics = topics or []
    languages = languages or {"ar", "en"}
    window_start = now - settings.window
    first = s.exec(select(func.min(MatchTopic.published))).one()
    if first is None:
        return []
    base_start = max(window_start - settings.baseline, first)
    history = window_start - base_start
    if history < settings.min_history:
        return []
    days = history / timedelta(days=1)
    found: list[Spike] = []
    for kind in ("entity", "topic"):
        recent = _counts(s, kind, window_start, now, topics, languages)
        before = _counts(s, kind, base_start, window_start, topics, languages)
        for key, count in recent.items():
            baseline = before[key] / days
            if count < settings.min_count or count <= settings.multiple * baseline:
                continue
            found.append(Spike(kind, key, count, baseline, count / baseline if baseline else None, days))
    # Strongest first; a zero baseline counts as one mention in the whole baseline window.
    found.sort(key=lambda sp: (-(sp.count / max(sp.baseline, 1 / days)), -sp.count, sp.kind, sp.key))
    return found


def _trend_key(spike: Spike, day: str) -> str:
    key = f"trend:{spike.kind}:{spike.key}:{day}"
    if len(key) <= 64:  # the outbox key column holds 64 characters
        return key
    return "trend:" + hashlib.sha256(key.encode()).hexdigest()[:32]


def enqueue_trend_alerts(
    engine: Engine, now: datetime, subscription_ids: list[int], settings: SpikeSettings | None = None
) -> int:
    """Instant trend alerts: for each listed subscription (not paused), one ``notice`` outbox row per spike
    on its topics and item languages, at most once per spike and local day. Returns the rows added."""
    from bot.digest.period import zone
    from bot.digest.render import spike_alert_text
    from storage import subscriptions as subs
    from storage.db import session

    added = 0
    with session(engine) as s:
        for sub_id in subscription_ids:
            sub = s.get(Subscription, sub_id)
            if sub is None or sub.paused:
                continue
            topics = [t for t in sub.topics.split() if not t.startswith("__")]
            languages = set(sub.languages.split()) or {"ar", "en"}
            day = now.astimezone(zone(sub.timezone)).date().isoformat()
            for spike in detect_spikes(s, now, topics=topics, languages=languages, settings=settings):
                text = spike_alert_text(spike, sub.interface_language)
                added += subs.enqueue(
                    s,
                    [sub_id],
                    story_id=None,
                    key=_trend_key(spike, day),
                    kind="notice",
                    now=now,
                    payload=json.dumps({"text": text, "spike": spike.to_json()}, ensure_ascii=False),
                )
        s.commit()
    return added


__all__ = ["Spike", "SpikeSettings", "detect_spikes", "enqueue_trend_alerts"]
