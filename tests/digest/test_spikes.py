"""Spikes against a four-week daily baseline, with a floor against noise; trend alerts after a warm-up,
once per thing (a topic and its alias entity are one), never on a chat's muted terms."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.digest.build import build_digest
from bot.digest.render import render_text
from bot.digest.spikes import SpikeSettings, detect_spikes, enqueue_trend_alerts
from storage.db import session
from storage.tables import Delivery, ItemRow, Subscription
from tests.digest.seed import Report, feeds, get_sub, story, subscription

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def seed_hbm(engine: Engine, recent: int) -> None:
    feeds(engine, "wire")
    # Baseline: HBM once every two days over four weeks (0.5 a day); Nvidia every day (1 a day).
    for d in range(2, 30, 2):
        story(engine, f"hbm {d}", [Report("wire", "en", NOW - timedelta(days=d), entities=("hbm",))], topics=("hbm",))
    for d in range(2, 30):
        story(
            engine,
            f"nv {d}",
            [Report("wire", "en", NOW - timedelta(days=d, hours=3), entities=("nvidia",))],
            topics=("nvidia",),
        )
    for h in range(recent):
        story(
            engine,
            f"hbm now {h}",
            [Report("wire", "en", NOW - timedelta(hours=h + 1), entities=("hbm",))],
            topics=("hbm",),
        )
    story(engine, "nv now", [Report("wire", "en", NOW - timedelta(hours=2), entities=("nvidia",))], topics=("nvidia",))


def test_entity_and_topic_spike_over_the_baseline(sqlite_engine: Engine) -> None:
    seed_hbm(sqlite_engine, recent=4)
    with session(sqlite_engine) as s:
        spikes = detect_spikes(s, NOW)
    found = {(sp.kind, sp.key): sp for sp in spikes}
    hbm = found[("entity", "hbm")]
    assert hbm.count == 4 and abs(hbm.baseline - 14 / 28) < 1e-9 and hbm.ratio is not None and round(hbm.ratio) == 8
    assert ("topic", "hbm") in found
    assert ("entity", "nvidia") not in found  # one mention: its usual day


def test_small_counts_and_high_multiples_are_not_spikes(sqlite_engine: Engine) -> None:
    seed_hbm(sqlite_engine, recent=2)  # 2 < min_count 3
    with session(sqlite_engine) as s:
        assert detect_spikes(s, NOW) == []
        assert detect_spikes(s, NOW, settings=SpikeSettings(min_count=2)) != []
        assert detect_spikes(s, NOW, settings=SpikeSettings(min_count=2, multiple=5)) == []  # 4× is not > 5×


def test_no_spikes_in_a_young_store(sqlite_engine: Engine) -> None:
    feeds(sqlite_engine, "wire")
    for h in range(5):
        story(
            sqlite_engine,
            f"x{h}",
            [Report("wire", "en", NOW - timedelta(hours=h + 1), entities=("hbm",))],
            topics=("hbm",),
        )
    with session(sqlite_engine) as s:
        assert detect_spikes(s, NOW) == []  # no history: no "usual"


def test_spike_in_digest_text_and_trend_alerts_once_a_day(sqlite_engine: Engine) -> None:
    seed_hbm(sqlite_engine, recent=4)
    en = subscription(sqlite_engine, topics="hbm")
    ar = subscription(sqlite_engine, topics="nvidia", language="ar", target="43")
    with session(sqlite_engine) as s:
        d = build_digest(s, get_sub(sqlite_engine, en), NOW)
    text = render_text(d)
    assert "HBM: 8× its usual daily mentions (4 mentions in 24 h)" in text
    assert [sp.key for sp in d.spikes] == ["hbm"]  # the topic "HBM" is the same news: shown once
    assert enqueue_trend_alerts(sqlite_engine, NOW, [en, ar]) == 1  # HBM (entity and topic are one), `en` only
    assert enqueue_trend_alerts(sqlite_engine, NOW + timedelta(hours=1), [en, ar]) == 0  # same day
    with session(sqlite_engine) as s:
        rows = s.exec(select(Delivery)).all()
    assert {r.kind for r in rows} == {"notice"} and {r.subscription_id for r in rows} == {en}
    assert [r.key for r in rows] == ["trend:topic:hbm:2025-05-01"]
    assert any(json.loads(r.payload or "{}")["text"].startswith("Trend alert: HBM: 8×") for r in rows)


def collected_since(engine: Engine, when: datetime) -> None:
    """Pretend the store began collecting at ``when``: every item was fetched then (the seed fetches an item
    when it is published)."""
    with session(engine) as s:
        s.execute(update(ItemRow).values(fetched=when))
        s.commit()


def trend_rows(engine: Engine) -> list[Delivery]:
    with session(engine) as s:
        return list(s.exec(select(Delivery).order_by(col(Delivery.id))).all())


def test_no_spikes_or_trend_alerts_until_the_store_has_collected_long_enough(sqlite_engine: Engine) -> None:
    # A fresh database: its first fetch brought in four weeks of back items ten minutes ago.
    seed_hbm(sqlite_engine, recent=4)
    sub = subscription(sqlite_engine, topics="hbm")
    collected_since(sqlite_engine, NOW - timedelta(minutes=10))
    with session(sqlite_engine) as s:
        assert detect_spikes(s, NOW) == []  # the back items are not a baseline
    assert enqueue_trend_alerts(sqlite_engine, NOW, [sub]) == 0
    # Five days of collecting: enough for a digest's spikes (over the last four days), not for an alert.
    collected_since(sqlite_engine, NOW - timedelta(days=5))
    with session(sqlite_engine) as s:
        hbm = {(sp.kind, sp.key): sp for sp in detect_spikes(s, NOW)}[("entity", "hbm")]
    assert hbm.baseline_days == 4.0 and hbm.baseline == 2 / 4  # HBM two and four days ago
    assert enqueue_trend_alerts(sqlite_engine, NOW, [sub]) == 0
    # A week and a day: alerts start.
    collected_since(sqlite_engine, NOW - timedelta(days=8))
    assert enqueue_trend_alerts(sqlite_engine, NOW, [sub]) == 1


def test_a_topic_and_its_alias_entity_alert_once_a_day(sqlite_engine: Engine) -> None:
    feeds(sqlite_engine, "wire")
    for d in range(2, 30):  # history: Nvidia every day
        story(sqlite_engine, f"nv {d}", [Report("wire", "en", NOW - timedelta(days=d))], topics=("nvidia",))
    # The topic Huawei/SMIC spikes first, without SMIC named...
    for h in range(3):
        story(sqlite_engine, f"hw {h}", [Report("wire", "en", NOW - timedelta(hours=h + 1))], topics=("huawei-smic",))
    sub = subscription(sqlite_engine)
    assert enqueue_trend_alerts(sqlite_engine, NOW, [sub]) == 1
    # ...then SMIC, an alias of the topic, spikes too: the same news, already alerted today.
    for m in range(3):
        story(
            sqlite_engine,
            f"smic {m}",
            [Report("wire", "en", NOW + timedelta(minutes=10 + m), entities=("smic",))],
            topics=("huawei-smic",),
        )
    later = NOW + timedelta(hours=1)
    with session(sqlite_engine) as s:
        assert {(sp.kind, sp.key) for sp in detect_spikes(s, later)} == {("topic", "huawei-smic"), ("entity", "smic")}
    assert enqueue_trend_alerts(sqlite_engine, later, [sub]) == 0
    assert [r.key for r in trend_rows(sqlite_engine)] == ["trend:topic:huawei-smic:2025-05-01"]


def test_a_chats_muted_terms_never_trend_for_it(sqlite_engine: Engine) -> None:
    seed_hbm(sqlite_engine, recent=4)
    muting = subscription(sqlite_engine, topics="hbm")
    other = subscription(sqlite_engine, topics="hbm", target="43")
    ar = subscription(sqlite_engine, topics="hbm", target="44")
    with session(sqlite_engine) as s:
        for sub_id, terms in ((muting, '["hbm"]'), (other, '["nvidia"]'), (ar, '["الذاكرة عالية النطاق الترددي"]')):
            sub = s.get(Subscription, sub_id)
            assert sub is not None
            sub.mute_terms = terms
            s.add(sub)
        s.commit()
    # "hbm" mutes the entity HBM and the topic whose alias it is; the Arabic name of the topic mutes the
    # topic and its alias entity; "nvidia" mutes nothing here.
    assert enqueue_trend_alerts(sqlite_engine, NOW, [muting, other, ar]) == 1
    assert [r.subscription_id for r in trend_rows(sqlite_engine)] == [other]
    # the weekly digest follows the same rule: no spike of what the chat muted
    with session(sqlite_engine) as s:
        assert build_digest(s, get_sub(sqlite_engine, muting), NOW).spikes == []
        assert [sp.key for sp in build_digest(s, get_sub(sqlite_engine, other), NOW).spikes] == ["hbm"]
