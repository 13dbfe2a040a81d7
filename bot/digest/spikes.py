"""Spikes: an entity or topic mentioned in the last 24 hours far more than its daily baseline.

Baseline. Mentions (relevant items) per day over the four weeks before the last 24 hours — or over the
store's whole history when it is younger than that, and no spikes at all while that history is shorter
than ``min_history`` (a store a day old has no "usual"). A spike is ``count >= min_count`` (a few mentions
are noise however small the baseline) and ``count > multiple × baseline``. Something never mentioned in the
baseline window is a spike once it reaches ``min_count``; it is reported as such, not as "∞×".

History is counted from when the store began collecting — the earliest ``fetched`` time of a stored item —
not from the oldest publication date: a fresh database's first fetch brings in whatever the feeds still
list, days or weeks old, which is a thin sample, not a baseline (a fresh store once sent nine "none in the
3 days before" alerts in its first ten minutes). Items published before collection began are left out of
the baseline.

Instant trend alerts. ``enqueue_trend_alerts(engine, now, subscription_ids)`` is for the lead's scheduler:
run it every hour or so for the subscriptions that asked for trend alerts; it writes one ``notice`` outbox
row per subscription, spike and local day (key ``trend:…``), so an entity that stays hot all day alerts
once, and the dispatcher sends its text like any notice. Alerts warm up longer than digests: none until the
store has collected for ``alert_min_history`` (a week: a pushed alert has no digest around it, and a week
holds both weekdays and a weekend). A topic and an entity that is its alias (the entity's id or name is the
topic's id, name or one of its aliases: the topic ``hbm`` and the entity HBM, the topic ``huawei-smic`` and
the entity SMIC) are one thing: one alert, the stronger spike's, under the topic's key, so the other
spiking later the same day sends nothing. A chat's muted terms never trend for it: a spike is dropped when
a muted term occurs (as a word) in its id or names, a topic's aliases, or the id or names of the topic an
entity is an alias of (muting "Nvidia" silences the H20 too; muting "germanium" leaves gallium alone).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.digest.model import Spike, SpikeSettings
from bot.digest.period import zone
from bot.digest.query import counted_entity, relevant_items
from bot.digest.render import spike_alert_text
from storage import subscriptions as subs
from storage.db import session
from storage.tables import ItemRow, MatchEntity, MatchTopic, Subscription


def _counts(
    s: Session, kind: str, since: datetime, until: datetime, topics: list[str], languages: set[str]
) -> Counter[str]:
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


def history_start(s: Session) -> datetime | None:
    """When the store's history begins: the later of the first topic mention's publication and the first
    fetch (before the first fetch the store holds only what the feeds still listed then). None when empty."""
    first = s.exec(select(func.min(MatchTopic.published))).one()
    fetched = s.exec(select(func.min(ItemRow.fetched))).one()
    if first is None or fetched is None:
        return None
    return max(first, fetched)


def detect_spikes(
    s: Session,
    now: datetime,
    *,
    topics: list[str] | None = None,
    languages: set[str] | None = None,
    settings: SpikeSettings | None = None,
    start: datetime | None = None,
) -> list[Spike]:
    """Spikes of entities and topics in the ``settings.window`` before ``now``, strongest first. ``start``:
    ``history_start(s)``, when the caller already has it (one look-up for many subscriptions)."""
    settings = settings or SpikeSettings()
    topics = topics or []
    languages = languages or {"ar", "en"}
    window_start = now - settings.window
    first = start or history_start(s)
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


@lru_cache(maxsize=1)
def _forms() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Normalized words naming each topic (id, names, aliases) and each entity (id, names)."""
    from bot.match import load_lexicon
    from bot.match.normalizer import normalize_text

    def norm(words: Iterable[str]) -> frozenset[str]:
        return frozenset(normalize_text(w) for w in words if w) - {""}

    lex = load_lexicon()
    topics = {t.id: norm((t.id, t.name_ar, t.name_en, *t.aliases)) for t in lex.topics.values()}
    entities = {e.id: norm((e.id, e.name_ar, e.name_en)) for e in lex.entries.values() if e.kind != "term"}
    return topics, entities


def _entity_forms(entity: str) -> frozenset[str]:
    from bot.match.normalizer import normalize_text

    return _forms()[1].get(entity) or frozenset({normalize_text(entity)}) - {""}


def alias_topic(entity: str) -> str | None:
    """The topic an entity is an alias of — the same id, or the entity's id or name among the topic's id,
    names and aliases (first by id when several) — or None."""
    topics, _ = _forms()
    if entity in topics:
        return entity
    forms = _entity_forms(entity)
    return next((t for t in sorted(topics) if forms & topics[t]), None)


def thing_key(spike: Spike) -> str:
    """What a spike is about: a topic and its alias entities share the topic's key."""
    topic = spike.key if spike.kind == "topic" else alias_topic(spike.key)
    return f"topic:{topic}" if topic is not None else f"{spike.kind}:{spike.key}"


def distinct_spikes(spikes: list[Spike]) -> list[Spike]:
    """One spike per thing (``thing_key``), the first — the strongest, in ``detect_spikes`` order."""
    seen: set[str] = set()
    out = []
    for sp in spikes:
        key = thing_key(sp)
        if key not in seen:
            seen.add(key)
            out.append(sp)
    return out


def muted(spike: Spike, mute_terms: str) -> bool:
    """A muted term (``Subscription.mute_terms``, a JSON list) occurs as a word in a name of the spike's
    thing: its id and names, a topic's aliases, the topic an entity is an alias of."""
    from bot.deliver.route import contains_term

    if mute_terms.strip() in ("", "[]"):
        return False
    from bot.match import load_lexicon
    from bot.match.normalizer import normalize_text

    topics, _ = _forms()
    if spike.kind == "topic":
        forms = topics.get(spike.key) or frozenset({normalize_text(spike.key)})
    else:
        forms = _entity_forms(spike.key)
        topic = load_lexicon().topics.get(alias_topic(spike.key) or "")
        if topic is not None:  # its topic's id and names, not the topic's other aliases (gallium ≠ germanium)
            forms |= {normalize_text(w) for w in (topic.id, topic.name_ar, topic.name_en) if w}
    return any(contains_term(mute_terms, f) for f in forms)


def _trend_key(thing: str, day: str) -> str:
    key = f"trend:{thing}:{day}"
    if len(key) <= 64:  # the outbox key column holds 64 characters
        return key
    return "trend:" + hashlib.sha256(key.encode()).hexdigest()[:32]


def enqueue_trend_alerts(
    engine: Engine, now: datetime, subscription_ids: list[int], settings: SpikeSettings | None = None
) -> int:
    """Instant trend alerts: for each listed subscription (not paused), one ``notice`` outbox row per spike
    on its topics and item languages, at most once per thing (a topic and its alias entities are one) and
    local day, none on the chat's muted terms, none before ``alert_min_history`` of collecting. Returns the
    rows added."""
    settings = settings or SpikeSettings()
    settings = replace(settings, min_history=max(settings.min_history, settings.alert_min_history))
    added = 0
    with session(engine) as s:
        start = history_start(s)
        if start is None or now - settings.window - start < settings.min_history:
            return 0  # still warming up
        for sub_id in subscription_ids:
            sub = s.get(Subscription, sub_id)
            if sub is None or sub.paused:
                continue
            topics = [t for t in sub.topics.split() if not t.startswith("__")]
            languages = set(sub.languages.split()) or {"ar", "en"}
            day = now.astimezone(zone(sub.timezone)).date().isoformat()
            found = detect_spikes(s, now, topics=topics, languages=languages, settings=settings, start=start)
            for spike in distinct_spikes([sp for sp in found if not muted(sp, sub.mute_terms)]):
                text = spike_alert_text(spike, sub.interface_language)
                added += subs.enqueue(
                    s,
                    [sub_id],
                    story_id=None,
                    key=_trend_key(thing_key(spike), day),
                    kind="notice",
                    now=now,
                    payload=json.dumps({"text": text, "spike": spike.to_json()}, ensure_ascii=False),
                )
        s.commit()
    return added


__all__ = [
    "Spike",
    "SpikeSettings",
    "alias_topic",
    "detect_spikes",
    "distinct_spikes",
    "enqueue_trend_alerts",
    "history_start",
    "muted",
    "thing_key",
]
